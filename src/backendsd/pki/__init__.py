"""The daemon's certificate authority and its own TLS identity."""
