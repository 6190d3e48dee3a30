import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ConnectionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONNECTION_STATUS_UNSPECIFIED: _ClassVar[ConnectionStatus]
    CONNECTION_STATUS_DISCONNECTED: _ClassVar[ConnectionStatus]
    CONNECTION_STATUS_CONNECTED: _ClassVar[ConnectionStatus]
    CONNECTION_STATUS_UNRESPONSIVE: _ClassVar[ConnectionStatus]

class TerminationType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TERMINATION_TYPE_UNSPECIFIED: _ClassVar[TerminationType]
    TERMINATION_TYPE_CERTIFICATE_REVOCATION: _ClassVar[TerminationType]
    TERMINATION_TYPE_USER_INITIATED: _ClassVar[TerminationType]

class TransitionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSITION_TYPE_UNSPECIFIED: _ClassVar[TransitionType]
    TRANSITION_TYPE_CONNECTED: _ClassVar[TransitionType]
    TRANSITION_TYPE_DISCONNECTED: _ClassVar[TransitionType]
    TRANSITION_TYPE_UNRESPONSIVE: _ClassVar[TransitionType]
    TRANSITION_TYPE_SUPERSEDED: _ClassVar[TransitionType]
    TRANSITION_TYPE_TERMINATED: _ClassVar[TransitionType]
    TRANSITION_TYPE_REJECTED: _ClassVar[TransitionType]

class BackendEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BACKEND_EVENT_TYPE_UNSPECIFIED: _ClassVar[BackendEventType]
    BACKEND_EVENT_TYPE_CREATED: _ClassVar[BackendEventType]
    BACKEND_EVENT_TYPE_UPDATED: _ClassVar[BackendEventType]
    BACKEND_EVENT_TYPE_DELETED: _ClassVar[BackendEventType]
    BACKEND_EVENT_TYPE_CONNECTED: _ClassVar[BackendEventType]
    BACKEND_EVENT_TYPE_DISCONNECTED: _ClassVar[BackendEventType]
    BACKEND_EVENT_TYPE_UNRESPONSIVE: _ClassVar[BackendEventType]
    BACKEND_EVENT_TYPE_TERMINATED: _ClassVar[BackendEventType]
CONNECTION_STATUS_UNSPECIFIED: ConnectionStatus
CONNECTION_STATUS_DISCONNECTED: ConnectionStatus
CONNECTION_STATUS_CONNECTED: ConnectionStatus
CONNECTION_STATUS_UNRESPONSIVE: ConnectionStatus
TERMINATION_TYPE_UNSPECIFIED: TerminationType
TERMINATION_TYPE_CERTIFICATE_REVOCATION: TerminationType
TERMINATION_TYPE_USER_INITIATED: TerminationType
TRANSITION_TYPE_UNSPECIFIED: TransitionType
TRANSITION_TYPE_CONNECTED: TransitionType
TRANSITION_TYPE_DISCONNECTED: TransitionType
TRANSITION_TYPE_UNRESPONSIVE: TransitionType
TRANSITION_TYPE_SUPERSEDED: TransitionType
TRANSITION_TYPE_TERMINATED: TransitionType
TRANSITION_TYPE_REJECTED: TransitionType
BACKEND_EVENT_TYPE_UNSPECIFIED: BackendEventType
BACKEND_EVENT_TYPE_CREATED: BackendEventType
BACKEND_EVENT_TYPE_UPDATED: BackendEventType
BACKEND_EVENT_TYPE_DELETED: BackendEventType
BACKEND_EVENT_TYPE_CONNECTED: BackendEventType
BACKEND_EVENT_TYPE_DISCONNECTED: BackendEventType
BACKEND_EVENT_TYPE_UNRESPONSIVE: BackendEventType
BACKEND_EVENT_TYPE_TERMINATED: BackendEventType

class Backend(_message.Message):
    __slots__ = ("id", "name", "description", "address", "created_at", "updated_at", "connection", "information")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    INFORMATION_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    address: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    connection: Connection
    information: BackendInformation
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., address: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., connection: _Optional[_Union[Connection, _Mapping]] = ..., information: _Optional[_Union[BackendInformation, _Mapping]] = ...) -> None: ...

class BackendInformation(_message.Message):
    __slots__ = ("attestation_policy", "attestation_policy_fetched_at", "svm_info", "svm_info_fetched_at")
    ATTESTATION_POLICY_FIELD_NUMBER: _ClassVar[int]
    ATTESTATION_POLICY_FETCHED_AT_FIELD_NUMBER: _ClassVar[int]
    SVM_INFO_FIELD_NUMBER: _ClassVar[int]
    SVM_INFO_FETCHED_AT_FIELD_NUMBER: _ClassVar[int]
    attestation_policy: bytes
    attestation_policy_fetched_at: _timestamp_pb2.Timestamp
    svm_info: SvmInfo
    svm_info_fetched_at: _timestamp_pb2.Timestamp
    def __init__(self, attestation_policy: _Optional[bytes] = ..., attestation_policy_fetched_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., svm_info: _Optional[_Union[SvmInfo, _Mapping]] = ..., svm_info_fetched_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SvmInfo(_message.Message):
    __slots__ = ("ovmf_version", "cpu_num", "cpu_type", "kernel_cmd", "eos_version")
    OVMF_VERSION_FIELD_NUMBER: _ClassVar[int]
    CPU_NUM_FIELD_NUMBER: _ClassVar[int]
    CPU_TYPE_FIELD_NUMBER: _ClassVar[int]
    KERNEL_CMD_FIELD_NUMBER: _ClassVar[int]
    EOS_VERSION_FIELD_NUMBER: _ClassVar[int]
    ovmf_version: str
    cpu_num: int
    cpu_type: str
    kernel_cmd: str
    eos_version: str
    def __init__(self, ovmf_version: _Optional[str] = ..., cpu_num: _Optional[int] = ..., cpu_type: _Optional[str] = ..., kernel_cmd: _Optional[str] = ..., eos_version: _Optional[str] = ...) -> None: ...

class Connection(_message.Message):
    __slots__ = ("status", "connected_since", "last_seen", "peer", "certificate_serial")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_SINCE_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_FIELD_NUMBER: _ClassVar[int]
    PEER_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_SERIAL_FIELD_NUMBER: _ClassVar[int]
    status: ConnectionStatus
    connected_since: _timestamp_pb2.Timestamp
    last_seen: _timestamp_pb2.Timestamp
    peer: str
    certificate_serial: str
    def __init__(self, status: _Optional[_Union[ConnectionStatus, str]] = ..., connected_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_seen: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., peer: _Optional[str] = ..., certificate_serial: _Optional[str] = ...) -> None: ...

class CreateBackendRequest(_message.Message):
    __slots__ = ("name", "description", "address")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    address: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., address: _Optional[str] = ...) -> None: ...

class CreateBackendResponse(_message.Message):
    __slots__ = ("backend",)
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    backend: Backend
    def __init__(self, backend: _Optional[_Union[Backend, _Mapping]] = ...) -> None: ...

class GetBackendRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetBackendResponse(_message.Message):
    __slots__ = ("backend",)
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    backend: Backend
    def __init__(self, backend: _Optional[_Union[Backend, _Mapping]] = ...) -> None: ...

class ListBackendsRequest(_message.Message):
    __slots__ = ("offset", "limit", "name", "address", "order_by", "descending", "status")
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    DESCENDING_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    offset: int
    limit: int
    name: str
    address: str
    order_by: str
    descending: bool
    status: ConnectionStatus
    def __init__(self, offset: _Optional[int] = ..., limit: _Optional[int] = ..., name: _Optional[str] = ..., address: _Optional[str] = ..., order_by: _Optional[str] = ..., descending: _Optional[bool] = ..., status: _Optional[_Union[ConnectionStatus, str]] = ...) -> None: ...

class ListBackendsResponse(_message.Message):
    __slots__ = ("backends", "total", "offset", "limit")
    BACKENDS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    backends: _containers.RepeatedCompositeFieldContainer[Backend]
    total: int
    offset: int
    limit: int
    def __init__(self, backends: _Optional[_Iterable[_Union[Backend, _Mapping]]] = ..., total: _Optional[int] = ..., offset: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class UpdateBackendRequest(_message.Message):
    __slots__ = ("id", "name", "description", "address", "update_mask")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    address: str
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., address: _Optional[str] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateBackendResponse(_message.Message):
    __slots__ = ("backend",)
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    backend: Backend
    def __init__(self, backend: _Optional[_Union[Backend, _Mapping]] = ...) -> None: ...

class DeleteBackendRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class TerminateBackendRequest(_message.Message):
    __slots__ = ("id", "type")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: TerminationType
    def __init__(self, id: _Optional[str] = ..., type: _Optional[_Union[TerminationType, str]] = ...) -> None: ...

class TerminateBackendResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ConnectionTransition(_message.Message):
    __slots__ = ("at", "type", "reason", "peer", "certificate_serial")
    AT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PEER_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_SERIAL_FIELD_NUMBER: _ClassVar[int]
    at: _timestamp_pb2.Timestamp
    type: TransitionType
    reason: str
    peer: str
    certificate_serial: str
    def __init__(self, at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., type: _Optional[_Union[TransitionType, str]] = ..., reason: _Optional[str] = ..., peer: _Optional[str] = ..., certificate_serial: _Optional[str] = ...) -> None: ...

class ListBackendHistoryRequest(_message.Message):
    __slots__ = ("backend_id", "offset", "limit")
    BACKEND_ID_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    backend_id: str
    offset: int
    limit: int
    def __init__(self, backend_id: _Optional[str] = ..., offset: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListBackendHistoryResponse(_message.Message):
    __slots__ = ("transitions", "total", "offset", "limit")
    TRANSITIONS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    transitions: _containers.RepeatedCompositeFieldContainer[ConnectionTransition]
    total: int
    offset: int
    limit: int
    def __init__(self, transitions: _Optional[_Iterable[_Union[ConnectionTransition, _Mapping]]] = ..., total: _Optional[int] = ..., offset: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class WatchBackendsRequest(_message.Message):
    __slots__ = ("statuses", "backend_ids")
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    BACKEND_IDS_FIELD_NUMBER: _ClassVar[int]
    statuses: _containers.RepeatedScalarFieldContainer[ConnectionStatus]
    backend_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, statuses: _Optional[_Iterable[_Union[ConnectionStatus, str]]] = ..., backend_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class BackendEvent(_message.Message):
    __slots__ = ("type", "backend", "at")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    type: BackendEventType
    backend: Backend
    at: _timestamp_pb2.Timestamp
    def __init__(self, type: _Optional[_Union[BackendEventType, str]] = ..., backend: _Optional[_Union[Backend, _Mapping]] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FetchAttestationPolicyRequest(_message.Message):
    __slots__ = ("backend_id", "timeout")
    BACKEND_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    backend_id: str
    timeout: _duration_pb2.Duration
    def __init__(self, backend_id: _Optional[str] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class FetchAttestationPolicyResponse(_message.Message):
    __slots__ = ("info", "fetched_at")
    INFO_FIELD_NUMBER: _ClassVar[int]
    FETCHED_AT_FIELD_NUMBER: _ClassVar[int]
    info: bytes
    fetched_at: _timestamp_pb2.Timestamp
    def __init__(self, info: _Optional[bytes] = ..., fetched_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FetchSvmInfoRequest(_message.Message):
    __slots__ = ("backend_id", "timeout")
    BACKEND_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    backend_id: str
    timeout: _duration_pb2.Duration
    def __init__(self, backend_id: _Optional[str] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class FetchSvmInfoResponse(_message.Message):
    __slots__ = ("svm_info", "fetched_at")
    SVM_INFO_FIELD_NUMBER: _ClassVar[int]
    FETCHED_AT_FIELD_NUMBER: _ClassVar[int]
    svm_info: SvmInfo
    fetched_at: _timestamp_pb2.Timestamp
    def __init__(self, svm_info: _Optional[_Union[SvmInfo, _Mapping]] = ..., fetched_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
