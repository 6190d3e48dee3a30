"""Conversions between domain records and API messages."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from backendsd.backends.model import Backend, BackendInformation, SvmInfo
from backendsd.computations.model import AgentEventRecord, AgentLogRecord, AgentRecord
from backendsd.certs.model import CertificateRecord
from backendsd.proto.backendsd.v1 import backends_pb2, certs_pb2, computations_pb2
from backendsd.connections.model import ConnectionState, ConnectionStatus, TerminationType, Transition, TransitionType
from backendsd.events import BackendEvent, BackendEventType


CONNECTION_STATUSES = {
    ConnectionStatus.DISCONNECTED: backends_pb2.CONNECTION_STATUS_DISCONNECTED,
    ConnectionStatus.CONNECTED: backends_pb2.CONNECTION_STATUS_CONNECTED,
    ConnectionStatus.UNRESPONSIVE: backends_pb2.CONNECTION_STATUS_UNRESPONSIVE,
}
_STATUS_FROM_PROTO: dict[int, ConnectionStatus] = {int(value): key for key, value in CONNECTION_STATUSES.items()}

_TERMINATION_TYPES: dict[int, TerminationType] = {
    backends_pb2.TERMINATION_TYPE_CERTIFICATE_REVOCATION: TerminationType.CERTIFICATE_REVOCATION,
    backends_pb2.TERMINATION_TYPE_USER_INITIATED: TerminationType.USER_INITIATED,
}

_TRANSITION_TYPES = {
    TransitionType.CONNECTED: backends_pb2.TRANSITION_TYPE_CONNECTED,
    TransitionType.DISCONNECTED: backends_pb2.TRANSITION_TYPE_DISCONNECTED,
    TransitionType.UNRESPONSIVE: backends_pb2.TRANSITION_TYPE_UNRESPONSIVE,
    TransitionType.SUPERSEDED: backends_pb2.TRANSITION_TYPE_SUPERSEDED,
    TransitionType.TERMINATED: backends_pb2.TRANSITION_TYPE_TERMINATED,
    TransitionType.REJECTED: backends_pb2.TRANSITION_TYPE_REJECTED,
}

_EVENT_TYPES = {
    BackendEventType.CREATED: backends_pb2.BACKEND_EVENT_TYPE_CREATED,
    BackendEventType.UPDATED: backends_pb2.BACKEND_EVENT_TYPE_UPDATED,
    BackendEventType.DELETED: backends_pb2.BACKEND_EVENT_TYPE_DELETED,
    BackendEventType.CONNECTED: backends_pb2.BACKEND_EVENT_TYPE_CONNECTED,
    BackendEventType.DISCONNECTED: backends_pb2.BACKEND_EVENT_TYPE_DISCONNECTED,
    BackendEventType.UNRESPONSIVE: backends_pb2.BACKEND_EVENT_TYPE_UNRESPONSIVE,
    BackendEventType.TERMINATED: backends_pb2.BACKEND_EVENT_TYPE_TERMINATED,
}


def timestamp_from_us(microseconds: int) -> Timestamp:
    seconds, remainder = divmod(microseconds, 1_000_000)
    return Timestamp(seconds=seconds, nanos=remainder * 1_000)


def connection_status_from_proto(value: int) -> ConnectionStatus | None:
    """Return the domain status of a proto enum value; None for UNSPECIFIED or unknown values."""
    return _STATUS_FROM_PROTO.get(value)


def termination_type_from_proto(value: int) -> TerminationType | None:
    return _TERMINATION_TYPES.get(value)


def connection_to_proto(connection: ConnectionState) -> backends_pb2.Connection:
    message = backends_pb2.Connection(
        status=CONNECTION_STATUSES[connection.status],
        peer=connection.peer,
        certificate_serial=connection.certificate_serial,
    )
    if connection.connected_since is not None:
        message.connected_since.CopyFrom(timestamp_from_us(connection.connected_since))
    if connection.last_seen is not None:
        message.last_seen.CopyFrom(timestamp_from_us(connection.last_seen))
    return message


def backend_to_proto(
    backend: Backend, connection: ConnectionState, information: BackendInformation | None = None
) -> backends_pb2.Backend:
    message = backends_pb2.Backend(
        id=backend.id,
        name=backend.name,
        description=backend.description,
        address=backend.address,
        created_at=timestamp_from_us(backend.created_at),
        updated_at=timestamp_from_us(backend.updated_at),
        connection=connection_to_proto(connection),
    )
    if information is not None and information.has_any:
        message.information.CopyFrom(information_to_proto(information))
    return message


def svm_info_to_proto(svm_info: SvmInfo) -> backends_pb2.SvmInfo:
    return backends_pb2.SvmInfo(
        ovmf_version=svm_info.ovmf_version,
        cpu_num=svm_info.cpu_num,
        cpu_type=svm_info.cpu_type,
        kernel_cmd=svm_info.kernel_cmd,
        eos_version=svm_info.eos_version,
    )


def information_to_proto(information: BackendInformation) -> backends_pb2.BackendInformation:
    message = backends_pb2.BackendInformation(attestation_policy=information.attestation_policy or b"")
    if information.attestation_policy_fetched_at is not None:
        message.attestation_policy_fetched_at.CopyFrom(timestamp_from_us(information.attestation_policy_fetched_at))
    if information.svm_info is not None:
        message.svm_info.CopyFrom(svm_info_to_proto(information.svm_info))
    if information.svm_info_fetched_at is not None:
        message.svm_info_fetched_at.CopyFrom(timestamp_from_us(information.svm_info_fetched_at))
    return message


def agent_log_to_proto(record: AgentLogRecord) -> computations_pb2.AgentLog:
    return computations_pb2.AgentLog(
        backend_id=record.backend_id,
        computation_id=record.computation_id,
        level=record.level,
        message=record.message,
        timestamp=timestamp_from_us(record.timestamp),
        received_at=timestamp_from_us(record.received_at),
    )


def agent_event_to_proto(record: AgentEventRecord) -> computations_pb2.AgentEvent:
    return computations_pb2.AgentEvent(
        backend_id=record.backend_id,
        computation_id=record.computation_id,
        event_type=record.event_type,
        details=record.details,
        originator=record.originator,
        status=record.status,
        timestamp=timestamp_from_us(record.timestamp),
        received_at=timestamp_from_us(record.received_at),
    )


def agent_record_to_proto(record: AgentRecord) -> computations_pb2.AgentRecord:
    if isinstance(record, AgentLogRecord):
        return computations_pb2.AgentRecord(log=agent_log_to_proto(record))
    return computations_pb2.AgentRecord(event=agent_event_to_proto(record))


def transition_to_proto(transition: Transition) -> backends_pb2.ConnectionTransition:
    return backends_pb2.ConnectionTransition(
        at=timestamp_from_us(transition.at),
        type=_TRANSITION_TYPES[transition.type],
        reason=transition.reason,
        peer=transition.peer,
        certificate_serial=transition.certificate_serial,
    )


def event_to_proto(event: BackendEvent) -> backends_pb2.BackendEvent:
    return backends_pb2.BackendEvent(
        type=_EVENT_TYPES[event.type],
        backend=backend_to_proto(event.backend, event.connection),
        at=timestamp_from_us(event.at),
    )


def certificate_to_proto(record: CertificateRecord) -> certs_pb2.Certificate:
    message = certs_pb2.Certificate(
        serial_number=str(record.serial_number),
        backend_id=record.backend_id,
        not_before=timestamp_from_us(record.not_before),
        not_after=timestamp_from_us(record.not_after),
        revoked=record.is_revoked,
        sha256_fingerprint=record.sha256_fingerprint,
        ip_addresses=record.ip_addresses,
        dns_names=record.dns_names,
        replaces_serial_number="" if record.replaces_serial_number is None else str(record.replaces_serial_number),
    )
    if record.revoked_at is not None:
        message.revoked_at.CopyFrom(timestamp_from_us(record.revoked_at))
    if record.revocation_reason is not None:
        # The proto enum uses the RFC 5280 codes as its numbers.
        message.revocation_reason = int(record.revocation_reason)  # type: ignore[assignment]  # enum fields take ints
    return message
