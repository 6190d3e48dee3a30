"""The data directory lock, which keeps a second daemon off a data directory in use."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from backendsd.errors import StartupError

LOCK_FILE_NAME = "backendsd.lock"


class DataDirLock:
    """An exclusive ``flock`` on ``<data-dir>/backendsd.lock``, held while a daemon runs.

    The kernel releases the lock when the file descriptor is closed, which
    also happens when the process dies, even by SIGKILL. So a stale lock file
    never blocks a restart, and the file is left in place on exit. The token
    and certs commands do not take the lock, because they may run beside the
    daemon.
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE_NAME
        self._descriptor: int | None = None

    def acquire(self) -> None:
        """Take the lock, creating the data directory if needed; raise StartupError if it is held."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise StartupError(
                f"data directory {self.path.parent.resolve()} is in use: another backendsd daemon is running on it"
            ) from None
        except BaseException:
            os.close(descriptor)
            raise
        self._descriptor = descriptor

    def release(self) -> None:
        if self._descriptor is None:
            return
        # Closing the descriptor drops the flock.
        os.close(self._descriptor)
        self._descriptor = None

    def __enter__(self) -> DataDirLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.release()
