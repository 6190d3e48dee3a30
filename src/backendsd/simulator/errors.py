"""Set-up errors, and reading the files that the simulator needs before it dials."""

from __future__ import annotations

from pathlib import Path

from backendsd.errors import BackendsdError


class SimulatorSetupError(BackendsdError):
    """A file or setting that the simulator needs is missing or invalid."""


def read_input_file(path: Path, purpose: str) -> bytes:
    """Return the content of ``path``; raise SimulatorSetupError naming ``purpose`` if it is unreadable."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise SimulatorSetupError(f"cannot read {purpose} {path}: {error.strerror or error}") from error
