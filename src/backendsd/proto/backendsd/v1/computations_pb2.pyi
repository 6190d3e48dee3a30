import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from backendsd.proto.manager import manager_pb2 as _manager_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RunComputationRequest(_message.Message):
    __slots__ = ("backend_id", "run_request", "timeout")
    BACKEND_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_REQUEST_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    backend_id: str
    run_request: _manager_pb2.ComputationRunReq
    timeout: _duration_pb2.Duration
    def __init__(self, backend_id: _Optional[str] = ..., run_request: _Optional[_Union[_manager_pb2.ComputationRunReq, _Mapping]] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RunComputationResponse(_message.Message):
    __slots__ = ("agent_port",)
    AGENT_PORT_FIELD_NUMBER: _ClassVar[int]
    agent_port: str
    def __init__(self, agent_port: _Optional[str] = ...) -> None: ...

class StopComputationRequest(_message.Message):
    __slots__ = ("backend_id", "computation_id", "timeout")
    BACKEND_ID_FIELD_NUMBER: _ClassVar[int]
    COMPUTATION_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    backend_id: str
    computation_id: str
    timeout: _duration_pb2.Duration
    def __init__(self, backend_id: _Optional[str] = ..., computation_id: _Optional[str] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class StopComputationResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AgentLog(_message.Message):
    __slots__ = ("backend_id", "computation_id", "level", "message", "timestamp", "received_at")
    BACKEND_ID_FIELD_NUMBER: _ClassVar[int]
    COMPUTATION_ID_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    backend_id: str
    computation_id: str
    level: str
    message: str
    timestamp: _timestamp_pb2.Timestamp
    received_at: _timestamp_pb2.Timestamp
    def __init__(self, backend_id: _Optional[str] = ..., computation_id: _Optional[str] = ..., level: _Optional[str] = ..., message: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AgentEvent(_message.Message):
    __slots__ = ("backend_id", "computation_id", "event_type", "details", "originator", "status", "timestamp", "received_at")
    BACKEND_ID_FIELD_NUMBER: _ClassVar[int]
    COMPUTATION_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    ORIGINATOR_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    backend_id: str
    computation_id: str
    event_type: str
    details: bytes
    originator: str
    status: str
    timestamp: _timestamp_pb2.Timestamp
    received_at: _timestamp_pb2.Timestamp
    def __init__(self, backend_id: _Optional[str] = ..., computation_id: _Optional[str] = ..., event_type: _Optional[str] = ..., details: _Optional[bytes] = ..., originator: _Optional[str] = ..., status: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AgentRecord(_message.Message):
    __slots__ = ("log", "event")
    LOG_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    log: AgentLog
    event: AgentEvent
    def __init__(self, log: _Optional[_Union[AgentLog, _Mapping]] = ..., event: _Optional[_Union[AgentEvent, _Mapping]] = ...) -> None: ...

class ListAgentLogsRequest(_message.Message):
    __slots__ = ("backend_id", "computation_id", "level", "since", "until", "offset", "limit")
    BACKEND_ID_FIELD_NUMBER: _ClassVar[int]
    COMPUTATION_ID_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    backend_id: str
    computation_id: str
    level: str
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    offset: int
    limit: int
    def __init__(self, backend_id: _Optional[str] = ..., computation_id: _Optional[str] = ..., level: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., offset: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListAgentLogsResponse(_message.Message):
    __slots__ = ("logs", "total", "offset", "limit")
    LOGS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    logs: _containers.RepeatedCompositeFieldContainer[AgentLog]
    total: int
    offset: int
    limit: int
    def __init__(self, logs: _Optional[_Iterable[_Union[AgentLog, _Mapping]]] = ..., total: _Optional[int] = ..., offset: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListAgentEventsRequest(_message.Message):
    __slots__ = ("backend_id", "computation_id", "event_type", "since", "until", "offset", "limit")
    BACKEND_ID_FIELD_NUMBER: _ClassVar[int]
    COMPUTATION_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    backend_id: str
    computation_id: str
    event_type: str
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    offset: int
    limit: int
    def __init__(self, backend_id: _Optional[str] = ..., computation_id: _Optional[str] = ..., event_type: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., offset: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListAgentEventsResponse(_message.Message):
    __slots__ = ("events", "total", "offset", "limit")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[AgentEvent]
    total: int
    offset: int
    limit: int
    def __init__(self, events: _Optional[_Iterable[_Union[AgentEvent, _Mapping]]] = ..., total: _Optional[int] = ..., offset: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class WatchAgentEventsRequest(_message.Message):
    __slots__ = ("backend_ids", "computation_id")
    BACKEND_IDS_FIELD_NUMBER: _ClassVar[int]
    COMPUTATION_ID_FIELD_NUMBER: _ClassVar[int]
    backend_ids: _containers.RepeatedScalarFieldContainer[str]
    computation_id: str
    def __init__(self, backend_ids: _Optional[_Iterable[str]] = ..., computation_id: _Optional[str] = ...) -> None: ...
