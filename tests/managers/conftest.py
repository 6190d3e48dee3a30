"""Fixtures for manager-stream tests: enrolled backends and connected managers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest

from backendsd.proto.backendsd.v1 import backends_pb2_grpc, certs_pb2_grpc
from tests.helpers.daemon import DaemonProcess
from tests.helpers.manager import ManagerClient, ManagerIdentity, enroll


@pytest.fixture
async def identity(backends: backends_pb2_grpc.BackendsStub, certs: certs_pb2_grpc.CertsStub) -> ManagerIdentity:
    return await enroll(backends, certs)


ConnectManager = Callable[[ManagerIdentity], Coroutine[Any, Any, ManagerClient]]


@pytest.fixture
async def connect(daemon: DaemonProcess) -> AsyncIterator[ConnectManager]:
    """Open manager streams to the daemon; they are closed after the test."""
    clients: list[ManagerClient] = []

    async def open_stream(identity: ManagerIdentity) -> ManagerClient:
        client = ManagerClient(daemon.manager_address, identity)
        clients.append(client)
        return client

    yield open_stream
    for client in clients:
        await client.close()
