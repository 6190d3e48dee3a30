"""One manager's stream: its identity, outbound queue, reader and end.

The session's writer (``run``) is the only code that writes to the stream.
Other code queues messages with ``send``, which never waits: a full queue
raises SessionBusyError, and a write the manager does not take within
``write_timeout`` ends the session. A manager that stops reading so delays
only its own session.
"""

from __future__ import annotations

import asyncio
import collections
import enum
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import structlog
from google.protobuf.message import DecodeError

from backendsd.backends.model import Backend
from backendsd.clock import now_us
from backendsd.connections.model import ConnectionState, ConnectionStatus
from backendsd.connections.requests import ResponseKind, PendingRequests
from backendsd.errors import DeadlineExceededError, FailedPreconditionError, ResourceExhaustedError
from backendsd.proto.manager import manager_pb2

logger = structlog.get_logger(__name__)

Writer = Callable[[manager_pb2.ServerStreamMessage], Awaitable[None]]
InboundHandler = Callable[["Session", manager_pb2.ClientStreamMessage], Awaitable[None] | None]


class SessionEndKind(enum.Enum):
    DISCONNECTED = "disconnected"
    """The stream failed or the manager closed it."""

    SUPERSEDED = "superseded"
    TERMINATED = "terminated"
    SHUTDOWN = "shutdown"
    STALLED = "stalled"
    """The manager did not read what the daemon wrote."""

    PROTOCOL_ERROR = "protocol_error"
    """The manager sent bytes that do not decode as a ClientStreamMessage."""


@dataclass(frozen=True)
class SessionEnd:
    kind: SessionEndKind
    reason: str


class SessionClosedError(FailedPreconditionError):
    """The session ended before the message could be sent."""


class SessionBusyError(ResourceExhaustedError):
    """The session's outbound queue is full: the manager is not reading fast enough."""


@dataclass(frozen=True)
class SessionLimits:
    max_queued_messages: int = 256
    """Messages that may wait in the outbound queue."""

    max_queued_bytes: int = 32 * 1024 * 1024
    """Serialized bytes that may wait in the outbound queue."""

    write_timeout: float = 15.0
    """Seconds one write may wait for the manager to read before the session ends."""


@dataclass
class _Outbound:
    message: manager_pb2.ServerStreamMessage | None
    """None marks the point where the session closes after earlier messages were written."""

    size: int = 0
    written: asyncio.Future[None] | None = None


@dataclass(eq=False)
class Session:
    """A live, authenticated manager stream of one backend."""

    backend: Backend
    peer: str
    certificate_serial: str
    limits: SessionLimits = field(default_factory=SessionLimits)
    connected_since: int = field(default_factory=now_us)
    last_seen: int = field(default_factory=now_us)
    status: ConnectionStatus = ConnectionStatus.CONNECTED

    # Health probe bookkeeping, owned by the registry's monitor.
    probe_id: str = ""
    probe_sent_at: int = 0
    """Wall-clock microseconds, compared with ``last_seen``."""

    probe_deadline: float = 0.0
    next_probe_at: float = 0.0
    next_check_at: float = 0.0
    """These three are on the monotonic clock, like the monitor's schedule."""

    _outbox: collections.deque[_Outbound] = field(default_factory=collections.deque, init=False, repr=False)
    _queued_bytes: int = field(default=0, init=False, repr=False)
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)
    _end: SessionEnd | None = field(default=None, init=False)
    pending: PendingRequests = field(default_factory=PendingRequests, init=False, repr=False)

    @property
    def backend_id(self) -> str:
        return self.backend.id

    @property
    def end(self) -> SessionEnd | None:
        return self._end

    @property
    def state(self) -> ConnectionState:
        return ConnectionState(
            status=self.status,
            connected_since=self.connected_since,
            last_seen=self.last_seen,
            peer=self.peer,
            certificate_serial=self.certificate_serial,
        )

    def send(self, *messages: manager_pb2.ServerStreamMessage) -> None:
        """Queue ``messages`` for the manager without waiting: all of them, or none if they do not fit."""
        self._check_open()
        sizes = [message.ByteSize() for message in messages]
        if (
            len(self._outbox) + len(messages) > self.limits.max_queued_messages
            or self._queued_bytes + sum(sizes) > self.limits.max_queued_bytes
        ):
            raise SessionBusyError(
                f"the outbound queue of backend {self.backend_id} is full; the manager is not reading fast enough"
            )
        for message, size in zip(messages, sizes):
            self._enqueue(_Outbound(message, size))

    async def request(
        self,
        messages: list[manager_pb2.ServerStreamMessage],
        *,
        expect: ResponseKind,
        key: str,
        timeout: float,
    ) -> manager_pb2.ClientStreamMessage:
        """Send ``messages`` and return the manager's response of kind ``expect`` for ``key``.

        Raises DeadlineExceededError after ``timeout`` seconds, UnavailableError
        when the session ends first, and AlreadyExistsError when the same
        response is already awaited.
        """
        with self.pending.expect(expect, key) as responded:
            self.send(*messages)
            try:
                async with asyncio.timeout(timeout):
                    return await responded
            except TimeoutError:
                raise DeadlineExceededError(
                    f"backend {self.backend_id} did not respond to the {expect.value} request for {key!r} "
                    f"within {timeout:g} s"
                ) from None

    async def terminate(self, message: str) -> None:
        """Send Terminate with ``message``, end the stream, and return once it was written.

        The Terminate message may go past a full queue: it is the last thing
        this session sends.
        """
        self._check_open()
        written = asyncio.get_running_loop().create_future()
        terminate = manager_pb2.ServerStreamMessage(terminateReq=manager_pb2.Terminate(message=message))
        self._enqueue(_Outbound(terminate, terminate.ByteSize(), written))
        self._enqueue(_Outbound(None))
        self._end = SessionEnd(SessionEndKind.TERMINATED, message)
        await written

    def close(self, end: SessionEnd) -> None:
        """End the session now, dropping what is still queued. A second call has no effect."""
        if self._end is None:
            self._end = end
        self._outbox.appendleft(_Outbound(None))
        self._wakeup.set()

    async def run(
        self,
        inbound: AsyncIterator[manager_pb2.ClientStreamMessage],
        write: Writer,
        on_message: InboundHandler,
    ) -> SessionEnd:
        """Read and write the stream until the session ends; return how it ended."""
        reader = asyncio.create_task(self._read(inbound, on_message), name=f"session-reader-{self.backend_id}")
        try:
            await self._write_until_closed(write)
        finally:
            reader.cancel()
            # Waiters fail before the first await here: grpc.aio cancels this
            # handler when the manager goes away, and a cancel at that await
            # would skip the rest of the block, leaving them to time out.
            self._fail_unwritten()
            self.pending.fail_all(self._end.reason if self._end else "the stream ended")
            await asyncio.gather(reader, return_exceptions=True)
        assert self._end is not None  # the writer returns only after an end was set
        return self._end

    def _check_open(self) -> None:
        if self._end is not None:
            raise SessionClosedError(f"the session of backend {self.backend_id} has ended: {self._end.reason}")

    def _enqueue(self, item: _Outbound) -> None:
        self._outbox.append(item)
        self._queued_bytes += item.size
        self._wakeup.set()

    async def _read(self, inbound: AsyncIterator[manager_pb2.ClientStreamMessage], on_message: InboundHandler) -> None:
        kind, reason = SessionEndKind.DISCONNECTED, "the manager closed the stream"
        try:
            async for message in inbound:
                self.last_seen = now_us()
                slow_down = on_message(self, message)
                if slow_down is not None:
                    await slow_down
        except asyncio.CancelledError:
            raise
        except DecodeError as error:
            kind, reason = SessionEndKind.PROTOCOL_ERROR, f"the manager sent an invalid ClientStreamMessage: {error}"
        except Exception as error:  # noqa: BLE001 - any other stream failure ends the session the same way
            reason = f"stream failed: {error}"
        self.close(SessionEnd(kind, reason))

    async def _write_until_closed(self, write: Writer) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._outbox:
                item = self._outbox.popleft()
                if item.message is None:
                    return
                self._queued_bytes -= item.size
                if not await self._write_one(write, item):
                    return

    async def _write_one(self, write: Writer, item: _Outbound) -> bool:
        """Write one message; return False when the session has to end instead."""
        assert item.message is not None
        try:
            async with asyncio.timeout(self.limits.write_timeout):
                await write(item.message)
        except asyncio.CancelledError:
            # grpc.aio cancels the handler when the peer ends the call, which a
            # manager does as soon as it reads Terminate, often before this
            # write completes. The message was handed to the transport, so the
            # waiter learns it was sent instead of waiting forever.
            if item.written is not None and not item.written.done():
                item.written.set_result(None)
            raise
        except TimeoutError:
            self.close(
                SessionEnd(SessionEndKind.STALLED, f"the manager did not read for {self.limits.write_timeout:g} s")
            )
            return False
        except Exception as error:  # noqa: BLE001 - a failed write means the stream is gone
            self.close(SessionEnd(SessionEndKind.DISCONNECTED, f"write failed: {error}"))
            return False
        if item.written is not None and not item.written.done():
            item.written.set_result(None)
        return True

    def _fail_unwritten(self) -> None:
        reason = self._end.reason if self._end else "session ended"
        for item in self._outbox:
            if item.written is not None and not item.written.done():
                item.written.set_exception(SessionClosedError(f"message not sent: {reason}"))
        self._outbox.clear()
        self._queued_bytes = 0
