"""Daemon configuration: what ``backendsd serve`` runs with."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from backendsd.pki.keys import KeyType


@dataclass(frozen=True)
class ListenAddress:
    """A host and TCP port to listen on. Port 0 lets the kernel pick a free port."""

    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> ListenAddress:
        """Parse ``host:port`` or ``[v6-address]:port``; raise ValueError if malformed."""
        host, separator, port_text = text.rpartition(":")
        if not separator or not host:
            raise ValueError(f"invalid listen address {text!r}: expected host:port")

        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        elif ":" in host:
            raise ValueError(f"invalid listen address {text!r}: put an IPv6 address in brackets, as [::1]:7000")

        if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
            raise ValueError(f"invalid listen address {text!r}: port must be a number from 0 to 65535")
        return cls(host=host, port=int(port_text))

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def with_port(self, port: int) -> ListenAddress:
        return ListenAddress(host=self.host, port=port)

    def __str__(self) -> str:
        if ":" in self.host:
            return f"[{self.host}]:{self.port}"
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class ServeConfig:
    """Settings of one daemon process; the CLI documents each flag."""

    data_dir: Path = Path("data")
    """Directory for the database, the PKI material and the first admin token."""

    api_addr: ListenAddress = ListenAddress("127.0.0.1", 7000)
    """Listener of the gRPC management API."""

    api_insecure: bool = False
    """Serve the management APIs, gRPC and HTTP, in plaintext instead of TLS."""

    http_addr: ListenAddress = ListenAddress("127.0.0.1", 9000)
    """Listener of the HTTP/JSON API; TLS unless ``api_insecure``."""

    server_sans: tuple[str, ...] = field(default_factory=tuple)
    """Extra DNS names or IP addresses for the daemon's server certificate."""

    log_level: str = "info"
    """Lowest level that is logged: debug, info, warning or error."""

    log_format: str = "json"
    """``json`` (one object per line) or ``console`` (for people)."""

    shutdown_grace: float = 10.0
    """Seconds that running RPCs get to finish after SIGTERM or SIGINT."""

    crl_refresh_interval: float = 86_400.0
    """Seconds between two re-signings of the CRL; shorter than the CRL's validity of 7 days."""

    client_cert_ttl: datetime.timedelta = datetime.timedelta(days=90)
    """Validity of client certificates whose request gives no ttl; default 90 days."""

    client_key_type: KeyType = KeyType.ECDSA_P256
    """Algorithm of the client key pairs that the daemon generates; default ECDSA P-256."""
    manager_addr: ListenAddress = ListenAddress("0.0.0.0", 7001)
    """Listener of the manager stream (mutual TLS); 7001 is the port managers dial by default."""

    verify_peer_address: bool = False
    """Refuse a manager whose IP address differs from its backend's registered IP address."""

    keepalive_interval: float = 10.0
    """Seconds between HTTP/2 keepalive pings to each manager."""

    keepalive_timeout: float = 5.0
    """Seconds a manager has to acknowledge a ping before its connection is closed."""

    probe_interval: float = 30.0
    """Seconds between application-level health probes of each manager; 0 turns them off."""

    probe_timeout: float = 10.0
    """Seconds a probe may go unanswered before the backend is marked unresponsive."""

    max_message_size: int = 4 * 1024 * 1024
    """Largest message, in bytes, that a manager may send."""

    manager_write_timeout: float = 15.0
    """Seconds a write to a manager may wait for it to read before its session is closed."""

    max_sessions: int = 20_000
    """Live manager sessions; a session of another backend beyond this is rejected with RESOURCE_EXHAUSTED."""

    max_concurrent_admissions: int = 128
    """Manager sessions whose certificate lookup may run at once; more are rejected with RESOURCE_EXHAUSTED."""

    max_auth_failures: int = 20
    """Failed token checks per peer address and minute before its calls are rejected at once; 0 turns this off."""

    watch_buffer: int = 1024
    """Events a watcher may fall behind before its watch is ended with RESOURCE_EXHAUSTED."""

    request_timeout: float = 30.0
    """Seconds to wait for a manager's response when neither the request nor its deadline sets one."""

    max_run_request_size: int = 16 * 1024 * 1024
    """Largest serialized run request, in bytes, that RunComputation accepts."""

    ingest_flush_ms: int = 100
    """Milliseconds agent logs and events may wait in memory before they are written."""

    retain_logs: int = 100_000
    """Agent logs, and separately events, kept per backend."""

    retain_days: int = 30
    """Days after which agent logs and events are deleted."""

    retention_interval: float = 60.0
    """Seconds between two passes that delete agent logs and events past retention."""

    loop_lag_report: float = 0.0
    """Seconds between two ``loop_lag`` log lines with event-loop lag percentiles; 0, the default, turns them off."""

    @property
    def database_path(self) -> Path:
        return self.data_dir / "backendsd.db"

    @property
    def pki_dir(self) -> Path:
        return self.data_dir / "pki"

    @property
    def download_token_key_path(self) -> Path:
        return self.pki_dir / "download-token.key"

    @property
    def admin_token_path(self) -> Path:
        return self.data_dir / "admin.token"
