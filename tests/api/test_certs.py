"""The Certs service over real TLS against a daemon subprocess."""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import subprocess
from pathlib import Path
from typing import Any

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from google.protobuf import duration_pb2

from backendsd.proto.backendsd.v1 import backends_pb2, backends_pb2_grpc
from backendsd.proto.backendsd.v1 import certs_pb2 as pb
from backendsd.proto.backendsd.v1 import certs_pb2_grpc
from tests.helpers.client import field_violations, secure_channel
from tests.helpers.daemon import DaemonProcess, start_daemon

Stub = certs_pb2_grpc.CertsStub
BackendsStub = backends_pb2_grpc.BackendsStub

PLAIN_KEY_MARKERS = (b"BEGIN PRIVATE KEY", b"BEGIN EC PRIVATE KEY", b"BEGIN RSA PRIVATE KEY")


async def create_backend(backends: BackendsStub, address: str = "10.0.0.1") -> str:
    response = await backends.CreateBackend(backends_pb2.CreateBackendRequest(name="edge", address=address))
    return response.backend.id


async def issue(certs: Stub, backend_id: str, **fields: Any) -> pb.IssueCertificateResponse:
    response: pb.IssueCertificateResponse = await certs.IssueCertificate(
        pb.IssueCertificateRequest(backend_id=backend_id, **fields)
    )
    return response


def load_certificate(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


def make_csr(key: Any, common_name: str = "ignored") -> str:
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    )
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(key, algorithm).public_bytes(serialization.Encoding.PEM).decode()


def public_der(key: Any) -> bytes:
    return bytes(key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def days(count: int) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=count * 86_400)


async def test_issue_chain_verifies(backends: BackendsStub, certs: Stub) -> None:
    """The certificate is signed by the CA that the response and ca.pem carry."""
    issued = await issue(certs, await create_backend(backends))

    load_certificate(issued.cert_pem).verify_directly_issued_by(load_certificate(issued.ca_pem))


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
async def test_issue_chain_verifies_with_openssl(
    backends: BackendsStub, certs: Stub, daemon: DaemonProcess, tmp_path: Path
) -> None:
    """openssl accepts the certificate for TLS client authentication under ca.pem."""
    issued = await issue(certs, await create_backend(backends))
    cert_path = tmp_path / "cert.pem"
    cert_path.write_text(issued.cert_pem)

    result = subprocess.run(
        ["openssl", "verify", "-purpose", "sslclient", "-CAfile", str(daemon.data_dir / "pki" / "ca.pem"), str(cert_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 0, result.stdout + result.stderr


async def test_ca_is_real_ca(daemon: DaemonProcess) -> None:
    """ca.pem is CA:true with path length 0 and may sign certificates and CRLs."""
    ca = x509.load_pem_x509_certificate(daemon.ca_pem)
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value

    assert constraints.ca
    assert constraints.path_length == 0
    assert usage.key_cert_sign
    assert usage.crl_sign


async def test_issue_sets_subject_and_names(backends: BackendsStub, certs: Stub) -> None:
    backend_id = await create_backend(backends)

    issued = await issue(
        certs, backend_id, ip_addresses=["10.0.0.1", "2001:DB8::0:1"], dns_names=["Edge-1.Example.com."]
    )

    certificate = load_certificate(issued.cert_pem)
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == backend_id
    assert names.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("10.0.0.1"),
        ipaddress.ip_address("2001:db8::1"),
    ]
    assert names.get_values_for_type(x509.DNSName) == ["edge-1.example.com"]
    assert list(issued.certificate.ip_addresses) == ["10.0.0.1", "2001:db8::1"]
    assert list(issued.certificate.dns_names) == ["edge-1.example.com"]


async def test_issue_without_names_has_no_san(backends: BackendsStub, certs: Stub) -> None:
    """RFC 5280 forbids an empty SubjectAlternativeName, so none is added."""
    issued = await issue(certs, await create_backend(backends))

    with pytest.raises(x509.ExtensionNotFound):
        load_certificate(issued.cert_pem).extensions.get_extension_for_class(x509.SubjectAlternativeName)


async def test_issue_allows_client_auth_only(backends: BackendsStub, certs: Stub) -> None:
    issued = await issue(certs, await create_backend(backends))

    certificate = load_certificate(issued.cert_pem)
    extended_usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert list(extended_usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert usage.digital_signature
    assert not usage.key_cert_sign
    assert not constraints.ca


async def test_issue_default_validity_is_90_days(backends: BackendsStub, certs: Stub) -> None:
    issued = await issue(certs, await create_backend(backends))

    certificate = load_certificate(issued.cert_pem)
    lifetime = certificate.not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(days=89, hours=23) < lifetime <= datetime.timedelta(days=90)
    assert issued.certificate.not_after.ToDatetime(datetime.timezone.utc) == certificate.not_valid_after_utc
    assert issued.certificate.not_before.ToDatetime(datetime.timezone.utc) == certificate.not_valid_before_utc


async def test_issue_honors_ttl(backends: BackendsStub, certs: Stub) -> None:
    issued = await issue(certs, await create_backend(backends), ttl=days(2))

    lifetime = load_certificate(issued.cert_pem).not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(days=1, hours=23) < lifetime <= datetime.timedelta(days=2)


async def test_issue_serial_is_random_and_large(backends: BackendsStub, certs: Stub) -> None:
    """Serials are positive, at least 64 bits, distinct, and reported in decimal."""
    backend_id = await create_backend(backends)

    first = await issue(certs, backend_id)
    second = await issue(certs, backend_id)

    serial = load_certificate(first.cert_pem).serial_number
    assert serial >= 1 << 63
    assert first.certificate.serial_number == str(serial)
    assert first.certificate.serial_number != second.certificate.serial_number


async def test_issue_fingerprint_is_sha256_of_der(backends: BackendsStub, certs: Stub) -> None:
    issued = await issue(certs, await create_backend(backends))

    expected = load_certificate(issued.cert_pem).fingerprint(hashes.SHA256()).hex()

    assert issued.certificate.sha256_fingerprint == expected


async def test_issue_returns_matching_p256_key(backends: BackendsStub, certs: Stub) -> None:
    issued = await issue(certs, await create_backend(backends))

    key = serialization.load_pem_private_key(issued.key_pem.encode(), password=None)

    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert isinstance(key.curve, ec.SECP256R1)
    assert public_der(key.public_key()) == public_der(load_certificate(issued.cert_pem).public_key())


async def test_issue_rsa_key_type(data_dir: Path) -> None:
    """--client-key-type rsa2048 makes the daemon generate RSA 2048 keys."""
    daemon = start_daemon(data_dir, "--client-key-type", "rsa2048")
    channel = secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token)
    try:
        backend_id = await create_backend(backends_pb2_grpc.BackendsStub(channel))
        issued = await issue(certs_pb2_grpc.CertsStub(channel), backend_id)
    finally:
        await channel.close()
        daemon.kill()

    key = serialization.load_pem_private_key(issued.key_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 2048


async def test_issue_client_cert_ttl_flag(data_dir: Path) -> None:
    """--client-cert-ttl sets the default validity in days."""
    daemon = start_daemon(data_dir, "--client-cert-ttl", "7")
    channel = secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token)
    try:
        backend_id = await create_backend(backends_pb2_grpc.BackendsStub(channel))
        issued = await issue(certs_pb2_grpc.CertsStub(channel), backend_id)
    finally:
        await channel.close()
        daemon.kill()

    lifetime = load_certificate(issued.cert_pem).not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(days=6, hours=23) < lifetime <= datetime.timedelta(days=7)


@pytest.mark.parametrize(
    "key",
    [ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP384R1()), rsa.generate_private_key(65537, 2048)],
    ids=["p256", "p384", "rsa2048"],
)
async def test_issue_from_csr_signs_its_key(backends: BackendsStub, certs: Stub, key: Any) -> None:
    """With a CSR the certificate carries the CSR's key and no private key comes back."""
    backend_id = await create_backend(backends)

    issued = await issue(certs, backend_id, csr_pem=make_csr(key))

    certificate = load_certificate(issued.cert_pem)
    assert public_der(certificate.public_key()) == public_der(key.public_key())
    assert issued.key_pem == ""
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == backend_id


async def test_issue_rejects_tampered_csr(backends: BackendsStub, certs: Stub) -> None:
    """A CSR whose signature does not verify is INVALID_ARGUMENT on csr_pem."""
    csr = x509.load_pem_x509_csr(make_csr(ec.generate_private_key(ec.SECP256R1())).encode())
    der = bytearray(csr.public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01  # the last byte belongs to the signature
    tampered = x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM).decode()

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await issue(certs, await create_backend(backends), csr_pem=tampered)

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "signature" in field_violations(caught.value)["csr_pem"]


@pytest.mark.parametrize(
    "key",
    [rsa.generate_private_key(65537, 1024), ec.generate_private_key(ec.SECP521R1()), ed25519.Ed25519PrivateKey.generate()],
    ids=["rsa1024", "p521", "ed25519"],
)
async def test_issue_rejects_csr_key(backends: BackendsStub, certs: Stub, key: Any) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await issue(certs, await create_backend(backends), csr_pem=make_csr(key))

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "csr_pem" in field_violations(caught.value)


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"ip_addresses": ["10.0.0"]}, "ip_addresses"),
        ({"ip_addresses": ["edge.example"]}, "ip_addresses"),
        ({"ip_addresses": ["fe80::1%eth0"]}, "ip_addresses"),
        ({"ip_addresses": [f"10.0.1.{i}" for i in range(33)]}, "ip_addresses"),
        ({"dns_names": ["-edge.example"]}, "dns_names"),
        ({"dns_names": ["*.example.com"]}, "dns_names"),
        ({"dns_names": [""]}, "dns_names"),
        ({"ttl": duration_pb2.Duration(seconds=0)}, "ttl"),
        ({"ttl": duration_pb2.Duration(seconds=-60)}, "ttl"),
        ({"ttl": days(3651)}, "ttl"),
        ({"csr_pem": "not a csr"}, "csr_pem"),
    ],
)
async def test_issue_rejects_invalid_field(
    backends: BackendsStub, certs: Stub, request_fields: dict[str, Any], field: str
) -> None:
    """Each invalid field is INVALID_ARGUMENT with a BadRequest violation naming it."""
    backend_id = await create_backend(backends)

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await issue(certs, backend_id, **request_fields)

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in field_violations(caught.value)


async def test_issue_malformed_backend_id(certs: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await issue(certs, "not-a-uuid")

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "backend_id" in field_violations(caught.value)


async def test_issue_unknown_backend_not_found(certs: Stub) -> None:
    missing = "00000000-0000-4000-8000-000000000000"

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await issue(certs, missing)

    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert missing in caught.value.details()


async def test_get_returns_issued_certificate(backends: BackendsStub, certs: Stub) -> None:
    issued = await issue(certs, await create_backend(backends), ip_addresses=["10.0.0.1"])

    fetched = await certs.GetCertificate(pb.GetCertificateRequest(serial_number=issued.certificate.serial_number))

    assert fetched.certificate == issued.certificate


async def test_get_unknown_serial_not_found(certs: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await certs.GetCertificate(pb.GetCertificateRequest(serial_number="12345"))

    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("method", "serial"),
    [
        ("GetCertificate", ""),
        ("GetCertificate", "-5"),
        ("GetCertificate", "0"),
        ("GetCertificate", "0x1f"),
        ("GetCertificate", "1" * 60),
        ("GetCertificateBundle", "abc"),
        ("RenewCertificate", "abc"),
        ("RevokeCertificate", "abc"),
    ],
)
async def test_malformed_serial_is_invalid_argument(certs: Stub, method: str, serial: str) -> None:
    """Serials are positive decimal numbers of at most 20 octets."""
    request_type = getattr(pb, f"{method}Request")

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await getattr(certs, method)(request_type(serial_number=serial))

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "serial_number" in field_violations(caught.value)


async def test_bundle_returns_same_pems(backends: BackendsStub, certs: Stub) -> None:
    issued = await issue(certs, await create_backend(backends))

    bundle = await certs.GetCertificateBundle(
        pb.GetCertificateBundleRequest(serial_number=issued.certificate.serial_number)
    )

    assert bundle.ca_pem == issued.ca_pem
    assert bundle.cert_pem == issued.cert_pem
    assert bundle.key_pem == issued.key_pem
    assert bundle.certificate == issued.certificate


async def test_bundle_of_csr_certificate_has_no_key(backends: BackendsStub, certs: Stub) -> None:
    issued = await issue(certs, await create_backend(backends), csr_pem=make_csr(ec.generate_private_key(ec.SECP256R1())))

    bundle = await certs.GetCertificateBundle(
        pb.GetCertificateBundleRequest(serial_number=issued.certificate.serial_number)
    )

    assert bundle.key_pem == ""
    assert bundle.cert_pem == issued.cert_pem


async def test_renew_keeps_key_and_links_serial(backends: BackendsStub, certs: Stub) -> None:
    """The successor has the old public key, subject and names, a new serial, and points back."""
    old = await issue(certs, await create_backend(backends), ip_addresses=["10.0.0.1"], dns_names=["edge.example"])

    renewed = await certs.RenewCertificate(pb.RenewCertificateRequest(serial_number=old.certificate.serial_number))

    old_certificate, new_certificate = load_certificate(old.cert_pem), load_certificate(renewed.cert_pem)
    assert public_der(new_certificate.public_key()) == public_der(old_certificate.public_key())
    assert new_certificate.subject == old_certificate.subject
    assert renewed.certificate.serial_number != old.certificate.serial_number
    assert renewed.certificate.replaces_serial_number == old.certificate.serial_number
    assert list(renewed.certificate.ip_addresses) == ["10.0.0.1"]
    assert list(renewed.certificate.dns_names) == ["edge.example"]
    assert renewed.key_pem == old.key_pem
    new_certificate.verify_directly_issued_by(load_certificate(renewed.ca_pem))


async def test_renew_of_csr_certificate_has_no_key(backends: BackendsStub, certs: Stub) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    old = await issue(certs, await create_backend(backends), csr_pem=make_csr(key))

    renewed = await certs.RenewCertificate(pb.RenewCertificateRequest(serial_number=old.certificate.serial_number))

    assert renewed.key_pem == ""
    assert public_der(load_certificate(renewed.cert_pem).public_key()) == public_der(key.public_key())


async def test_renew_revoked_is_failed_precondition(backends: BackendsStub, certs: Stub) -> None:
    issued = await issue(certs, await create_backend(backends))
    serial = issued.certificate.serial_number
    await certs.RevokeCertificate(pb.RevokeCertificateRequest(serial_number=serial))

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await certs.RenewCertificate(pb.RenewCertificateRequest(serial_number=serial))

    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_renew_unknown_serial_not_found(certs: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await certs.RenewCertificate(pb.RenewCertificateRequest(serial_number="987654321"))

    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_revoke_marks_certificate(backends: BackendsStub, certs: Stub) -> None:
    issued = await issue(certs, await create_backend(backends))

    revoked = await certs.RevokeCertificate(
        pb.RevokeCertificateRequest(
            serial_number=issued.certificate.serial_number, reason=pb.REVOCATION_REASON_KEY_COMPROMISE
        )
    )

    assert revoked.certificate.revoked
    assert revoked.certificate.revocation_reason == pb.REVOCATION_REASON_KEY_COMPROMISE
    assert revoked.certificate.revoked_at.ToMicroseconds() > 0


async def test_revoke_appears_in_crl(backends: BackendsStub, certs: Stub, daemon: DaemonProcess) -> None:
    """GetCrl and pki/crl.pem list the serial with its reason, signed by the CA."""
    issued = await issue(certs, await create_backend(backends))
    serial = load_certificate(issued.cert_pem).serial_number
    await certs.RevokeCertificate(
        pb.RevokeCertificateRequest(serial_number=str(serial), reason=pb.REVOCATION_REASON_KEY_COMPROMISE)
    )

    crl = x509.load_pem_x509_crl((await certs.GetCrl(pb.GetCrlRequest())).crl_pem.encode())
    on_disk = x509.load_pem_x509_crl((daemon.data_dir / "pki" / "crl.pem").read_bytes())

    entry = crl.get_revoked_certificate_by_serial_number(serial)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise
    assert on_disk.get_revoked_certificate_by_serial_number(serial) is not None
    assert crl.is_signature_valid(load_certificate(issued.ca_pem).public_key())  # type: ignore[arg-type]


async def test_crl_written_at_revoke(backends: BackendsStub, certs: Stub, daemon: DaemonProcess) -> None:
    """RevokeCertificate itself rewrites pki/crl.pem, without a GetCrl call."""
    issued = await issue(certs, await create_backend(backends))
    serial = load_certificate(issued.cert_pem).serial_number

    await certs.RevokeCertificate(pb.RevokeCertificateRequest(serial_number=str(serial)))

    on_disk = x509.load_pem_x509_crl((daemon.data_dir / "pki" / "crl.pem").read_bytes())
    assert on_disk.get_revoked_certificate_by_serial_number(serial) is not None


async def test_crl_unspecified_reason_has_no_extension(backends: BackendsStub, certs: Stub) -> None:
    """RFC 5280 recommends omitting the reason code over sending unspecified."""
    issued = await issue(certs, await create_backend(backends))
    serial = load_certificate(issued.cert_pem).serial_number
    await certs.RevokeCertificate(pb.RevokeCertificateRequest(serial_number=str(serial)))

    crl = x509.load_pem_x509_crl((await certs.GetCrl(pb.GetCrlRequest())).crl_pem.encode())

    entry = crl.get_revoked_certificate_by_serial_number(serial)
    assert entry is not None
    assert len(entry.extensions) == 0


async def test_revoke_twice_returns_unchanged(backends: BackendsStub, certs: Stub) -> None:
    issued = await issue(certs, await create_backend(backends))
    serial = issued.certificate.serial_number
    first = await certs.RevokeCertificate(
        pb.RevokeCertificateRequest(serial_number=serial, reason=pb.REVOCATION_REASON_SUPERSEDED)
    )

    second = await certs.RevokeCertificate(
        pb.RevokeCertificateRequest(serial_number=serial, reason=pb.REVOCATION_REASON_KEY_COMPROMISE)
    )

    assert second.certificate == first.certificate


async def test_revoke_rejects_unknown_reason(backends: BackendsStub, certs: Stub) -> None:
    """certificateHold (6) is not offered, because revocation is permanent."""
    issued = await issue(certs, await create_backend(backends))

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await certs.RevokeCertificate(
            pb.RevokeCertificateRequest(serial_number=issued.certificate.serial_number, reason=6)  # type: ignore[arg-type]
        )

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "reason" in field_violations(caught.value)


async def test_revoke_unknown_serial_not_found(certs: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await certs.RevokeCertificate(pb.RevokeCertificateRequest(serial_number="42"))

    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_list_pages_with_total(backends: BackendsStub, certs: Stub) -> None:
    backend_id = await create_backend(backends)
    serials = [(await issue(certs, backend_id)).certificate.serial_number for _ in range(5)]

    first = await certs.ListCertificates(pb.ListCertificatesRequest(limit=2))
    last = await certs.ListCertificates(pb.ListCertificatesRequest(offset=4, limit=2))
    past_end = await certs.ListCertificates(pb.ListCertificatesRequest(offset=10, limit=2))

    assert [c.serial_number for c in first.certificates] == serials[:2]
    assert [c.serial_number for c in last.certificates] == serials[4:]
    assert first.total == 5
    assert past_end.total == 5
    assert len(past_end.certificates) == 0
    assert first.limit == 2


async def test_list_default_page_size(backends: BackendsStub, certs: Stub) -> None:
    listed = await certs.ListCertificates(pb.ListCertificatesRequest())

    assert listed.limit == 10


async def test_list_filters_by_backend(backends: BackendsStub, certs: Stub) -> None:
    first_backend = await create_backend(backends, address="10.0.0.1")
    second_backend = await create_backend(backends, address="10.0.0.2")
    await issue(certs, first_backend)
    expected = await issue(certs, second_backend)

    listed = await certs.ListCertificates(pb.ListCertificatesRequest(backend_id=second_backend))

    assert [c.serial_number for c in listed.certificates] == [expected.certificate.serial_number]
    assert listed.total == 1


async def test_list_filters_by_revoked(backends: BackendsStub, certs: Stub) -> None:
    backend_id = await create_backend(backends)
    unrevoked_certificate = await issue(certs, backend_id)
    revoked_certificate = await issue(certs, backend_id)
    await certs.RevokeCertificate(
        pb.RevokeCertificateRequest(serial_number=revoked_certificate.certificate.serial_number)
    )

    revoked = await certs.ListCertificates(pb.ListCertificatesRequest(revoked=True))
    active = await certs.ListCertificates(pb.ListCertificatesRequest(revoked=False))
    every = await certs.ListCertificates(pb.ListCertificatesRequest())

    assert [c.serial_number for c in revoked.certificates] == [revoked_certificate.certificate.serial_number]
    assert [c.serial_number for c in active.certificates] == [unrevoked_certificate.certificate.serial_number]
    assert every.total == 2


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [({"limit": 101}, "limit"), ({"backend_id": "nope"}, "backend_id")],
)
async def test_list_rejects_invalid_field(certs: Stub, request_fields: dict[str, Any], field: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await certs.ListCertificates(pb.ListCertificatesRequest(**request_fields))

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in field_violations(caught.value)


async def test_database_holds_no_plain_private_key(
    backends: BackendsStub, certs: Stub, daemon: DaemonProcess
) -> None:
    """Stored keys are encrypted: neither the database nor its WAL contains a PEM key."""
    issued = await issue(certs, await create_backend(backends))
    key_body = issued.key_pem.splitlines()[1].encode()
    database_path = daemon.data_dir / "backendsd.db"

    stored = b"".join(
        path.read_bytes() for path in (database_path, database_path.with_name("backendsd.db-wal")) if path.exists()
    )

    assert b"BEGIN CERTIFICATE" in stored
    for marker in PLAIN_KEY_MARKERS:
        assert marker not in stored, marker
    assert key_body not in stored


async def test_delete_backend_revokes_its_certificates(
    backends: BackendsStub, certs: Stub, daemon: DaemonProcess
) -> None:
    """Deleting a backend revokes its certificates with cessationOfOperation and keeps them listed."""
    backend_id = await create_backend(backends)
    issued = await issue(certs, backend_id)
    serial = load_certificate(issued.cert_pem).serial_number

    await backends.DeleteBackend(backends_pb2.DeleteBackendRequest(id=backend_id))

    fetched = (await certs.GetCertificate(pb.GetCertificateRequest(serial_number=str(serial)))).certificate
    on_disk = x509.load_pem_x509_crl((daemon.data_dir / "pki" / "crl.pem").read_bytes())
    entry = on_disk.get_revoked_certificate_by_serial_number(serial)
    assert fetched.revoked
    assert fetched.revocation_reason == pb.REVOCATION_REASON_CESSATION_OF_OPERATION
    assert entry is not None
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        == x509.ReasonFlags.cessation_of_operation
    )


@pytest.mark.parametrize(
    ("method", "request_message"),
    [
        ("IssueCertificate", pb.IssueCertificateRequest(backend_id="00000000-0000-4000-8000-000000000000")),
        ("RenewCertificate", pb.RenewCertificateRequest(serial_number="1")),
        ("RevokeCertificate", pb.RevokeCertificateRequest(serial_number="1")),
        ("GetCertificateBundle", pb.GetCertificateBundleRequest(serial_number="1")),
    ],
)
async def test_viewer_cannot_mutate_or_fetch_keys(viewer_certs: Stub, method: str, request_message: Any) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await getattr(viewer_certs, method)(request_message)

    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_viewer_can_read(backends: BackendsStub, certs: Stub, viewer_certs: Stub) -> None:
    issued = await issue(certs, await create_backend(backends))

    fetched = await viewer_certs.GetCertificate(
        pb.GetCertificateRequest(serial_number=issued.certificate.serial_number)
    )
    listed = await viewer_certs.ListCertificates(pb.ListCertificatesRequest())
    crl = await viewer_certs.GetCrl(pb.GetCrlRequest())

    assert fetched.certificate == issued.certificate
    assert listed.total == 1
    assert crl.crl_pem.startswith("-----BEGIN X509 CRL-----")
