"""Session internals without a network: queue bounds, terminate, waiting requests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from backendsd.backends.model import Backend
from backendsd.connections.requests import ResponseKind
from backendsd.connections.session import (
    Session,
    SessionBusyError,
    SessionClosedError,
    SessionEnd,
    SessionEndKind,
    SessionLimits,
)
from backendsd.errors import DeadlineExceededError, UnavailableError
from backendsd.proto.manager import manager_pb2

BACKEND = Backend(id="b1", name="n", description="", address="10.0.0.1", created_at=0, updated_at=0)


def probe(request_id: str = "p") -> manager_pb2.ServerStreamMessage:
    return manager_pb2.ServerStreamMessage(svmInfoReq=manager_pb2.SVMInfoReq(id=request_id))


class FakeStream:
    """The two ends a session uses: inbound messages to read, and a writer that can be held."""

    def __init__(self) -> None:
        self.inbound: asyncio.Queue[manager_pb2.ClientStreamMessage | None] = asyncio.Queue()
        self.written: list[manager_pb2.ServerStreamMessage] = []
        self.writable = asyncio.Event()
        self.writable.set()

    async def read_all(self) -> AsyncIterator[manager_pb2.ClientStreamMessage]:
        while (message := await self.inbound.get()) is not None:
            yield message

    async def write(self, message: manager_pb2.ServerStreamMessage) -> None:
        await self.writable.wait()
        self.written.append(message)


def start(session: Session, stream: FakeStream) -> asyncio.Task[object]:
    return asyncio.create_task(session.run(stream.read_all(), stream.write, lambda s, m: None))


async def test_send_rejects_beyond_message_limit() -> None:
    session = Session(backend=BACKEND, peer="p", certificate_serial="1", limits=SessionLimits(max_queued_messages=2))
    session.send(probe("a"), probe("b"))

    with pytest.raises(SessionBusyError):
        session.send(probe("c"))


async def test_send_is_all_or_nothing() -> None:
    """Messages that do not all fit are not queued at all."""
    session = Session(backend=BACKEND, peer="p", certificate_serial="1", limits=SessionLimits(max_queued_messages=3))
    session.send(probe("a"))
    stream = FakeStream()

    with pytest.raises(SessionBusyError):
        session.send(probe("b"), probe("c"), probe("d"))
    task = start(session, stream)
    await asyncio.sleep(0.05)
    session.close(session_end_disconnected())
    await task

    assert [m.svmInfoReq.id for m in stream.written] == ["a"]


def session_end_disconnected() -> SessionEnd:
    return SessionEnd(SessionEndKind.DISCONNECTED, "test")


async def test_terminate_is_written_then_session_ends() -> None:
    session = Session(backend=BACKEND, peer="p", certificate_serial="1")
    stream = FakeStream()
    task = start(session, stream)

    await session.terminate("terminated by operator")
    end = await task

    assert stream.written[-1].terminateReq.message == "terminated by operator"
    assert end.kind is SessionEndKind.TERMINATED


async def test_stalled_writer_ends_session() -> None:
    """A write the manager does not take within write_timeout ends the session as stalled."""
    session = Session(backend=BACKEND, peer="p", certificate_serial="1", limits=SessionLimits(write_timeout=0.1))
    stream = FakeStream()
    stream.writable.clear()
    task = start(session, stream)

    session.send(probe())
    end = await asyncio.wait_for(task, 5)

    assert end.kind is SessionEndKind.STALLED


async def test_request_times_out() -> None:
    session = Session(backend=BACKEND, peer="p", certificate_serial="1")
    stream = FakeStream()
    task = start(session, stream)

    with pytest.raises(DeadlineExceededError):
        await session.request([probe("q")], expect=ResponseKind.SVM_INFO, key="q", timeout=0.05)

    assert len(session.pending) == 0
    session.close(session_end_disconnected())
    await task


async def test_request_fails_when_session_ends() -> None:
    session = Session(backend=BACKEND, peer="p", certificate_serial="1")
    stream = FakeStream()
    task = start(session, stream)
    waiting = asyncio.create_task(session.request([probe("q")], expect=ResponseKind.SVM_INFO, key="q", timeout=5))
    await asyncio.sleep(0.05)

    await stream.inbound.put(None)  # the manager closes its side
    await task

    with pytest.raises(UnavailableError):
        await waiting
    assert len(session.pending) == 0


async def test_send_after_end_fails() -> None:
    session = Session(backend=BACKEND, peer="p", certificate_serial="1")
    session.close(session_end_disconnected())

    with pytest.raises(SessionClosedError):
        session.send(probe())


async def test_cancel_during_teardown_still_fails_waiters() -> None:
    """grpc.aio cancels the handler when the manager goes away, possibly while the session tears down.

    The waiting request must still fail at once with UnavailableError
    instead of waiting out its timeout.
    """
    session = Session(backend=BACKEND, peer="p", certificate_serial="1")

    async def slow_to_stop() -> AsyncIterator[manager_pb2.ClientStreamMessage]:
        try:
            await asyncio.Event().wait()
        finally:
            # A reader that needs a moment to stop keeps the teardown waiting at its await.
            await asyncio.sleep(0.2)
        yield manager_pb2.ClientStreamMessage()

    async def write(message: manager_pb2.ServerStreamMessage) -> None:
        return None

    running = asyncio.create_task(session.run(slow_to_stop(), write, lambda s, m: None))
    await asyncio.sleep(0.01)
    waiter = asyncio.create_task(session.request([probe("w")], expect=ResponseKind.SVM_INFO, key="w", timeout=30))
    await asyncio.sleep(0.01)

    session.close(SessionEnd(SessionEndKind.DISCONNECTED, "the manager closed the stream"))
    await asyncio.sleep(0.05)
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)

    with pytest.raises(UnavailableError):
        await asyncio.wait_for(waiter, timeout=1)
