"""Fixtures: a real daemon per test, and authenticated clients for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest

from backendsd.proto.backendsd.v1 import backends_pb2_grpc, certs_pb2_grpc
from tests.helpers.client import secure_channel
from tests.helpers.daemon import DaemonProcess, run_cli, start_daemon
from tests.helpers.manager import ConnectManager, ManagerClient, ManagerIdentity, enroll


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def daemon(data_dir: Path) -> Iterator[DaemonProcess]:
    process = start_daemon(data_dir)
    yield process
    process.kill()


@pytest.fixture
def viewer_token(daemon: DaemonProcess) -> str:
    created = run_cli("token", "create", "--data-dir", str(daemon.data_dir), "--role", "viewer", "--name", "viewer")
    return created.stdout.strip()


@pytest.fixture
async def admin_channel(daemon: DaemonProcess) -> AsyncIterator[grpc.aio.Channel]:
    channel = secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token)
    yield channel
    await channel.close()


@pytest.fixture
async def backends(admin_channel: grpc.aio.Channel) -> backends_pb2_grpc.BackendsStub:
    """Backends client with the admin token."""
    return backends_pb2_grpc.BackendsStub(admin_channel)


@pytest.fixture
async def viewer_backends(daemon: DaemonProcess, viewer_token: str) -> AsyncIterator[backends_pb2_grpc.BackendsStub]:
    channel = secure_channel(daemon.api_address, daemon.ca_pem, viewer_token)
    yield backends_pb2_grpc.BackendsStub(channel)
    await channel.close()


@pytest.fixture
async def certs(admin_channel: grpc.aio.Channel) -> certs_pb2_grpc.CertsStub:
    """Certs client with the admin token."""
    return certs_pb2_grpc.CertsStub(admin_channel)


@pytest.fixture
async def viewer_certs(daemon: DaemonProcess, viewer_token: str) -> AsyncIterator[certs_pb2_grpc.CertsStub]:
    channel = secure_channel(daemon.api_address, daemon.ca_pem, viewer_token)
    yield certs_pb2_grpc.CertsStub(channel)
    await channel.close()


@pytest.fixture
async def identity(backends: backends_pb2_grpc.BackendsStub, certs: certs_pb2_grpc.CertsStub) -> ManagerIdentity:
    return await enroll(backends, certs)


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
