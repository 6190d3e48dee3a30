"""gRPC clients for the daemon under test, over real TLS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


class _BearerToken:
    def __init__(self, token: str) -> None:
        self._metadata = ("authorization", f"Bearer {token}")

    def _with_token(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        metadata.add(*self._metadata)
        return details._replace(metadata=metadata)


# grpc.aio files each interceptor under one call type only, so unary and
# streaming responses need one class each.
class BearerTokenUnary(_BearerToken, grpc.aio.UnaryUnaryClientInterceptor):
    """Adds ``authorization: Bearer <token>`` to every unary call."""

    async def intercept_unary_unary(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return await continuation(self._with_token(details), request)


class BearerTokenStream(_BearerToken, grpc.aio.UnaryStreamClientInterceptor):
    """Adds ``authorization: Bearer <token>`` to every server-streaming call."""

    async def intercept_unary_stream(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return await continuation(self._with_token(details), request)


# Client options that keep the HTTP/2 receive window at its initial 64 KiB:
# with BDP probing a client that does not read buffers about 4 MiB, which
# makes "slow reader" tests slow.
SMALL_WINDOW = (("grpc.http2.bdp_probe", 0),)


def secure_channel(
    address: str, ca_pem: bytes, token: str | None = None, options: tuple[tuple[str, Any], ...] = ()
) -> grpc.aio.Channel:
    credentials = grpc.ssl_channel_credentials(root_certificates=ca_pem)
    interceptors: list[Any] = [BearerTokenUnary(token), BearerTokenStream(token)] if token else []
    return grpc.aio.secure_channel(address, credentials, interceptors=interceptors, options=list(options))


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
