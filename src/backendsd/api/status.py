"""The one mapping from domain errors to gRPC statuses."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import grpc
import structlog
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from backendsd.errors import (
    AlreadyExistsError,
    BackendsdError,
    DeadlineExceededError,
    FailedPreconditionError,
    FieldViolation,
    InvalidArgumentError,
    MalformedRequestError,
    NotFoundError,
    PermissionDeniedError,
    ResourceExhaustedError,
    UnauthenticatedError,
    UnavailableError,
)

logger = structlog.get_logger(__name__)

# Seconds that sending an error status may wait for a peer that does not read.
ABORT_TIMEOUT_SECONDS = 5.0

# gRPC clients reject trailers over 16 KiB by default (and report
# RESOURCE_EXHAUSTED instead of the real status). The message travels twice,
# percent-encoded in grpc-message and base64-encoded in the status details,
# together with the violations, so both are kept far below that limit.
MAX_REPORTED_VIOLATIONS = 10
MAX_VIOLATION_DESCRIPTION_BYTES = 200
MAX_MESSAGE_BYTES = 2048

_CODES: tuple[tuple[type[BackendsdError], grpc.StatusCode], ...] = (
    (InvalidArgumentError, grpc.StatusCode.INVALID_ARGUMENT),
    (MalformedRequestError, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFoundError, grpc.StatusCode.NOT_FOUND),
    (AlreadyExistsError, grpc.StatusCode.ALREADY_EXISTS),
    (FailedPreconditionError, grpc.StatusCode.FAILED_PRECONDITION),
    (UnauthenticatedError, grpc.StatusCode.UNAUTHENTICATED),
    (PermissionDeniedError, grpc.StatusCode.PERMISSION_DENIED),
    (ResourceExhaustedError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (DeadlineExceededError, grpc.StatusCode.DEADLINE_EXCEEDED),
    (UnavailableError, grpc.StatusCode.UNAVAILABLE),
)


@dataclass(frozen=True)
class RpcStatus:
    code: grpc.StatusCode
    details: str
    trailing_metadata: tuple[tuple[str, str | bytes], ...] = ()


def status_for(error: BackendsdError) -> RpcStatus:
    """Return the status that reports ``error`` to a gRPC client.

    Invalid arguments also carry a ``google.rpc.BadRequest`` detail with one
    field violation per rejected field, in the ``grpc-status-details-bin``
    trailer that grpcurl and the gRPC status libraries decode. Only the first
    MAX_REPORTED_VIOLATIONS violations are reported, and the message ends with
    the number left out.
    """
    code = _code_for(error)
    if not isinstance(error, InvalidArgumentError):
        return RpcStatus(code, _cut_to_bytes(error.message, MAX_MESSAGE_BYTES))

    reported = [
        FieldViolation(v.field, _cut_to_bytes(v.description, MAX_VIOLATION_DESCRIPTION_BYTES))
        for v in error.violations[:MAX_REPORTED_VIOLATIONS]
    ]
    message = "; ".join(v.description for v in reported)
    left_out = len(error.violations) - len(reported)
    if left_out:
        message += f"; and {left_out} more"

    bad_request = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description) for v in reported
        ]
    )
    detail = any_pb2.Any()
    detail.Pack(bad_request)
    status = rpc_status.to_status(
        status_pb2.Status(code=code.value[0], message=_cut_to_bytes(message, MAX_MESSAGE_BYTES), details=[detail])
    )
    return RpcStatus(status.code, status.details, tuple(status.trailing_metadata))


def _cut_to_bytes(text: str, max_bytes: int) -> str:
    """Return ``text`` cut so that its UTF-8 form has at most ``max_bytes`` bytes, marked with "..."."""
    encoded = text.encode()
    if len(encoded) <= max_bytes:
        return text
    return encoded[: max_bytes - 3].decode(errors="ignore") + "..."


def _code_for(error: BackendsdError) -> grpc.StatusCode:
    for error_type, code in _CODES:
        if isinstance(error, error_type):
            return code
    return grpc.StatusCode.UNKNOWN


async def abort_with(context: grpc.aio.ServicerContext, status: RpcStatus) -> None:
    """End the call with ``status``, giving up after ABORT_TIMEOUT_SECONDS.

    grpc.aio sends the status before abort returns. On a stream whose peer
    stopped reading, the status waits behind queued messages (HTTP/2 sends
    trailers after data), so without a bound the handler, and everything it
    holds, would stay alive as long as the peer does.
    """
    try:
        async with asyncio.timeout(ABORT_TIMEOUT_SECONDS):
            await context.abort(status.code, status.details, status.trailing_metadata)
    except TimeoutError:
        logger.warning("rpc_status_not_delivered", code=status.code.name, peer=context.peer())
