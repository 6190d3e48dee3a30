"""Benchmarks of backendsd against baselines measured in the same run (``make bench``, ``make bench-smoke``).

Every scenario runs the real daemon as a subprocess on 127.0.0.1 and puts a
figure beside a baseline that has the same client, the same TLS and the same
disk, so the ratio means something on a shared machine. docs/benchmarks.md
describes the scenarios and records a run.
"""
