"""Session unit tests with an in-memory stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from backendsd.backends.model import Backend
from backendsd.connections.session import Session
from backendsd.proto.manager import manager_pb2


def _session() -> Session:
    backend = Backend(
        id="7f1c2b1e-0d7a-4a9b-8f57-3f7e2f0c9a11",
        name="b",
        description="",
        address="10.0.0.1",
        created_at=0,
        updated_at=0,
    )
    return Session(backend=backend, peer="ipv4:127.0.0.1:1", certificate_serial="1")


async def _silent_inbound() -> AsyncIterator[manager_pb2.ClientStreamMessage]:
    await asyncio.Event().wait()
    yield manager_pb2.ClientStreamMessage()


async def test_terminate_returns_when_call_cancelled_mid_write() -> None:
    """terminate() returns when grpc cancels the handler while the Terminate write is in flight."""
    session = _session()
    write_started = asyncio.Event()

    async def write(message: manager_pb2.ServerStreamMessage) -> None:
        write_started.set()
        await asyncio.Event().wait()  # the peer never acknowledges; the call is cancelled instead

    runner = asyncio.create_task(session.run(_silent_inbound(), write, lambda session, message: None))
    terminating = asyncio.create_task(session.terminate("terminated by operator"))
    await asyncio.wait_for(write_started.wait(), 5)
    runner.cancel()

    await asyncio.wait_for(terminating, 5)
    assert terminating.exception() is None
