"""Agent logs and events as stored, and the queries over them."""

from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True)
class AgentLogRecord:
    """One agent log line; times are microseconds since the epoch."""

    backend_id: str
    computation_id: str
    level: str
    message: str
    timestamp: int
    """The manager's time stamp."""
    received_at: int


@dataclass(frozen=True)
class AgentEventRecord:
    """One agent or manager lifecycle event; times are microseconds since the epoch."""

    backend_id: str
    computation_id: str
    event_type: str
    details: bytes
    originator: str
    status: str
    timestamp: int
    received_at: int


AgentRecord = AgentLogRecord | AgentEventRecord


class RecordKind(enum.Enum):
    LOG = "agent_logs"
    EVENT = "agent_events"


@dataclass(frozen=True)
class AgentRecordQuery:
    """A validated ListAgentLogs or ListAgentEvents request."""

    kind: RecordKind
    offset: int
    limit: int
    backend_id: str = ""
    computation_id: str = ""
    category: str = ""
    """The level of a log, or the type of an event; empty matches all."""
    since: int | None = None
    until: int | None = None


@dataclass(frozen=True)
class AgentRecordPage:
    records: list[AgentRecord]
    total: int
    query: AgentRecordQuery
