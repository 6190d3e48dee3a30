"""Per-type handling of what managers send."""

from __future__ import annotations

import collections
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import structlog

from backendsd.connections.requests import ResponseKind
from backendsd.proto.manager import manager_pb2

if TYPE_CHECKING:
    from backendsd.connections.session import Session

logger = structlog.get_logger(__name__)

# A handler may return an awaitable when the manager should slow down,
# because its records arrive faster than they can be stored. The session's
# reader awaits it before reading on.
Handler = Callable[["Session", manager_pb2.ClientStreamMessage], Awaitable[None] | None]


class MessageRouter:
    """Sends each inbound message to the handler of its type and counts them.

    Handlers must not block: a session's reader calls them between two reads.
    Responses to requests go to the session's waiting requests by default.
    """

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self._handlers: dict[str, Handler] = {
            "agent_log": self._log_at_debug,
            "agent_event": self._log_at_debug,
            "attestationPolicy": self.resolve_response,
            "run_res": self.resolve_response,
            "stopComputationRes": self.resolve_response,
            "svm_info": self.resolve_response,
        }

    def register(self, message_type: str, handler: Handler) -> None:
        """Route messages whose ``message`` oneof is ``message_type`` to ``handler``."""
        self._handlers[message_type] = handler

    def route(self, session: Session, message: manager_pb2.ClientStreamMessage) -> Awaitable[None] | None:
        message_type = message.WhichOneof("message")
        if message_type is None:
            # A newer manager may send a field this daemon does not know;
            # real managers never send an empty message, so count and go on.
            self.counts["unknown"] += 1
            logger.warning(
                "manager_message_unknown", backend_id=session.backend_id, unknown_total=self.counts["unknown"]
            )
            return None

        self.counts[message_type] += 1
        return self._handlers[message_type](session, message)

    def resolve_response(self, session: Session, message: manager_pb2.ClientStreamMessage) -> None:
        """Pass a response to the request waiting for it, or log it when none waits."""
        kind, key = response_key(message)
        if not session.pending.resolve(kind, key, message):
            # Typically a response that arrived after its request timed out.
            logger.info("manager_response_unexpected", backend_id=session.backend_id, type=kind.value, key=key)

    def _log_at_debug(self, session: Session, message: manager_pb2.ClientStreamMessage) -> None:
        logger.debug("manager_message", backend_id=session.backend_id, type=message.WhichOneof("message"))


def response_key(message: manager_pb2.ClientStreamMessage) -> tuple[ResponseKind, str]:
    """Return the kind of a response and the id that correlates it with its request."""
    kind = ResponseKind(message.WhichOneof("message"))
    if kind is ResponseKind.ATTESTATION_POLICY:
        return kind, message.attestationPolicy.id
    if kind is ResponseKind.SVM_INFO:
        return kind, message.svm_info.id
    if kind is ResponseKind.RUN:
        return kind, message.run_res.computation_id
    return kind, message.stopComputationRes.computation_id
