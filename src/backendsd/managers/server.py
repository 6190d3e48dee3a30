"""The listener that managers dial: mutual TLS and HTTP/2 keepalive."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from backendsd.config import ListenAddress
from backendsd.managers.servicer import ManagerServicer
from backendsd.pki.server_identity import ServerIdentity
from backendsd.proto.manager import manager_pb2_grpc


@dataclass(frozen=True)
class KeepaliveSettings:
    interval: float = 10.0
    """Seconds between HTTP/2 pings on an idle connection."""

    timeout: float = 5.0
    """Seconds to wait for a ping's acknowledgement before the connection is closed."""

    def channel_options(self) -> list[tuple[str, int]]:
        interval_ms, timeout_ms = int(self.interval * 1000), int(self.timeout * 1000)
        return [
            ("grpc.keepalive_time_ms", interval_ms),
            ("grpc.keepalive_timeout_ms", timeout_ms),
            # In grpcio 1.85 this is the setting that bounds the wait for a
            # ping acknowledgement; keepalive_timeout_ms alone does not.
            ("grpc.http2.ping_timeout_ms", timeout_ms),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.max_pings_without_data", 0),
            # Accept managers' own keepalive pings as often as every 5 s
            # instead of closing the connection with ENHANCE_YOUR_CALM.
            ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
            ("grpc.http2.max_ping_strikes", 0),
        ]


# A manager opens one stream per connection. A few more leave room for a
# client that opens its next stream before the old one is closed. A client
# over this limit waits for a stream and is not rejected.
MAX_STREAMS_PER_CONNECTION = 4

# Seconds a TLS handshake may take before grpc closes the connection, so
# that peers which connect and then stall do not pile up.
HANDSHAKE_TIMEOUT_SECONDS = 10


class ManagerServer:
    def __init__(
        self, *, servicer: ManagerServicer, keepalive: KeepaliveSettings, max_message_size: int, max_connections: int
    ) -> None:
        self._server = grpc.aio.server(
            options=[
                *keepalive.channel_options(),
                ("grpc.max_receive_message_length", max_message_size),
                # Without this, grpcio's default SO_REUSEPORT lets a second daemon share the port.
                ("grpc.so_reuseport", 0),
                ("grpc.max_concurrent_streams", MAX_STREAMS_PER_CONNECTION),
                ("grpc.server_handshake_timeout_ms", HANDSHAKE_TIMEOUT_SECONDS * 1000),
                # Connections that grpc accepts at once, handshakes in progress
                # included; a connection beyond it is closed right after accept.
                ("grpc.max_allowed_incoming_connections", max_connections),
            ]
        )
        # The generated *_pb2_grpc modules carry no type hints.
        manager_pb2_grpc.add_ManagerServiceServicer_to_server(servicer, self._server)  # type: ignore[no-untyped-call]

    def bind(self, address: ListenAddress, identity: ServerIdentity) -> ListenAddress:
        """Listen on ``address`` with mutual TLS: clients need a certificate from the daemon's CA."""
        credentials = grpc.ssl_server_credentials(
            [(identity.private_key_pem, identity.certificate_pem)],
            root_certificates=identity.ca_certificate_pem,
            require_client_auth=True,
        )
        port = self._server.add_secure_port(str(address), credentials)
        return address.with_port(port)

    async def start(self) -> None:
        await self._server.start()

    async def stop(self, grace: float) -> None:
        await self._server.stop(grace)
