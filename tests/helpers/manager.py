"""An in-process manager client for tests that drive the stream message by message."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from backendsd.proto.backendsd.v1 import backends_pb2, backends_pb2_grpc, certs_pb2, certs_pb2_grpc
from backendsd.proto.manager import manager_pb2, manager_pb2_grpc

READ_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class ManagerIdentity:
    """A backend with a client certificate, as an operator would hand it to a manager."""

    backend_id: str
    serial_number: str
    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes

    def write(self, directory: Path) -> Path:
        """Write ca.pem, cert.pem and key.pem into ``directory`` and return it."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "ca.pem").write_bytes(self.ca_pem)
        (directory / "cert.pem").write_bytes(self.cert_pem)
        (directory / "key.pem").write_bytes(self.key_pem)
        return directory


async def enroll(
    backends: backends_pb2_grpc.BackendsStub,
    certs: certs_pb2_grpc.CertsStub,
    *,
    name: str = "edge",
    address: str = "127.0.0.1",
) -> ManagerIdentity:
    """Create a backend and issue it a client certificate."""
    backend = (await backends.CreateBackend(backends_pb2.CreateBackendRequest(name=name, address=address))).backend
    issued = await certs.IssueCertificate(certs_pb2.IssueCertificateRequest(backend_id=backend.id))
    return ManagerIdentity(
        backend_id=backend.id,
        serial_number=issued.certificate.serial_number,
        ca_pem=issued.ca_pem.encode(),
        cert_pem=issued.cert_pem.encode(),
        key_pem=issued.key_pem.encode(),
    )


class ManagerClient:
    """One manager stream, opened with a client certificate."""

    def __init__(self, address: str, identity: ManagerIdentity) -> None:
        credentials = grpc.ssl_channel_credentials(
            root_certificates=identity.ca_pem, private_key=identity.key_pem, certificate_chain=identity.cert_pem
        )
        self._channel = grpc.aio.secure_channel(address, credentials)
        self.call = manager_pb2_grpc.ManagerServiceStub(self._channel).Process()

    async def read(self, timeout: float = READ_TIMEOUT_SECONDS) -> manager_pb2.ServerStreamMessage:
        message = await asyncio.wait_for(self.call.read(), timeout)
        if message is grpc.aio.EOF:
            raise EOFError("the daemon ended the stream")
        return message

    async def send(self, message: manager_pb2.ClientStreamMessage) -> None:
        await self.call.write(message)

    async def status(self, timeout: float = READ_TIMEOUT_SECONDS) -> grpc.StatusCode:
        """Wait for the stream to end and return its status code."""
        return await asyncio.wait_for(self.call.code(), timeout)

    async def close(self) -> None:
        await self._channel.close()


ConnectManager = Callable[[ManagerIdentity], Coroutine[Any, Any, ManagerClient]]
