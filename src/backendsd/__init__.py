"""backendsd: the control plane for confidential-computing backends."""

__version__ = "0.1.0"
