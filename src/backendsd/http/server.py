"""The HTTP listener: an aiohttp application on the daemon's event loop, with TLS."""

from __future__ import annotations

import ssl
import tempfile
from pathlib import Path

from aiohttp import web

from backendsd.auth.authenticator import Authenticator
from backendsd.auth.tokens import Role
from backendsd.backends.information import InformationService
from backendsd.backends.service import BackendService
from backendsd.certs.service import CertificateService
from backendsd.config import ListenAddress
from backendsd.http.backends import BackendRoutes
from backendsd.http.certs import CertificateRoutes
from backendsd.http.download_tokens import DownloadTokens
from backendsd.http.json import json_response
from backendsd.http.middleware import RequestMiddleware
from backendsd.http.ocsp import OcspResponder
from backendsd.http.routing import MAX_BODY_BYTES, Route
from backendsd.pki.authority import CertificateAuthority
from backendsd.pki.server_identity import ServerIdentity


class HttpServer:
    """The HTTP/JSON API's application and the runner that serves it."""

    def __init__(
        self,
        *,
        backends: BackendService,
        information: InformationService,
        certificates: CertificateService,
        authority: CertificateAuthority,
        authenticator: Authenticator,
        download_tokens: DownloadTokens,
    ) -> None:
        routes = [
            Route("GET", "/health", _health, None),
            *BackendRoutes(backends=backends, information=information).routes(),
            *CertificateRoutes(certificates=certificates, download_tokens=download_tokens).routes(),
            *OcspResponder(certificates=certificates, authority=authority).routes(),
        ]
        self._app = web.Application(client_max_size=MAX_BODY_BYTES)
        roles: dict[tuple[str, str], Role | None] = {}
        for route in routes:
            added = self._app.router.add_route(route.method, route.path, route.handler)
            # The middleware looks roles up by the canonical pattern, which drops a parameter's regex.
            pattern = added.resource.canonical if added.resource is not None else route.path
            roles[(route.method, pattern)] = route.role
        self._app.middlewares.append(RequestMiddleware(authenticator=authenticator, roles=roles).handle)
        self._runner: web.AppRunner | None = None

    async def start(
        self, address: ListenAddress, ssl_context: ssl.SSLContext | None, *, shutdown_grace: float
    ) -> ListenAddress:
        """Listen on ``address``, with TLS unless ``ssl_context`` is None; return the bound address."""
        # Every request is logged by the middleware, so aiohttp's access log is off.
        self._runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=shutdown_grace)
        await self._runner.setup()
        site = web.TCPSite(self._runner, address.host, address.port, ssl_context=ssl_context)
        await site.start()
        # With port 0 the kernel picked the port, so read it from the bound socket.
        port = int(self._runner.addresses[0][1])
        return address.with_port(port)

    async def stop(self) -> None:
        """Close the listener, then give running requests the shutdown grace period."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def server_ssl_context(identity: ServerIdentity, scratch_dir: Path) -> ssl.SSLContext:
    """Build a TLS server context from the daemon's certificate and key.

    The ssl module loads keys only from files, so the PEMs pass through a
    temporary directory inside ``scratch_dir``, which must be private to the
    daemon's user (the PKI directory is), and are deleted at once.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory(dir=scratch_dir, prefix=".http-tls-") as directory:
        certificate_path, key_path = Path(directory) / "server.pem", Path(directory) / "server.key"
        certificate_path.write_bytes(identity.certificate_pem)
        key_path.touch(mode=0o600)
        key_path.write_bytes(identity.private_key_pem)
        context.load_cert_chain(certificate_path, key_path)
    return context


async def _health(request: web.Request) -> web.Response:
    return json_response({"status": "serving"})
