"""``backendsd certs init`` and ``backendsd certs issue``, beside a running daemon."""

from __future__ import annotations

import stat
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from backendsd.proto.backendsd.v1 import backends_pb2, backends_pb2_grpc, certs_pb2, certs_pb2_grpc
from tests.helpers.daemon import DaemonProcess, run_cli


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_ca(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"

    result = run_cli("certs", "init", "--data-dir", str(data_dir))

    printed = result.stdout.split()
    ca = x509.load_pem_x509_certificate((data_dir / "pki" / "ca.pem").read_bytes())
    assert str(data_dir / "pki" / "ca.pem") in printed
    assert mode_of(data_dir / "pki" / "ca.key") == 0o600
    assert mode_of(data_dir / "pki" / "client-keys.kek") == 0o600
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_init_keeps_existing_ca(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    run_cli("certs", "init", "--data-dir", str(data_dir))
    before = (data_dir / "pki" / "ca.pem").read_bytes()

    run_cli("certs", "init", "--data-dir", str(data_dir))

    assert (data_dir / "pki" / "ca.pem").read_bytes() == before


async def test_issue_writes_bundle(daemon: DaemonProcess, backends: backends_pb2_grpc.BackendsStub, tmp_path: Path) -> None:
    """While the daemon runs, certs issue writes ca.pem, cert.pem and a 0600 key.pem."""
    backend = (await backends.CreateBackend(backends_pb2.CreateBackendRequest(name="edge", address="10.0.0.1"))).backend
    out = tmp_path / "out"

    run_cli(
        "certs", "issue", "--data-dir", str(daemon.data_dir), "--backend", backend.id, "--out", str(out),
        "--ip", "10.0.0.1", "--dns", "edge.example",
    )

    ca = x509.load_pem_x509_certificate((out / "ca.pem").read_bytes())
    certificate = x509.load_pem_x509_certificate((out / "cert.pem").read_bytes())
    key = serialization.load_pem_private_key((out / "key.pem").read_bytes(), password=None)
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert mode_of(out / "key.pem") == 0o600
    assert mode_of(out / "cert.pem") == 0o644
    assert ca.public_bytes(serialization.Encoding.PEM) == daemon.ca_pem
    certificate.verify_directly_issued_by(ca)
    assert key.public_key() == certificate.public_key()
    assert names.get_values_for_type(x509.DNSName) == ["edge.example"]


async def test_issue_is_visible_to_daemon(
    daemon: DaemonProcess, backends: backends_pb2_grpc.BackendsStub, admin_channel: grpc.aio.Channel, tmp_path: Path
) -> None:
    """A certificate issued offline is in the daemon's store, with its key."""
    backend = (await backends.CreateBackend(backends_pb2.CreateBackendRequest(name="edge", address="10.0.0.1"))).backend
    out = tmp_path / "out"
    run_cli("certs", "issue", "--data-dir", str(daemon.data_dir), "--backend", backend.id, "--out", str(out))
    serial = x509.load_pem_x509_certificate((out / "cert.pem").read_bytes()).serial_number

    bundle = await certs_pb2_grpc.CertsStub(admin_channel).GetCertificateBundle(
        certs_pb2.GetCertificateBundleRequest(serial_number=str(serial))
    )

    assert bundle.key_pem == (out / "key.pem").read_text()


def test_issue_unknown_backend_fails(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    missing = "00000000-0000-4000-8000-000000000000"

    result = run_cli(
        "certs", "issue", "--data-dir", str(data_dir), "--backend", missing, "--out", str(tmp_path / "out"), check=False
    )

    assert result.returncode == 1
    assert f"backend '{missing}' not found" in result.stderr
    assert not (tmp_path / "out").exists()
