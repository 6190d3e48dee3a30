"""gRPC clients for the daemon under test, over real TLS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


class BearerToken(grpc.aio.UnaryUnaryClientInterceptor, grpc.aio.UnaryStreamClientInterceptor):
    """Adds ``authorization: Bearer <token>`` to every call."""

    def __init__(self, token: str) -> None:
        self._metadata = ("authorization", f"Bearer {token}")

    def _with_token(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        metadata.add(*self._metadata)
        return details._replace(metadata=metadata)

    async def intercept_unary_unary(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return await continuation(self._with_token(details), request)

    async def intercept_unary_stream(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return await continuation(self._with_token(details), request)


def secure_channel(address: str, ca_pem: bytes, token: str | None = None) -> grpc.aio.Channel:
    credentials = grpc.ssl_channel_credentials(root_certificates=ca_pem)
    interceptors = [BearerToken(token)] if token else []
    return grpc.aio.secure_channel(address, credentials, interceptors=interceptors)


def field_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    """Return the BadRequest field violations of a failed call, by field."""
    status = rpc_status.from_call(error)
    if status is None:
        return {}
    violations: dict[str, str] = {}
    for detail in status.details:
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(bad_request):
            for violation in bad_request.field_violations:
                violations[violation.field] = violation.description
    return violations
