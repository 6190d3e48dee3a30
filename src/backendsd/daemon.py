"""The daemon: builds the components from the configuration and runs them until a signal."""

from __future__ import annotations

import asyncio
import signal

import structlog

from backendsd import __version__
from backendsd.api.server import ManagementServer
from backendsd.auth.authenticator import Authenticator
from backendsd.auth.service import TokenService
from backendsd.backends.service import BackendService
from backendsd.certs.service import CertificateService
from backendsd.config import ServeConfig
from backendsd.pki.authority import CertificateAuthority
from backendsd.pki.key_encryption import KeyEncryptionKey
from backendsd.pki.server_identity import ensure_server_identity
from backendsd.store.backends import SqliteBackendStore
from backendsd.store.certificates import SqliteCertificateStore
from backendsd.store.database import Database
from backendsd.store.tokens import SqliteTokenStore

logger = structlog.get_logger(__name__)


class Daemon:
    """Owns every long-lived component; start() builds them, stop() closes them in reverse order."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self._database: Database | None = None
        self._management: ManagementServer | None = None

    async def start(self) -> None:
        config = self.config
        config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        logger.info("daemon_starting", version=__version__, data_dir=str(config.data_dir.resolve()))

        self._database = await Database.open(config.database_path)
        token_store = SqliteTokenStore(self._database)
        await TokenService(store=token_store).ensure_admin_token(config.admin_token_path)

        authority = CertificateAuthority.load_or_create(config.pki_dir)
        identity = ensure_server_identity(authority, config.pki_dir, config.server_sans)
        certificates = CertificateService(
            store=SqliteCertificateStore(self._database),
            authority=authority,
            key_encryption=KeyEncryptionKey.load_or_create(config.pki_dir),
            pki_dir=config.pki_dir,
            default_ttl=config.client_cert_ttl,
            key_type=config.client_key_type,
        )
        # A CRL left by the last run may have expired while the daemon was down.
        await certificates.crl_pem()

        self._management = ManagementServer(
            backends=BackendService(store=SqliteBackendStore(self._database), revocation_listener=certificates),
            certificates=certificates,
            authenticator=Authenticator(store=token_store),
        )
        if config.api_insecure:
            bound = self._management.bind(config.api_addr, identity=None)
            if not config.api_addr.is_loopback:
                logger.warning("api_insecure", address=str(bound), reason="plaintext on a non-loopback address")
        else:
            bound = self._management.bind(config.api_addr, identity)
        await self._management.start()
        logger.info("api_listening", address=str(bound), tls=not config.api_insecure)

    async def stop(self) -> None:
        logger.info("daemon_stopping", grace_seconds=self.config.shutdown_grace)
        if self._management is not None:
            await self._management.stop(self.config.shutdown_grace)
        if self._database is not None:
            await self._database.close()
        logger.info("daemon_stopped")


async def serve(config: ServeConfig) -> None:
    """Run the daemon until SIGINT or SIGTERM, then shut it down gracefully."""
    stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, _request_stop, stop_requested, signal_number)

    daemon = Daemon(config)
    try:
        await daemon.start()
        await stop_requested.wait()
    finally:
        await daemon.stop()


def _request_stop(stop_requested: asyncio.Event, signal_number: int) -> None:
    logger.info("signal_received", signal=signal.Signals(signal_number).name)
    stop_requested.set()
