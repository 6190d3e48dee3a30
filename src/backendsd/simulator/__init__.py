"""A simulated manager: the client side of the manager stream, for development, tests and benchmarks.

``backendsd manager-sim`` runs it. It dials the daemon over mutual TLS like a
real manager, responds to the daemon's requests, and can open one session per
identity to put thousands of managers in one process.
"""
