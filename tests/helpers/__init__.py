"""Test helpers: a real daemon in a subprocess, and clients for it."""
