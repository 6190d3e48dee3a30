"""Per-type handling of what managers send."""

from __future__ import annotations

import collections
from collections.abc import Callable

import structlog

from backendsd.proto.manager import manager_pb2

logger = structlog.get_logger(__name__)

Handler = Callable[[str, manager_pb2.ClientStreamMessage], None]


class MessageRouter:
    """Sends each inbound message to the handler of its type and counts them.

    Handlers are plain functions that must not block: a session's reader
    calls them between two reads.
    """

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self._handlers: dict[str, Handler] = {
            "agent_log": self._log_at_debug,
            "agent_event": self._log_at_debug,
        }

    def register(self, message_type: str, handler: Handler) -> None:
        """Route messages whose ``message`` oneof is ``message_type`` to ``handler``."""
        self._handlers[message_type] = handler

    def route(self, backend_id: str, message: manager_pb2.ClientStreamMessage) -> None:
        message_type = message.WhichOneof("message")
        if message_type is None:
            # A newer manager may send a field this daemon does not know;
            # real managers never send an empty message, so count and go on.
            self.counts["unknown"] += 1
            logger.warning("manager_message_unknown", backend_id=backend_id, unknown_total=self.counts["unknown"])
            return

        self.counts[message_type] += 1
        handler = self._handlers.get(message_type, self._log_unexpected)
        handler(backend_id, message)

    def _log_at_debug(self, backend_id: str, message: manager_pb2.ClientStreamMessage) -> None:
        logger.debug("manager_message", backend_id=backend_id, type=message.WhichOneof("message"))

    def _log_unexpected(self, backend_id: str, message: manager_pb2.ClientStreamMessage) -> None:
        logger.info("manager_answer_unexpected", backend_id=backend_id, type=message.WhichOneof("message"))
