"""Settings of one ``backendsd manager-sim`` process."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from backendsd.simulator.behavior import Behavior


@dataclass(frozen=True)
class ServerAddress:
    """Host and TCP port of the daemon's manager stream listener."""

    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> ServerAddress:
        """Parse ``host:port`` or ``[v6-address]:port``, raising ValueError if malformed."""
        host, separator, port_text = text.rpartition(":")
        if not separator or not host:
            raise ValueError(f"invalid server address {text!r}: expected host:port")

        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        elif ":" in host:
            raise ValueError(f"invalid server address {text!r}: put an IPv6 address in brackets, as [::1]:7001")

        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise ValueError(f"invalid server address {text!r}: port must be a number from 1 to 65535")
        return cls(host=host, port=int(port_text))

    def __str__(self) -> str:
        if ":" in self.host:
            return f"[{self.host}]:{self.port}"
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class SimulatorConfig:
    """Settings shared by every session of the process; the CLI documents each flag."""

    server: ServerAddress = ServerAddress("localhost", 7001)
    """Address that every session dials."""

    server_name: str | None = None
    """Name checked against the daemon's certificate; None checks the server address's host."""

    ca: Path | None = None
    """CA certificates for the daemon's certificate, for sessions whose identity has no ``ca.pem``."""

    certificate: Path | None = None
    """Client certificate of the single session; unused with ``identities_dir``."""

    private_key: Path | None = None
    """Key of ``certificate``."""

    identities_dir: Path | None = None
    """Directory with one subdirectory per session, each with ``cert.pem`` and ``key.pem``."""

    count: int | None = None
    """Maximum number of identities taken from ``identities_dir``, in name order; None takes all."""

    reconnect: bool = False
    """Dial again after a stream ends for any reason except Terminate."""

    connect_timeout: float = 10.0
    """Seconds that one dial attempt may take before it counts as failed."""

    keepalive: float | None = None
    """Seconds between HTTP/2 keepalive pings from the client; None sends none, as real managers do."""

    report: Path | None = None
    """File that receives one JSON line per notable event; None writes no report."""

    behavior: Behavior = field(default_factory=Behavior)
    """Responses and agent output of every session."""
