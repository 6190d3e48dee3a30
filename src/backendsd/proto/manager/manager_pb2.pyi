import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ClientStreamMessage(_message.Message):
    __slots__ = ("agent_log", "agent_event", "run_res", "attestationPolicy", "stopComputationRes", "svm_info")
    AGENT_LOG_FIELD_NUMBER: _ClassVar[int]
    AGENT_EVENT_FIELD_NUMBER: _ClassVar[int]
    RUN_RES_FIELD_NUMBER: _ClassVar[int]
    ATTESTATIONPOLICY_FIELD_NUMBER: _ClassVar[int]
    STOPCOMPUTATIONRES_FIELD_NUMBER: _ClassVar[int]
    SVM_INFO_FIELD_NUMBER: _ClassVar[int]
    agent_log: AgentLog
    agent_event: AgentEvent
    run_res: RunResponse
    attestationPolicy: AttestationPolicy
    stopComputationRes: StopComputationResponse
    svm_info: SVMInfo
    def __init__(self, agent_log: _Optional[_Union[AgentLog, _Mapping]] = ..., agent_event: _Optional[_Union[AgentEvent, _Mapping]] = ..., run_res: _Optional[_Union[RunResponse, _Mapping]] = ..., attestationPolicy: _Optional[_Union[AttestationPolicy, _Mapping]] = ..., stopComputationRes: _Optional[_Union[StopComputationResponse, _Mapping]] = ..., svm_info: _Optional[_Union[SVMInfo, _Mapping]] = ...) -> None: ...

class ServerStreamMessage(_message.Message):
    __slots__ = ("runReqChunks", "runReq", "terminateReq", "stopComputation", "attestationPolicyReq", "svmInfoReq")
    RUNREQCHUNKS_FIELD_NUMBER: _ClassVar[int]
    RUNREQ_FIELD_NUMBER: _ClassVar[int]
    TERMINATEREQ_FIELD_NUMBER: _ClassVar[int]
    STOPCOMPUTATION_FIELD_NUMBER: _ClassVar[int]
    ATTESTATIONPOLICYREQ_FIELD_NUMBER: _ClassVar[int]
    SVMINFOREQ_FIELD_NUMBER: _ClassVar[int]
    runReqChunks: RunReqChunks
    runReq: ComputationRunReq
    terminateReq: Terminate
    stopComputation: StopComputation
    attestationPolicyReq: AttestationPolicyReq
    svmInfoReq: SVMInfoReq
    def __init__(self, runReqChunks: _Optional[_Union[RunReqChunks, _Mapping]] = ..., runReq: _Optional[_Union[ComputationRunReq, _Mapping]] = ..., terminateReq: _Optional[_Union[Terminate, _Mapping]] = ..., stopComputation: _Optional[_Union[StopComputation, _Mapping]] = ..., attestationPolicyReq: _Optional[_Union[AttestationPolicyReq, _Mapping]] = ..., svmInfoReq: _Optional[_Union[SVMInfoReq, _Mapping]] = ...) -> None: ...

class AgentLog(_message.Message):
    __slots__ = ("message", "computation_id", "level", "timestamp")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    COMPUTATION_ID_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    message: str
    computation_id: str
    level: str
    timestamp: _timestamp_pb2.Timestamp
    def __init__(self, message: _Optional[str] = ..., computation_id: _Optional[str] = ..., level: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AgentEvent(_message.Message):
    __slots__ = ("event_type", "timestamp", "computation_id", "details", "originator", "status")
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    COMPUTATION_ID_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    ORIGINATOR_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    event_type: str
    timestamp: _timestamp_pb2.Timestamp
    computation_id: str
    details: bytes
    originator: str
    status: str
    def __init__(self, event_type: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., computation_id: _Optional[str] = ..., details: _Optional[bytes] = ..., originator: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class RunResponse(_message.Message):
    __slots__ = ("agent_port", "computation_id")
    AGENT_PORT_FIELD_NUMBER: _ClassVar[int]
    COMPUTATION_ID_FIELD_NUMBER: _ClassVar[int]
    agent_port: str
    computation_id: str
    def __init__(self, agent_port: _Optional[str] = ..., computation_id: _Optional[str] = ...) -> None: ...

class AttestationPolicy(_message.Message):
    __slots__ = ("info", "id")
    INFO_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    info: bytes
    id: str
    def __init__(self, info: _Optional[bytes] = ..., id: _Optional[str] = ...) -> None: ...

class StopComputationResponse(_message.Message):
    __slots__ = ("computation_id", "message")
    COMPUTATION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    computation_id: str
    message: str
    def __init__(self, computation_id: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class SVMInfo(_message.Message):
    __slots__ = ("id", "ovmf_version", "cpu_num", "cpu_type", "kernel_cmd", "eos_version")
    ID_FIELD_NUMBER: _ClassVar[int]
    OVMF_VERSION_FIELD_NUMBER: _ClassVar[int]
    CPU_NUM_FIELD_NUMBER: _ClassVar[int]
    CPU_TYPE_FIELD_NUMBER: _ClassVar[int]
    KERNEL_CMD_FIELD_NUMBER: _ClassVar[int]
    EOS_VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    ovmf_version: str
    cpu_num: int
    cpu_type: str
    kernel_cmd: str
    eos_version: str
    def __init__(self, id: _Optional[str] = ..., ovmf_version: _Optional[str] = ..., cpu_num: _Optional[int] = ..., cpu_type: _Optional[str] = ..., kernel_cmd: _Optional[str] = ..., eos_version: _Optional[str] = ...) -> None: ...

class RunReqChunks(_message.Message):
    __slots__ = ("data", "id", "is_last")
    DATA_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    IS_LAST_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    id: str
    is_last: bool
    def __init__(self, data: _Optional[bytes] = ..., id: _Optional[str] = ..., is_last: _Optional[bool] = ...) -> None: ...

class ComputationRunReq(_message.Message):
    __slots__ = ("id", "name", "description", "datasets", "algorithm", "result_consumers", "agent_config")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DATASETS_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    RESULT_CONSUMERS_FIELD_NUMBER: _ClassVar[int]
    AGENT_CONFIG_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    datasets: _containers.RepeatedCompositeFieldContainer[Dataset]
    algorithm: Algorithm
    result_consumers: _containers.RepeatedCompositeFieldContainer[ResultConsumer]
    agent_config: AgentConfig
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., datasets: _Optional[_Iterable[_Union[Dataset, _Mapping]]] = ..., algorithm: _Optional[_Union[Algorithm, _Mapping]] = ..., result_consumers: _Optional[_Iterable[_Union[ResultConsumer, _Mapping]]] = ..., agent_config: _Optional[_Union[AgentConfig, _Mapping]] = ...) -> None: ...

class ResultConsumer(_message.Message):
    __slots__ = ("userKey",)
    USERKEY_FIELD_NUMBER: _ClassVar[int]
    userKey: bytes
    def __init__(self, userKey: _Optional[bytes] = ...) -> None: ...

class Dataset(_message.Message):
    __slots__ = ("hash", "userKey", "filename")
    HASH_FIELD_NUMBER: _ClassVar[int]
    USERKEY_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    hash: bytes
    userKey: bytes
    filename: str
    def __init__(self, hash: _Optional[bytes] = ..., userKey: _Optional[bytes] = ..., filename: _Optional[str] = ...) -> None: ...

class Algorithm(_message.Message):
    __slots__ = ("hash", "userKey")
    HASH_FIELD_NUMBER: _ClassVar[int]
    USERKEY_FIELD_NUMBER: _ClassVar[int]
    hash: bytes
    userKey: bytes
    def __init__(self, hash: _Optional[bytes] = ..., userKey: _Optional[bytes] = ...) -> None: ...

class AgentConfig(_message.Message):
    __slots__ = ("port", "host", "cert_file", "key_file", "client_ca_file", "server_ca_file", "log_level", "attested_tls")
    PORT_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    CERT_FILE_FIELD_NUMBER: _ClassVar[int]
    KEY_FILE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_CA_FILE_FIELD_NUMBER: _ClassVar[int]
    SERVER_CA_FILE_FIELD_NUMBER: _ClassVar[int]
    LOG_LEVEL_FIELD_NUMBER: _ClassVar[int]
    ATTESTED_TLS_FIELD_NUMBER: _ClassVar[int]
    port: str
    host: str
    cert_file: str
    key_file: str
    client_ca_file: str
    server_ca_file: str
    log_level: str
    attested_tls: bool
    def __init__(self, port: _Optional[str] = ..., host: _Optional[str] = ..., cert_file: _Optional[str] = ..., key_file: _Optional[str] = ..., client_ca_file: _Optional[str] = ..., server_ca_file: _Optional[str] = ..., log_level: _Optional[str] = ..., attested_tls: _Optional[bool] = ...) -> None: ...

class Terminate(_message.Message):
    __slots__ = ("message",)
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: str
    def __init__(self, message: _Optional[str] = ...) -> None: ...

class StopComputation(_message.Message):
    __slots__ = ("computation_id",)
    COMPUTATION_ID_FIELD_NUMBER: _ClassVar[int]
    computation_id: str
    def __init__(self, computation_id: _Optional[str] = ...) -> None: ...

class AttestationPolicyReq(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class SVMInfoReq(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...
