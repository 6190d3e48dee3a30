"""Conversions between domain records and API messages."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from backendsd.backends.model import Backend
from backendsd.certs.model import CertificateRecord
from backendsd.proto.backendsd.v1 import backends_pb2, certs_pb2


def timestamp_from_us(microseconds: int) -> Timestamp:
    seconds, remainder = divmod(microseconds, 1_000_000)
    return Timestamp(seconds=seconds, nanos=remainder * 1_000)


def backend_to_proto(backend: Backend) -> backends_pb2.Backend:
    return backends_pb2.Backend(
        id=backend.id,
        name=backend.name,
        description=backend.description,
        address=backend.address,
        created_at=timestamp_from_us(backend.created_at),
        updated_at=timestamp_from_us(backend.updated_at),
        # NOTE: no manager sessions exist yet, so every backend is disconnected.
        connection=backends_pb2.Connection(status=backends_pb2.CONNECTION_STATUS_DISCONNECTED),
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
