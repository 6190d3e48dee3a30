"""Bulk set-up of a data directory: backends and manager identities written straight into the store.

Going through the API or ``backendsd certs issue`` costs one transaction,
and so one fsync, per row: minutes for 10,000 identities. Here the rows are
made by the daemon's own PKI module and inserted with the store's own row
layout in one transaction, so the daemon later finds exactly what it would
have written itself.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from backendsd.certs.model import CertificateRecord
from backendsd.clock import now_us
from backendsd.pki.authority import CertificateAuthority
from backendsd.pki.client_certs import (
    ClientCertificateRequest,
    certificate_to_pem,
    sha256_fingerprint,
    sign_client_certificate,
)
from backendsd.pki.key_encryption import KeyEncryptionKey
from backendsd.pki.keys import generate_ec_key, private_key_to_pem
from backendsd.store import certificates as certificate_rows
from backendsd.store.database import Database

CERTIFICATE_VALIDITY = datetime.timedelta(days=7)


@dataclass(frozen=True)
class Identity:
    """A provisioned manager: its backend, certificate serial and the directory with cert.pem and key.pem."""

    backend_id: str
    serial: str
    directory: Path


@dataclass(frozen=True)
class Provisioned:
    backend_ids: list[str]
    identities: list[Identity]


def provision(data_dir: Path, *, backends: int, identities: int, identities_dir: Path) -> Provisioned:
    """Create ``backends`` backends and client certificates (ECDSA P-256) for the first ``identities`` of them."""
    return asyncio.run(_provision(data_dir, backends, identities, identities_dir))


async def _provision(data_dir: Path, backends: int, identities: int, identities_dir: Path) -> Provisioned:
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    pki_dir = data_dir / "pki"
    pki_dir.mkdir(exist_ok=True, mode=0o700)
    authority = CertificateAuthority.load_or_create(pki_dir)
    KeyEncryptionKey.load_or_create(pki_dir)

    database = await Database.open(data_dir / "backendsd.db")
    try:
        backend_ids = await _insert_backends(database, backends)
        records, made = _issue(authority, backend_ids[:identities], identities_dir)
        async with database.transaction() as connection:
            await connection.executemany(
                f"INSERT INTO certificates ({certificate_rows._COLUMNS}) VALUES ({', '.join('?' * 13)})",
                [certificate_rows._row_values(record) for record in records],
            )
    finally:
        await database.close()
    return Provisioned(backend_ids=backend_ids, identities=made)


async def _insert_backends(database: Database, count: int) -> list[str]:
    created = now_us()
    rows = []
    for index in range(count):
        name = f"bench-backend-{index:05d}"
        # Addresses must be unique: 10.x.y.z covers 16 million backends.
        address = f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}"
        rows.append((str(uuid.uuid4()), name, name.casefold(), "benchmark backend", address, created, created))
    async with database.transaction() as connection:
        await connection.executemany(
            "INSERT INTO backends (id, name, name_folded, description, address, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return [row[0] for row in rows]


def _issue(
    authority: CertificateAuthority, backend_ids: list[str], identities_dir: Path
) -> tuple[list[CertificateRecord], list[Identity]]:
    records: list[CertificateRecord] = []
    made: list[Identity] = []
    for index, backend_id in enumerate(backend_ids):
        key = generate_ec_key()
        request = ClientCertificateRequest(backend_id=backend_id, ip_addresses=(), dns_names=())
        certificate = sign_client_certificate(authority, request, key.public_key(), CERTIFICATE_VALIDITY)
        directory = identities_dir / f"m{index:05d}"
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        (directory / "cert.pem").write_text(certificate_to_pem(certificate))
        key_path = directory / "key.pem"
        key_path.write_bytes(private_key_to_pem(key))
        os.chmod(key_path, 0o600)
        records.append(
            CertificateRecord(
                serial_number=certificate.serial_number,
                backend_id=backend_id,
                certificate_pem=certificate_to_pem(certificate),
                encrypted_private_key=None,
                sha256_fingerprint=sha256_fingerprint(certificate),
                ip_addresses=(),
                dns_names=(),
                not_before=int(certificate.not_valid_before_utc.timestamp() * 1_000_000),
                not_after=int(certificate.not_valid_after_utc.timestamp() * 1_000_000),
                created_at=now_us(),
            )
        )
        made.append(Identity(backend_id=backend_id, serial=str(certificate.serial_number), directory=directory))
    return records, made


def group_identities(identities: list[Identity], groups: int, root: Path) -> list[Path]:
    """Spread ``identities`` over ``groups`` directories of symbolic links, one directory per simulator process."""
    directories = []
    for group in range(groups):
        directory = root / f"group-{group:02d}"
        directory.mkdir(parents=True, exist_ok=True)
        for identity in identities[group::groups]:
            link = directory / identity.directory.name
            if not link.exists():
                link.symlink_to(identity.directory.resolve(), target_is_directory=True)
        directories.append(directory)
    return [directory for directory in directories if any(directory.iterdir())]
