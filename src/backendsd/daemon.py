"""The daemon: builds the components from the configuration and runs them until a signal."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import signal
import socket
from collections.abc import Iterator

import structlog

from backendsd import __version__
from backendsd.api.server import ManagementServer, ManagementServices
from backendsd.auth.authenticator import Authenticator
from backendsd.auth.failures import FailureLimits
from backendsd.auth.service import TokenService
from backendsd.backends.information import InformationService
from backendsd.backends.model import SvmInfoUpdate
from backendsd.backends.service import BackendService
from backendsd.certs.crl_refresh import CrlRefreshTask
from backendsd.certs.service import CertificateService
from backendsd.batching import BatchWriter
from backendsd.collector import tune_collector
from backendsd.computations.model import AgentRecord
from backendsd.computations.retention import RetentionPolicy, RetentionTask
from backendsd.computations.service import ComputationService
from backendsd.config import ListenAddress, ServeConfig
from backendsd.connections.registry import ConnectionRegistry, ProbeSettings
from backendsd.connections.router import MessageRouter
from backendsd.connections.session import SessionLimits
from backendsd.errors import StartupError
from backendsd.events import EventHub, Hub
from backendsd.http.download_tokens import DownloadTokens
from backendsd.http.server import HttpServer, server_ssl_context
from backendsd.lock import DataDirLock
from backendsd.managers.admission import AdmissionLimits, SessionAdmission
from backendsd.looplag import LoopLagMonitor
from backendsd.managers.authentication import PeerAuthenticator
from backendsd.managers.server import KeepaliveSettings, ManagerServer
from backendsd.managers.servicer import ManagerServicer
from backendsd.pki.authority import CertificateAuthority
from backendsd.pki.key_encryption import KeyEncryptionKey
from backendsd.pki.server_identity import ServerIdentity, ensure_server_identity
from backendsd.store.backends import SqliteBackendStore
from backendsd.store.certificates import SqliteCertificateStore
from backendsd.store.database import Database
from backendsd.store.agent_records import SqliteAgentRecordStore
from backendsd.store.history import SqliteHistoryStore
from backendsd.store.information import SqliteInformationStore
from backendsd.store.tokens import SqliteTokenStore

logger = structlog.get_logger(__name__)

# Manager handlers return as soon as their sessions are closed, so their
# server needs only a short grace period on shutdown.
MANAGER_STOP_GRACE_SECONDS = 2.0


class Daemon:
    """Owns every long-lived component; start() builds them, stop() closes them in reverse order."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self._database: Database | None = None
        self._registry: ConnectionRegistry | None = None
        # Background writers and tasks, stopped in reverse order after the servers.
        self._writers: list[BatchWriter[AgentRecord] | BatchWriter[SvmInfoUpdate]] = []
        self._retention: RetentionTask | None = None
        self._crl_refresh: CrlRefreshTask | None = None
        self._management: ManagementServer | None = None
        self._managers: ManagerServer | None = None
        self._http: HttpServer | None = None
        self._loop_lag: LoopLagMonitor | None = None

    async def start(self) -> None:
        config = self.config
        config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        logger.info("daemon_starting", version=__version__, data_dir=str(config.data_dir.resolve()))

        self._database = database = await Database.open(config.database_path)
        token_store = SqliteTokenStore(database)
        await TokenService(store=token_store).ensure_admin_token(config.admin_token_path)

        authority = CertificateAuthority.load_or_create(config.pki_dir)
        identity = ensure_server_identity(authority, config.pki_dir, config.server_sans)

        events = EventHub(capacity=config.watch_buffer)
        self._registry = registry = ConnectionRegistry(
            history=BatchWriter(name="history", write=SqliteHistoryStore(database).append),
            events=events,
            probes=ProbeSettings(interval=config.probe_interval, timeout=config.probe_timeout),
            router=MessageRouter(),
        )
        registry.start()

        certificate_store = SqliteCertificateStore(database)
        certificates = CertificateService(
            store=certificate_store,
            authority=authority,
            key_encryption=KeyEncryptionKey.load_or_create(config.pki_dir),
            pki_dir=config.pki_dir,
            default_ttl=config.client_cert_ttl,
            key_type=config.client_key_type,
            sessions=registry,
        )
        # A CRL left by the last run may have expired while the daemon was down.
        await certificates.crl_pem()
        self._crl_refresh = CrlRefreshTask(refresh=certificates.crl_pem, interval=config.crl_refresh_interval)
        self._crl_refresh.start()

        backend_store = SqliteBackendStore(database)
        backends = BackendService(
            store=backend_store,
            history=SqliteHistoryStore(database),
            registry=registry,
            events=events,
            revocation_listener=certificates,
        )
        services = ManagementServices(
            backends=backends,
            information=self._build_information(backend_store, registry),
            certificates=certificates,
            computations=self._build_computations(backend_store, registry),
            request_timeout=config.request_timeout,
            max_run_request_bytes=config.max_run_request_size,
        )
        authenticator = Authenticator(
            store=token_store, failure_limits=FailureLimits(max_failures=config.max_auth_failures)
        )
        await self._start_management(services, authenticator, identity)
        await self._start_http(services, authority, authenticator, identity)

        servicer = ManagerServicer(
            authenticator=PeerAuthenticator(
                certificates=certificate_store,
                backends=backend_store,
                verify_peer_address=config.verify_peer_address,
            ),
            registry=registry,
            limits=SessionLimits(
                write_timeout=config.manager_write_timeout,
                # Room for a whole run request of the largest size, twice.
                max_queued_bytes=max(SessionLimits.max_queued_bytes, 2 * config.max_run_request_size),
            ),
            admission=SessionAdmission(
                AdmissionLimits(max_sessions=config.max_sessions, max_concurrent=config.max_concurrent_admissions),
                session_count=lambda: registry.session_count,
                has_session=registry.has_session,
            ),
        )
        await self._start_managers(servicer, identity)
        if config.loop_lag_report > 0:
            self._loop_lag = LoopLagMonitor(
                report_interval=config.loop_lag_report, sessions=lambda: registry.session_count
            )
            self._loop_lag.start()

    def _build_information(self, backend_store: SqliteBackendStore, registry: ConnectionRegistry) -> InformationService:
        assert self._database is not None  # opened first in start()
        store = SqliteInformationStore(self._database)
        # Probe responses arrive every --probe-interval from every manager, so
        # they are written in batches.
        probe_responses = BatchWriter(name="svm-info", write=store.save_svm_infos, flush_interval=0.5)
        probe_responses.start()
        self._writers.append(probe_responses)
        return InformationService(store=store, backends=backend_store, registry=registry, probe_responses=probe_responses)

    def _build_computations(self, backend_store: SqliteBackendStore, registry: ConnectionRegistry) -> ComputationService:
        assert self._database is not None  # opened first in start()
        config = self.config
        store = SqliteAgentRecordStore(self._database)
        # Agent records wait in memory for at most --ingest-flush-ms before
        # they are written, so a crash of the daemon loses at most the records
        # of that last interval (and those of a write still in progress).
        writer: BatchWriter[AgentRecord] = BatchWriter(
            name="agent-records", write=store.append, flush_interval=config.ingest_flush_ms / 1000
        )
        writer.start()
        self._writers.append(writer)
        self._retention = RetentionTask(
            store=store,
            policy=RetentionPolicy(
                max_rows_per_backend=config.retain_logs,
                max_age=datetime.timedelta(days=config.retain_days),
                interval=config.retention_interval,
            ),
        )
        self._retention.start()
        return ComputationService(
            backends=backend_store,
            registry=registry,
            records=store,
            writer=writer,
            feed=Hub(capacity=config.watch_buffer),
            max_run_request_bytes=config.max_run_request_size,
        )

    async def _start_management(
        self, services: ManagementServices, authenticator: Authenticator, identity: ServerIdentity
    ) -> None:
        config = self.config
        self._management = ManagementServer(services=services, authenticator=authenticator)
        with _bind_errors_as_startup_error("management API", config.api_addr):
            bound = self._management.bind(config.api_addr, None if config.api_insecure else identity)
        if config.api_insecure and not config.api_addr.is_loopback:
            logger.warning("api_insecure", address=str(bound), reason="plaintext on a non-loopback address")
        await self._management.start()
        logger.info("api_listening", address=str(bound), tls=not config.api_insecure)

    async def _start_http(
        self,
        services: ManagementServices,
        authority: CertificateAuthority,
        authenticator: Authenticator,
        identity: ServerIdentity,
    ) -> None:
        config = self.config
        self._http = HttpServer(
            backends=services.backends,
            information=services.information,
            certificates=services.certificates,
            authority=authority,
            authenticator=authenticator,
            download_tokens=DownloadTokens.load_or_create(config.download_token_key_path),
        )
        ssl_context = None if config.api_insecure else server_ssl_context(identity, config.pki_dir)
        bound = await self._http.start(config.http_addr, ssl_context, shutdown_grace=config.shutdown_grace)
        if config.api_insecure and not config.http_addr.is_loopback:
            logger.warning("http_insecure", address=str(bound), reason="plaintext on a non-loopback address")
        logger.info("http_listening", address=str(bound), tls=ssl_context is not None)

    async def _start_managers(self, servicer: ManagerServicer, identity: ServerIdentity) -> None:
        config = self.config
        keepalive = KeepaliveSettings(interval=config.keepalive_interval, timeout=config.keepalive_timeout)
        self._managers = ManagerServer(
            servicer=servicer,
            keepalive=keepalive,
            max_message_size=config.max_message_size,
            max_connections=config.max_sessions + config.max_concurrent_admissions,
        )
        with _bind_errors_as_startup_error("manager stream", config.manager_addr):
            bound = self._managers.bind(config.manager_addr, identity)
        await self._managers.start()
        logger.info(
            "manager_listening",
            address=str(bound),
            keepalive_interval=keepalive.interval,
            keepalive_timeout=keepalive.timeout,
            probe_interval=config.probe_interval,
            probe_timeout=config.probe_timeout,
        )

    async def stop(self) -> None:
        """Stop in reverse order of start: HTTP and gRPC APIs, manager sessions, registry, database."""
        logger.info("daemon_stopping", grace_seconds=self.config.shutdown_grace)
        if self._loop_lag is not None:
            await self._loop_lag.stop()
        # Both API listeners share the one grace period.
        await asyncio.gather(self._stop_http(), self._stop_management())
        if self._registry is not None:
            # No Terminate: managers redial when the daemon is back.
            self._registry.close_all()
        if self._managers is not None:
            await self._managers.stop(MANAGER_STOP_GRACE_SECONDS)
        if self._registry is not None:
            await self._registry.stop()
        if self._retention is not None:
            await self._retention.stop()
        if self._crl_refresh is not None:
            await self._crl_refresh.stop()
        for writer in reversed(self._writers):
            await writer.stop()
        if self._database is not None:
            await self._database.close()
        logger.info("daemon_stopped")

    async def _stop_http(self) -> None:
        if self._http is not None:
            await self._http.stop()

    async def _stop_management(self) -> None:
        if self._management is not None:
            await self._management.stop(self.config.shutdown_grace)


async def serve(config: ServeConfig) -> None:
    """Run the daemon until SIGINT or SIGTERM, then shut it down gracefully."""
    stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, _request_stop, stop_requested, signal_number)

    tune_collector()
    with DataDirLock(config.data_dir):
        daemon = Daemon(config)
        try:
            await daemon.start()
            await stop_requested.wait()
        finally:
            await daemon.stop()


def _request_stop(stop_requested: asyncio.Event, signal_number: int) -> None:
    logger.info("signal_received", signal=signal.Signals(signal_number).name)
    stop_requested.set()


@contextlib.contextmanager
def _bind_errors_as_startup_error(listener: str, address: ListenAddress) -> Iterator[None]:
    """Turn grpcio's RuntimeError for a failed bind into a StartupError that names the cause."""
    try:
        yield
    except RuntimeError as error:
        raise StartupError(f"cannot listen on {address} for the {listener}: {_bind_failure_reason(address)}") from error


def _bind_failure_reason(address: ListenAddress) -> str:
    """Return why ``address`` cannot be bound, found by binding a plain socket to it.

    grpcio's RuntimeError does not say why its bind failed, and its log line
    is not machine-readable.
    """
    try:
        with socket.create_server((address.host, address.port)):
            pass
    except OSError as error:
        return error.strerror or str(error)
    return "grpcio gave no reason; set GRPC_VERBOSITY=debug for details"
