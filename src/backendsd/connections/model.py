"""Connection states, transitions and termination reasons."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ConnectionStatus(enum.Enum):
    DISCONNECTED = "disconnected"
    CONNECTED = "connected"
    UNRESPONSIVE = "unresponsive"
    """Connected, but the last health probe went unanswered."""


@dataclass(frozen=True)
class ConnectionState:
    """A backend's connection as the registry records it; times in microseconds since the epoch."""

    status: ConnectionStatus
    connected_since: int | None = None
    last_seen: int | None = None
    peer: str = ""
    certificate_serial: str = ""


DISCONNECTED = ConnectionState(status=ConnectionStatus.DISCONNECTED)


class TransitionType(enum.Enum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    UNRESPONSIVE = "unresponsive"
    SUPERSEDED = "superseded"
    TERMINATED = "terminated"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Transition:
    """One stored change of a backend's connection."""

    backend_id: str
    at: int
    type: TransitionType
    reason: str
    peer: str = ""
    certificate_serial: str = ""


class TerminationType(enum.Enum):
    CERTIFICATE_REVOCATION = "certificate_revocation"
    USER_INITIATED = "user_initiated"

    @property
    def message(self) -> str:
        """Return the reason sent to the manager, which shows it in its log."""
        if self is TerminationType.CERTIFICATE_REVOCATION:
            return "certificate revoked"
        return "terminated by operator"
