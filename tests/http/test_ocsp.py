"""The OCSP responder, asked with requests that cryptography builds."""

from __future__ import annotations

import base64
import datetime
import urllib.parse

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp

from tests.helpers.daemon import DaemonProcess
from tests.helpers.http import create_backend, download, issue
from tests.helpers.pki import make_ca

OCSP_HEADERS = {"Content-Type": "application/ocsp-request"}


async def issued_certificate(http: aiohttp.ClientSession, anonymous: aiohttp.ClientSession) -> x509.Certificate:
    serial = await issue(http, await create_backend(http))
    files = await download(http, anonymous, serial)
    return x509.load_pem_x509_certificate(files["cert.pem"])


def request_for(certificate: x509.Certificate, issuer: x509.Certificate, nonce: bytes | None = None) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA1())
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


async def ask(anonymous: aiohttp.ClientSession, request: bytes) -> ocsp.OCSPResponse:
    async with anonymous.post("/certs/ocsp", data=request, headers=OCSP_HEADERS) as response:
        assert response.status == 200, await response.text()
        assert response.content_type == "application/ocsp-response"
        return ocsp.load_der_ocsp_response(await response.read())


def ca_of(daemon: DaemonProcess) -> x509.Certificate:
    return x509.load_pem_x509_certificate(daemon.ca_pem)


async def test_good_then_revoked(
    http: aiohttp.ClientSession, anonymous_http: aiohttp.ClientSession, daemon: DaemonProcess
) -> None:
    """An issued certificate is good, and after PATCH .../revoke it is revoked with time and reason."""
    certificate = await issued_certificate(http, anonymous_http)
    request = request_for(certificate, ca_of(daemon))

    before = await ask(anonymous_http, request)
    async with http.patch(f"/certs/{certificate.serial_number}/revoke", json={"reason": 1}) as response:
        assert response.status == 200
    after = await ask(anonymous_http, request)

    assert before.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert before.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert after.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert after.revocation_reason == x509.ReasonFlags.key_compromise
    assert after.revocation_time_utc is not None
    assert abs(after.revocation_time_utc - datetime.datetime.now(datetime.timezone.utc)).total_seconds() < 60


async def test_response_signed_by_ca(
    http: aiohttp.ClientSession, anonymous_http: aiohttp.ClientSession, daemon: DaemonProcess
) -> None:
    """The CA key signs the response, and the responder is named by the CA key's hash."""
    certificate = await issued_certificate(http, anonymous_http)
    ca = ca_of(daemon)

    reply = await ask(anonymous_http, request_for(certificate, ca))
    public_key = ca.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(reply.signature, reply.tbs_response_bytes, ec.ECDSA(hashes.SHA256()))

    assert reply.serial_number == certificate.serial_number
    assert reply.responder_key_hash == x509.SubjectKeyIdentifier.from_public_key(public_key).digest


async def test_nonce_echoed(
    http: aiohttp.ClientSession, anonymous_http: aiohttp.ClientSession, daemon: DaemonProcess
) -> None:
    certificate = await issued_certificate(http, anonymous_http)

    reply = await ask(anonymous_http, request_for(certificate, ca_of(daemon), nonce=b"0123456789abcdef"))
    nonce = reply.extensions.get_extension_for_class(x509.OCSPNonce).value

    assert nonce.nonce == b"0123456789abcdef"


async def test_get_with_base64(
    http: aiohttp.ClientSession, anonymous_http: aiohttp.ClientSession, daemon: DaemonProcess
) -> None:
    """GET /certs/ocsp/<request> takes the request in URL-encoded base64."""
    certificate = await issued_certificate(http, anonymous_http)
    encoded = base64.b64encode(request_for(certificate, ca_of(daemon))).decode()
    url = "/certs/ocsp/" + urllib.parse.quote(encoded, safe="")

    async with anonymous_http.get(url) as response:
        reply = ocsp.load_der_ocsp_response(await response.read())

    assert response.status == 200
    assert reply.certificate_status == ocsp.OCSPCertStatus.GOOD


async def test_foreign_issuer_unknown(http: aiohttp.ClientSession, anonymous_http: aiohttp.ClientSession) -> None:
    """A certificate of another CA, even with a serial this CA issued, is unknown."""
    certificate = await issued_certificate(http, anonymous_http)
    reply = await ask(anonymous_http, request_for(certificate, make_ca().certificate))

    assert reply.certificate_status == ocsp.OCSPCertStatus.UNKNOWN


async def test_unknown_serial(anonymous_http: aiohttp.ClientSession, daemon: DaemonProcess) -> None:
    """A serial that the store does not have, such as the daemon's own server certificate's, is unknown."""
    server_certificate = x509.load_pem_x509_certificate((daemon.data_dir / "pki" / "server.pem").read_bytes())

    reply = await ask(anonymous_http, request_for(server_certificate, ca_of(daemon)))

    assert reply.certificate_status == ocsp.OCSPCertStatus.UNKNOWN


async def test_malformed_request(anonymous_http: aiohttp.ClientSession) -> None:
    reply = await ask(anonymous_http, b"not an OCSP request")

    assert reply.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


async def test_malformed_base64(anonymous_http: aiohttp.ClientSession) -> None:
    async with anonymous_http.get("/certs/ocsp/%%%") as response:
        reply = ocsp.load_der_ocsp_response(await response.read())

    assert reply.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
