"""``backendsd certs`` commands: the CA and client certificates without the daemon.

They use the same database and PKI directory as the daemon and may run while
it does, because SQLite in WAL mode lets a second process write.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from backendsd.certs.model import CertificateBundle
from backendsd.certs.service import CertificateService
from backendsd.config import ServeConfig
from backendsd.files import write_private_file, write_public_file
from backendsd.pki.authority import CertificateAuthority
from backendsd.pki.key_encryption import KeyEncryptionKey
from backendsd.store.certificates import SqliteCertificateStore
from backendsd.store.database import Database


def init_authority(pki_dir: Path) -> list[Path]:
    """Create the CA and the key-encryption key if they are missing; return their paths."""
    authority_paths = [pki_dir / "ca.pem", pki_dir / "ca.key"]
    CertificateAuthority.load_or_create(pki_dir)
    key_encryption = KeyEncryptionKey.load_or_create(pki_dir)
    return [*authority_paths, key_encryption.path]


async def issue_to_directory(
    config: ServeConfig, *, backend_id: str, ip_addresses: Sequence[str], dns_names: Sequence[str], out: Path
) -> tuple[CertificateBundle, list[Path]]:
    """Issue a certificate with a daemon-made key and write ca.pem, cert.pem and key.pem to ``out``."""
    database = await Database.open(config.database_path)
    try:
        service = CertificateService(
            store=SqliteCertificateStore(database),
            authority=CertificateAuthority.load_or_create(config.pki_dir),
            key_encryption=KeyEncryptionKey.load_or_create(config.pki_dir),
            pki_dir=config.pki_dir,
            default_ttl=config.client_cert_ttl,
            key_type=config.client_key_type,
        )
        bundle = await service.issue(backend_id=backend_id, ip_addresses=ip_addresses, dns_names=dns_names)
    finally:
        await database.close()

    paths = [out / "ca.pem", out / "cert.pem", out / "key.pem"]
    write_public_file(paths[0], bundle.ca_pem)
    write_public_file(paths[1], bundle.certificate_pem)
    write_private_file(paths[2], bundle.private_key_pem)
    return bundle, paths
