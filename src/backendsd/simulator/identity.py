"""The TLS identities that simulated managers present, one per session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from backendsd.simulator.errors import SimulatorSetupError, read_input_file

CERTIFICATE_FILE = "cert.pem"
PRIVATE_KEY_FILE = "key.pem"
CA_FILE = "ca.pem"


@dataclass(frozen=True)
class Identity:
    """PEM material of one simulated manager. With no certificate the session dials without a client certificate."""

    name: str
    """Session name in logs and report lines: the identity's directory name, or ``manager`` for a single identity."""

    certificate_pem: bytes | None
    """Client certificate chain, leaf first."""

    private_key_pem: bytes | None
    """Private key of the client certificate."""

    ca_pem: bytes | None
    """CA certificates that the daemon's certificate must chain to; None trusts the system's roots."""

    @property
    def uses_tls(self) -> bool:
        return self.certificate_pem is not None or self.ca_pem is not None


def load_single_identity(*, certificate: Path | None, private_key: Path | None, ca: Path | None) -> Identity:
    """Load the identity of ``--cert``, ``--key`` and ``--ca``.

    A certificate needs its key and the other way round. Without any of the
    three files the session dials in plaintext, as a real manager does
    without certificates.
    """
    if (certificate is None) != (private_key is None):
        raise SimulatorSetupError("--cert and --key go together: set both for mutual TLS, or neither")
    return Identity(
        name="manager",
        certificate_pem=read_input_file(certificate, "client certificate") if certificate else None,
        private_key_pem=read_input_file(private_key, "client key") if private_key else None,
        ca_pem=read_input_file(ca, "CA certificate file") if ca else None,
    )


def load_identity_directory(directory: Path, *, count: int | None, default_ca: Path | None) -> list[Identity]:
    """Load one identity per subdirectory of ``directory``, in name order, at most ``count`` of them.

    Each subdirectory contains ``cert.pem`` and ``key.pem``, and optionally its
    own ``ca.pem``. Without one, ``default_ca`` applies.
    """
    try:
        subdirectories = sorted(path for path in directory.iterdir() if path.is_dir())
    except OSError as error:
        raise SimulatorSetupError(f"cannot list identities directory {directory}: {error.strerror or error}") from error
    if count is not None:
        subdirectories = subdirectories[:count]
    if not subdirectories:
        raise SimulatorSetupError(
            f"no identities in {directory}: expected subdirectories that each contain {CERTIFICATE_FILE} "
            f"and {PRIVATE_KEY_FILE}"
        )

    default_ca_pem = read_input_file(default_ca, "CA certificate file") if default_ca else None
    return [_load_identity_subdirectory(path, default_ca_pem) for path in subdirectories]


def _load_identity_subdirectory(path: Path, default_ca_pem: bytes | None) -> Identity:
    ca_path = path / CA_FILE
    return Identity(
        name=path.name,
        certificate_pem=read_input_file(path / CERTIFICATE_FILE, "client certificate"),
        private_key_pem=read_input_file(path / PRIVATE_KEY_FILE, "client key"),
        ca_pem=read_input_file(ca_path, "CA certificate file") if ca_path.exists() else default_ca_pem,
    )
