"""A ManagerService server that the test drives by hand: the daemon's side of the manager stream."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import grpc

from backendsd.proto.manager import manager_pb2, manager_pb2_grpc
from tests.helpers.pki import IssuedCertificate

RECEIVE_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class StreamEnding:
    """Ends the stream with this status instead of sending a message."""

    code: grpc.StatusCode
    details: str


class ServerStream:
    """One manager's ``Process`` call, on the test server's side."""

    def __init__(self, context: grpc.aio.ServicerContext) -> None:
        self.context = context
        self.received: asyncio.Queue[manager_pb2.ClientStreamMessage] = asyncio.Queue()
        self.outbound: asyncio.Queue[manager_pb2.ServerStreamMessage | StreamEnding] = asyncio.Queue()
        self.ended = asyncio.Event()

    @property
    def client_common_name(self) -> str:
        names = self.context.auth_context().get("x509_common_name", [b""])
        return bytes(names[0]).decode()

    def send(self, message: manager_pb2.ServerStreamMessage) -> None:
        self.outbound.put_nowait(message)

    def end(self, code: grpc.StatusCode = grpc.StatusCode.OK, details: str = "") -> None:
        self.outbound.put_nowait(StreamEnding(code, details))

    async def receive(self, timeout: float = RECEIVE_TIMEOUT_SECONDS) -> manager_pb2.ClientStreamMessage:
        return await asyncio.wait_for(self.received.get(), timeout)

    async def receive_quietly(self, seconds: float) -> list[manager_pb2.ClientStreamMessage]:
        """Return every message that arrives within ``seconds``; the tests expect none."""
        await asyncio.sleep(seconds)
        messages = []
        while not self.received.empty():
            messages.append(self.received.get_nowait())
        return messages


class StreamServicer(manager_pb2_grpc.ManagerServiceServicer):
    """Queues every new stream for the test, then sends whatever the test puts in its outbound queue."""

    def __init__(self) -> None:
        self.streams: asyncio.Queue[ServerStream] = asyncio.Queue()

    async def Process(
        self, request_iterator: Any, context: grpc.aio.ServicerContext
    ) -> None:  # noqa: N802 (name fixed by the proto)
        stream = ServerStream(context)
        reader = asyncio.create_task(self._read(stream))
        await self.streams.put(stream)
        try:
            while True:
                item = await stream.outbound.get()
                if isinstance(item, StreamEnding):
                    if item.code is not grpc.StatusCode.OK:
                        await context.abort(item.code, item.details)
                    return
                await context.write(item)
        finally:
            reader.cancel()
            stream.ended.set()

    @staticmethod
    async def _read(stream: ServerStream) -> None:
        while True:
            message = await stream.context.read()
            if message is grpc.aio.EOF:
                return
            stream.received.put_nowait(message)


class StreamServer:
    """A grpc.aio server on an ephemeral 127.0.0.1 port that requires client certificates from ``ca``."""

    def __init__(self, *, ca: IssuedCertificate, server: IssuedCertificate) -> None:
        self.servicer = StreamServicer()
        self._server = grpc.aio.server()
        manager_pb2_grpc.add_ManagerServiceServicer_to_server(self.servicer, self._server)
        credentials = grpc.ssl_server_credentials(
            [(server.private_key_pem, server.certificate_pem)],
            root_certificates=ca.certificate_pem,
            require_client_auth=True,
        )
        self.port = self._server.add_secure_port("127.0.0.1:0", credentials)

    @property
    def url(self) -> str:
        return f"localhost:{self.port}"

    async def start(self) -> None:
        await self._server.start()

    async def stop(self) -> None:
        await self._server.stop(grace=None)

    async def next_stream(self, timeout: float = RECEIVE_TIMEOUT_SECONDS) -> ServerStream:
        return await asyncio.wait_for(self.servicer.streams.get(), timeout)

    async def no_new_stream(self, seconds: float) -> bool:
        """Return whether no stream opened within ``seconds``."""
        await asyncio.sleep(seconds)
        return self.servicer.streams.empty()
