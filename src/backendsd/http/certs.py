"""Certificate routes: translate HTTP requests and call CertificateService."""

from __future__ import annotations

import io
import time
import zipfile

import structlog
from aiohttp import web

from backendsd.auth.tokens import Role
from backendsd.certs.model import CertificateBundle, CertificateRecord
from backendsd.certs.service import CertificateService
from backendsd.errors import FailedPreconditionError
from backendsd.http.download_tokens import DownloadTokens
from backendsd.http.json import certificate_to_json, json_response, query_integer, read_object
from backendsd.http.routing import Route

logger = structlog.get_logger(__name__)

ISSUE_FIELDS = ("ip_addresses", "dns_names", "csr_pem")
REVOKE_FIELDS = ("reason",)


class CertificateRoutes:
    def __init__(self, *, certificates: CertificateService, download_tokens: DownloadTokens) -> None:
        self._certificates = certificates
        self._download_tokens = download_tokens

    def routes(self) -> list[Route]:
        return [
            Route("POST", "/certs/issue/backend/{backend_id}", self.issue_certificate, Role.ADMIN),
            Route("GET", "/certs", self.list_certificates, Role.VIEWER),
            # Admin, because the token gives access to the private key.
            Route("GET", "/certs/{serial}/download/token", self.create_download_token, Role.ADMIN),
            # No bearer token: the download token in the query is the credential.
            Route("GET", "/certs/{serial}/download", self.download_bundle, None),
            Route("PATCH", "/certs/{serial}/renew", self.renew_certificate, Role.ADMIN),
            Route("PATCH", "/certs/{serial}/revoke", self.revoke_certificate, Role.ADMIN),
        ]

    async def issue_certificate(self, request: web.Request) -> web.Response:
        """Issue a certificate; the body is optional, and without one the certificate has no IP addresses."""
        body = await read_object(request, optional=True)
        ip_addresses, dns_names, csr_pem = body.strings("ip_addresses"), body.strings("dns_names"), body.string("csr_pem")
        body.check(ISSUE_FIELDS)

        bundle = await self._certificates.issue(
            backend_id=request.match_info["backend_id"],
            ip_addresses=ip_addresses,
            dns_names=dns_names,
            csr_pem=csr_pem,
        )
        return json_response({"serial_number": str(bundle.record.serial_number)}, status=201)

    async def list_certificates(self, request: web.Request) -> web.Response:
        page = await self._certificates.list(
            offset=query_integer(request, "offset"),
            limit=query_integer(request, "limit"),
            backend_id=request.query.get("backend_id", ""),
        )
        return json_response(
            {
                "certificates": [certificate_to_json(record) for record in page.certificates],
                "total": page.total,
                "limit": page.query.limit,
            }
        )

    async def create_download_token(self, request: web.Request) -> web.Response:
        record = await self._certificates.get(request.match_info["serial"])
        _require_stored_key(record)
        return json_response({"token": self._download_tokens.issue(str(record.serial_number))})

    async def download_bundle(self, request: web.Request) -> web.Response:
        """Return ``<serial>.zip`` with ca.pem, cert.pem and key.pem, for a valid download token."""
        serial = request.match_info["serial"]
        self._download_tokens.verify(request.query.get("token", ""), serial)

        bundle = await self._certificates.bundle(serial)
        _require_stored_key(bundle.record)
        logger.info("certificate_downloaded", serial_number=serial, backend_id=bundle.record.backend_id)
        return web.Response(
            body=bundle_zip(bundle),
            content_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{serial}.zip"'},
        )

    async def renew_certificate(self, request: web.Request) -> web.Response:
        await self._certificates.renew(request.match_info["serial"])
        return web.Response(status=200)

    async def revoke_certificate(self, request: web.Request) -> web.Response:
        """Revoke with the RFC 5280 reason code in an optional ``{"reason": N}`` body; the default is 0."""
        body = await read_object(request, optional=True)
        reason = body.integer("reason", default=0)
        body.check(REVOKE_FIELDS)

        await self._certificates.revoke(request.match_info["serial"], reason)
        return web.Response(status=200)


def bundle_zip(bundle: CertificateBundle) -> bytes:
    """Pack the bundle's PEM files into a zip archive; key.pem gets mode 0600 when unpacked."""
    files = (
        ("ca.pem", bundle.ca_pem, 0o644),
        ("cert.pem", bundle.certificate_pem, 0o644),
        ("key.pem", bundle.private_key_pem, 0o600),
    )
    now = time.localtime()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content, mode in files:
            entry = zipfile.ZipInfo(name, date_time=now)
            entry.external_attr = mode << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, content)
    return buffer.getvalue()


def _require_stored_key(record: CertificateRecord) -> None:
    """Raise FailedPreconditionError (409) for a certificate issued from a CSR, whose key the daemon never had."""
    if record.encrypted_private_key is None:
        raise FailedPreconditionError(
            f"certificate {record.serial_number} was issued from a certificate signing request, so its private "
            "key never reached the daemon and there is no bundle to download; use the key kept on the backend"
        )
