"""The certificate routes, through a real HTTP client against the running daemon."""

from __future__ import annotations

import io
import time
import zipfile

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from backendsd.http.download_tokens import DownloadTokens
from tests.helpers.daemon import DaemonProcess
from tests.helpers.http import create_backend, download, download_token, enroll, issue, wait_for_status
from tests.helpers.manager import ConnectManager


async def test_issue_returns_serial(http: aiohttp.ClientSession) -> None:
    """POST /certs/issue/backend/<id> returns 201 with the decimal serial number."""
    backend_id = await create_backend(http)

    async with http.post(f"/certs/issue/backend/{backend_id}", json={"ip_addresses": ["127.0.0.1"]}) as response:
        body = await response.json()

    assert response.status == 201
    assert body["serial_number"].isdigit()


async def test_issue_invalid_address(http: aiohttp.ClientSession) -> None:
    backend_id = await create_backend(http)

    async with http.post(f"/certs/issue/backend/{backend_id}", json={"ip_addresses": ["nope"]}) as response:
        body = await response.json()

    assert response.status == 400
    assert body["error"].startswith("ip_addresses:")


async def test_list_filters_backend(http: aiohttp.ClientSession) -> None:
    """GET /certs returns certificates, total and limit, filtered by backend_id."""
    backend_id = await create_backend(http, address="10.0.0.1")
    other_id = await create_backend(http, name="other", address="10.0.0.2")
    serial = await issue(http, backend_id)
    await issue(http, other_id)

    async with http.get("/certs", params={"backend_id": backend_id}) as response:
        page = await response.json()

    assert response.status == 200
    assert page["total"] == 1
    assert page["limit"] == 10
    assert page["certificates"][0]["serial_number"] == serial
    assert page["certificates"][0]["ip_addresses"] == ["127.0.0.1"]
    assert page["certificates"][0]["revoked"] is False


async def test_download_zip_files(http: aiohttp.ClientSession, anonymous_http: aiohttp.ClientSession) -> None:
    """The zip has the CA certificate, the certificate with the requested serial and its key."""
    serial = await issue(http, await create_backend(http))

    files = await download(http, anonymous_http, serial)
    certificate = x509.load_pem_x509_certificate(files["cert.pem"])
    key = serialization.load_pem_private_key(files["key.pem"], password=None)

    assert sorted(files) == ["ca.pem", "cert.pem", "key.pem"]
    assert str(certificate.serial_number) == serial
    assert key.public_key() == certificate.public_key()


async def test_download_headers(http: aiohttp.ClientSession, anonymous_http: aiohttp.ClientSession) -> None:
    serial = await issue(http, await create_backend(http))
    token = await download_token(http, serial)

    async with anonymous_http.get(f"/certs/{serial}/download", params={"token": token}) as response:
        content = await response.read()

    assert response.content_type == "application/zip"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{serial}.zip"'
    assert zipfile.is_zipfile(io.BytesIO(content))


async def test_zip_passes_mutual_tls(
    http: aiohttp.ClientSession, anonymous_http: aiohttp.ClientSession, connect: ConnectManager
) -> None:
    """A manager with the downloaded key and certificate passes mutual TLS and its backend turns connected."""
    identity = await enroll(http, anonymous_http)

    await connect(identity)
    backend = await wait_for_status(http, identity.backend_id, "connected")

    assert backend["certificate_serial"] == identity.serial_number


async def test_download_without_token(http: aiohttp.ClientSession, anonymous_http: aiohttp.ClientSession) -> None:
    serial = await issue(http, await create_backend(http))

    async with anonymous_http.get(f"/certs/{serial}/download") as response:
        body = await response.json()

    assert response.status == 401
    assert body["error"].startswith("missing download token")


async def test_download_tampered_token(http: aiohttp.ClientSession, anonymous_http: aiohttp.ClientSession) -> None:
    serial = await issue(http, await create_backend(http))
    token = await download_token(http, serial)
    payload, mac = token.split(".")
    tampered = payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + mac

    async with anonymous_http.get(f"/certs/{serial}/download", params={"token": tampered}) as response:
        status = response.status

    assert status == 401


async def test_download_foreign_token(http: aiohttp.ClientSession, anonymous_http: aiohttp.ClientSession) -> None:
    """A token for one certificate does not download another."""
    backend_id = await create_backend(http)
    serial = await issue(http, backend_id)
    other_serial = await issue(http, backend_id)
    token = await download_token(http, other_serial)

    async with anonymous_http.get(f"/certs/{serial}/download", params={"token": token}) as response:
        body = await response.json()

    assert response.status == 401
    assert "another certificate" in body["error"]


async def test_download_expired_token(
    http: aiohttp.ClientSession, anonymous_http: aiohttp.ClientSession, daemon: DaemonProcess
) -> None:
    """A token signed with the daemon's key, but issued ten minutes ago, has expired."""
    serial = await issue(http, await create_backend(http))
    key = (daemon.data_dir / "pki" / "download-token.key").read_bytes()
    expired = DownloadTokens(key=key, clock=lambda: time.time() - 600).issue(serial)

    async with anonymous_http.get(f"/certs/{serial}/download", params={"token": expired}) as response:
        body = await response.json()

    assert response.status == 401
    assert "expired" in body["error"]


async def test_token_key_private(http: aiohttp.ClientSession, daemon: DaemonProcess) -> None:
    serial = await issue(http, await create_backend(http))
    await download_token(http, serial)

    mode = (daemon.data_dir / "pki" / "download-token.key").stat().st_mode

    assert mode & 0o777 == 0o600


async def test_token_unknown_serial(http: aiohttp.ClientSession) -> None:
    async with http.get("/certs/12345/download/token") as response:
        status = response.status

    assert status == 404


async def test_csr_certificate_conflicts(http: aiohttp.ClientSession) -> None:
    """A certificate issued from a CSR has no stored key, so its download token request gets 409."""
    backend_id = await create_backend(http)
    serial = await issue(http, backend_id, {"csr_pem": _csr_pem()})

    async with http.get(f"/certs/{serial}/download/token") as response:
        body = await response.json()

    assert response.status == 409
    assert "certificate signing request" in body["error"]


async def test_renew_answers_ok(http: aiohttp.ClientSession) -> None:
    """PATCH /certs/<serial>/renew returns 200 with an empty body and stores a successor."""
    backend_id = await create_backend(http)
    serial = await issue(http, backend_id)

    async with http.patch(f"/certs/{serial}/renew") as response:
        body = await response.read()
    async with http.get("/certs", params={"backend_id": backend_id}) as response:
        page = await response.json()

    assert response.status == 200
    assert body == b""
    assert page["total"] == 2
    assert {c["replaces_serial_number"] for c in page["certificates"]} == {None, serial}


async def test_revoke_answers_ok(http: aiohttp.ClientSession) -> None:
    """PATCH /certs/<serial>/revoke returns 200 with an empty body and marks the certificate revoked."""
    backend_id = await create_backend(http)
    serial = await issue(http, backend_id)

    async with http.patch(f"/certs/{serial}/revoke") as response:
        body = await response.read()
    async with http.get("/certs", params={"backend_id": backend_id}) as listing:
        certificate = (await listing.json())["certificates"][0]

    assert response.status == 200
    assert body == b""
    assert certificate["revoked"] is True
    assert certificate["revocation_reason"] == "unspecified"


async def test_revoke_with_reason(http: aiohttp.ClientSession) -> None:
    backend_id = await create_backend(http)
    serial = await issue(http, backend_id)

    async with http.patch(f"/certs/{serial}/revoke", json={"reason": 1}) as response:
        status = response.status
    async with http.get("/certs", params={"backend_id": backend_id}) as listing:
        certificate = (await listing.json())["certificates"][0]

    assert status == 200
    assert certificate["revocation_reason"] == "key_compromise"


async def test_revoke_terminates_session(
    http: aiohttp.ClientSession, anonymous_http: aiohttp.ClientSession, connect: ConnectManager
) -> None:
    """Revoking over HTTP sends Terminate to the manager that uses the certificate."""
    identity = await enroll(http, anonymous_http)
    client = await connect(identity)
    await wait_for_status(http, identity.backend_id, "connected")

    async with http.patch(f"/certs/{identity.serial_number}/revoke") as response:
        status = response.status
    received = await client.read()

    assert status == 200
    assert received.terminateReq.message == "certificate revoked"
    await wait_for_status(http, identity.backend_id, "disconnected")


async def test_renew_revoked_conflicts(http: aiohttp.ClientSession) -> None:
    serial = await issue(http, await create_backend(http))
    async with http.patch(f"/certs/{serial}/revoke") as response:
        assert response.status == 200

    async with http.patch(f"/certs/{serial}/renew") as response:
        body = await response.json()

    assert response.status == 409
    assert "revoked" in body["error"]


async def test_invalid_serial(http: aiohttp.ClientSession) -> None:
    async with http.patch("/certs/abc/revoke") as response:
        body = await response.json()

    assert response.status == 400
    assert body["error"].startswith("serial_number:")


def _csr_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "edge")])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()
