"""Backends: hosts whose manager runs computations in a Trusted Execution Environment."""
