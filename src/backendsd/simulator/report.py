"""The ``--report`` file: one JSON object per line for each notable event, for tests to assert on."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import IO, Any

from backendsd.simulator.errors import SimulatorSetupError


class Reporter:
    """Appends report lines to a file and flushes each one, so that a reader sees it at once.

    Every session of the process shares one Reporter. They all run on one
    event loop, so lines never interleave.
    """

    def __init__(self, stream: IO[str] | None) -> None:
        self._stream = stream

    @classmethod
    def open(cls, path: Path | None) -> Reporter:
        """Open ``path`` for appending; with None, return a Reporter that writes nothing."""
        if path is None:
            return cls(None)
        try:
            return cls(open(path, "a", encoding="utf-8"))
        except OSError as error:
            raise SimulatorSetupError(f"cannot open report file {path}: {error.strerror or error}") from error

    def write(self, session: str, event: str, **fields: Any) -> None:
        if self._stream is None:
            return
        time = datetime.datetime.now(datetime.timezone.utc).isoformat()
        line = json.dumps({"time": time, "session": session, "event": event, **fields})
        self._stream.write(line + "\n")
        self._stream.flush()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
