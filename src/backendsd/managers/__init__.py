"""The manager stream listener: mutual TLS, peer authentication, one session per stream."""
