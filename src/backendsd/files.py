"""Files that hold secrets."""

from __future__ import annotations

import os
from pathlib import Path


def write_private_file(path: Path, content: str | bytes) -> None:
    """Write ``content`` to ``path`` with mode 0600, replacing it atomically.

    The data goes to a temporary file that is created 0600, synced and then
    renamed over ``path``, so a reader sees the old or the new content, never
    a mix, and no other user can read it at any moment.
    """
    data = content.encode() if isinstance(content, str) else content
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, data)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)


def write_public_file(path: Path, content: str | bytes) -> None:
    """Write ``content`` to ``path`` (mode 0644), replacing it atomically."""
    data = content.encode() if isinstance(content, str) else content
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)
