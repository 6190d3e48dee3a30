"""Conversions between domain records and API messages."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from backendsd.backends.model import Backend
from backendsd.proto.backendsd.v1 import backends_pb2


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
