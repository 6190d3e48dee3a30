"""The server interceptor that every management RPC passes through.

It authorizes the bearer token against the role the method needs, decodes
the request of unary-request methods, maps domain errors to statuses (through
:func:`backendsd.api.status.status_for`), turns unexpected exceptions into
INTERNAL without leaking their text, and logs one line per RPC.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import grpc
import structlog
from google.protobuf.message import DecodeError

from backendsd.api.status import abort_with, status_for
from backendsd.auth.authenticator import Authenticator
from backendsd.auth.tokens import Role
from backendsd.errors import BackendsdError, MalformedRequestError, UnauthenticatedError

logger = structlog.get_logger(__name__)

# Services callable without a token: standard infrastructure that clients and
# load balancers call before they have one.
PUBLIC_SERVICE_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)

Behavior = Callable[..., Any]
Deserializer = Callable[[bytes], Any]

# Time left before the deadline within which a cancelled call is logged as
# DEADLINE_EXCEEDED: a tenth of the call's whole deadline, within these
# bounds. It covers the request's transit time on a loaded host, and the
# tenth keeps an early cancel of a short call from counting as a deadline.
_DEADLINE_MARGIN_FRACTION = 0.1
_DEADLINE_MARGIN_SECONDS = (0.05, 0.25)



class ManagementInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]  # grpc.aio ships no type hints
    """Authorizes, maps errors and logs every RPC of the management listener.

    ``required_roles`` maps full method names (``/package.Service/Method``)
    to the role they need. A method that is neither listed nor public needs
    admin, so an undeclared method fails closed.
    """

    def __init__(self, *, authenticator: Authenticator, required_roles: Mapping[str, Role]) -> None:
        self._authenticator = authenticator
        self._required_roles = dict(required_roles)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None

        method: str = handler_call_details.method
        public = method.startswith(PUBLIC_SERVICE_PREFIXES)
        call = _Call(
            method=method,
            required_role=None if public else self._required_roles.get(method, Role.ADMIN),
            authenticator=self._authenticator,
        )
        return _wrap_handler(handler, call)


class _Call:
    """Per-method state of the interceptor: the method name, its required role and the steps around it."""

    def __init__(self, *, method: str, required_role: Role | None, authenticator: Authenticator) -> None:
        self.method = method
        self.required_role = required_role
        self._authenticator = authenticator

    async def authorize(self, context: grpc.aio.ServicerContext) -> None:
        if self.required_role is None:
            return
        values = [value for key, value in context.invocation_metadata() or () if key == "authorization"]
        # With several values, which one a proxy or the server picks is not
        # defined, so none is trusted.
        if len(values) > 1:
            raise UnauthenticatedError(
                f"the request has {len(values)} authorization metadata values; send exactly one authorization header"
            )
        await self._authenticator.authorize(values[0] if values else None, self.required_role, peer=context.peer())

    def log(self, context: grpc.aio.ServicerContext, code: grpc.StatusCode, started: float) -> None:
        # Public infrastructure calls (health probes every few seconds) would
        # drown the log at info level. The method is in the context as rpc_method.
        log = logger.debug if self.required_role is None else logger.info
        log(
            "rpc_finished",
            code=code.name,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            peer=context.peer(),
        )


async def _run_guarded(call: _Call, context: grpc.aio.ServicerContext, body: Callable[[], Awaitable[Any]]) -> Any:
    """Authorize, run ``body``, turn errors into statuses and log the outcome."""
    started = time.perf_counter()
    code = grpc.StatusCode.OK
    with structlog.contextvars.bound_contextvars(rpc_method=call.method):
        try:
            await call.authorize(context)
            return await body()
        except BackendsdError as error:
            status = status_for(error)
            code = status.code
            await abort_with(context, status)
        except grpc.aio.AbortError:
            code = _code_of(context, default=grpc.StatusCode.UNKNOWN)
            raise
        except asyncio.CancelledError:
            # grpc.aio cancels the handler when the deadline passes, the
            # client cancels or the server stops; no status can be sent.
            code = _cancellation_code(context, elapsed=time.perf_counter() - started)
            raise
        except Exception:
            code = grpc.StatusCode.INTERNAL
            logger.exception("rpc_failed", peer=context.peer())
            await context.abort(grpc.StatusCode.INTERNAL, "internal error; the daemon log has the details")
        finally:
            call.log(context, code, started)


def _code_of(context: grpc.aio.ServicerContext, default: grpc.StatusCode) -> grpc.StatusCode:
    code = context.code()
    return code if isinstance(code, grpc.StatusCode) else default


def _cancellation_code(context: grpc.aio.ServicerContext, *, elapsed: float) -> grpc.StatusCode:
    # The client's deadline timer starts before the request is sent and the
    # server's when the headers arrive, so the client usually fires first
    # and resets the stream while the server still has a little time left.
    # A cancellation that close to the deadline is the deadline.
    remaining = context.time_remaining()
    if remaining is None:
        return grpc.StatusCode.CANCELLED
    lowest, highest = _DEADLINE_MARGIN_SECONDS
    margin = min(highest, max(lowest, _DEADLINE_MARGIN_FRACTION * (elapsed + remaining)))
    if remaining <= margin:
        return grpc.StatusCode.DEADLINE_EXCEEDED
    return grpc.StatusCode.CANCELLED


def _decoder(deserializer: Deserializer | None) -> Deserializer:
    """Return a function that decodes raw request bytes, raising MalformedRequestError if they are invalid."""
    if deserializer is None:
        return lambda raw: raw
    message_type = getattr(deserializer, "__self__", None)
    descriptor = getattr(message_type, "DESCRIPTOR", None)
    message_name = descriptor.full_name if descriptor is not None else "request message"

    def decode(raw: bytes) -> Any:
        try:
            return deserializer(raw)
        except DecodeError as error:
            raise MalformedRequestError(f"request is not a valid {message_name}: {error}") from error

    return decode


def _wrap_handler(handler: grpc.RpcMethodHandler, call: _Call) -> grpc.RpcMethodHandler:
    # Unary requests reach the wrapper as raw bytes and are decoded inside
    # the guarded body, so bad bytes get a status and a log line like any
    # other error. grpcio decodes stream requests itself.
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(
            _wrap_unary_response(handler.unary_unary, call, _decoder(handler.request_deserializer)),
            request_deserializer=None,
            response_serializer=handler.response_serializer,
        )
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(
            _wrap_unary_response(handler.stream_unary, call, _decoder(None)),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(
            _wrap_streaming_response(handler.unary_stream, call, _decoder(handler.request_deserializer)),
            request_deserializer=None,
            response_serializer=handler.response_serializer,
        )
    return grpc.stream_stream_rpc_method_handler(
        _wrap_streaming_response(handler.stream_stream, call, _decoder(None)),
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def _wrap_unary_response(behavior: Behavior, call: _Call, decode: Deserializer) -> Behavior:
    async def wrapper(request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await _run_guarded(call, context, lambda: behavior(decode(request), context))

    return wrapper


def _wrap_streaming_response(behavior: Behavior, call: _Call, decode: Deserializer) -> Behavior:
    """Wrap a response-streaming behavior, written as an async generator or with context.write."""

    async def wrapper(request: Any, context: grpc.aio.ServicerContext) -> None:
        # Responses are written from inside the guarded body, so an error
        # raised between two responses is mapped like any other.
        async def stream_all() -> None:
            result = behavior(decode(request), context)
            if inspect.isasyncgen(result):
                async for response in result:
                    await context.write(response)
            else:
                await result

        await _run_guarded(call, context, stream_all)

    return wrapper
