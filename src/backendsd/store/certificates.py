"""Client certificates in SQLite."""

from __future__ import annotations

import builtins
import json

import aiosqlite

from backendsd.certs.model import CertificatePage, CertificateQuery, CertificateRecord, RevocationReason
from backendsd.errors import FailedPreconditionError, NotFoundError
from backendsd.store.database import Database, Row

_COLUMNS = (
    "serial_number, backend_id, certificate_pem, encrypted_private_key, sha256_fingerprint, "
    "ip_addresses, dns_names, not_before, not_after, created_at, replaces_serial_number, "
    "revoked_at, revocation_reason"
)


class SqliteCertificateStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def add(self, record: CertificateRecord) -> CertificateRecord:
        async with self._database.transaction() as connection:
            await _check_backend_exists(connection, record.backend_id)
            if record.replaces_serial_number is not None:
                await _check_renewable(connection, record.replaces_serial_number)
            await connection.execute(
                f"INSERT INTO certificates ({_COLUMNS}) VALUES ({', '.join('?' * 13)})",
                _row_values(record),
            )
        return record

    async def get(self, serial_number: int) -> CertificateRecord:
        row = await self._database.fetch_by_key(
            f"SELECT {_COLUMNS} FROM certificates WHERE serial_number = ?", (str(serial_number),)
        )
        if row is None:
            raise NotFoundError("certificate", str(serial_number))
        return _record_from_row(row)

    async def list(self, query: CertificateQuery) -> CertificatePage:
        conditions: list[str] = []
        parameters: list[object] = []
        if query.backend_id:
            conditions.append("backend_id = ?")
            parameters.append(query.backend_id)
        if query.revoked is not None:
            conditions.append("revoked_at IS NOT NULL" if query.revoked else "revoked_at IS NULL")
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""

        rows, total = await self._database.fetch_page(
            columns=_COLUMNS,
            source=f"certificates {where}",
            order="created_at, serial_number",
            parameters=parameters,
            limit=query.limit,
            offset=query.offset,
        )
        return CertificatePage(certificates=[_record_from_row(row) for row in rows], total=total, query=query)

    async def revoke(
        self, serial_number: int, revoked_at: int, reason: RevocationReason
    ) -> tuple[CertificateRecord, bool]:
        async with self._database.transaction() as connection:
            async with connection.execute(
                f"UPDATE certificates SET revoked_at = ?, revocation_reason = ? "
                f"WHERE serial_number = ? AND revoked_at IS NULL RETURNING {_COLUMNS}",
                (revoked_at, int(reason), str(serial_number)),
            ) as cursor:
                row = await cursor.fetchone()
        if row is not None:
            return _record_from_row(row), True
        return await self.get(serial_number), False

    async def list_revoked(self, *, not_expired_at: int) -> builtins.list[CertificateRecord]:
        rows = await self._database.fetch_all(
            f"SELECT {_COLUMNS} FROM certificates WHERE revoked_at IS NOT NULL AND not_after > ? "
            "ORDER BY revoked_at, serial_number",
            (not_expired_at,),
        )
        return [_record_from_row(row) for row in rows]


async def _check_backend_exists(connection: aiosqlite.Connection, backend_id: str) -> None:
    async with connection.execute("SELECT 1 FROM backends WHERE id = ?", (backend_id,)) as cursor:
        if await cursor.fetchone() is None:
            raise NotFoundError("backend", backend_id)


async def _check_renewable(connection: aiosqlite.Connection, serial_number: int) -> None:
    """Raise unless the certificate exists and is not revoked, inside the renewal's transaction."""
    async with connection.execute(
        "SELECT revoked_at FROM certificates WHERE serial_number = ?", (str(serial_number),)
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        raise NotFoundError("certificate", str(serial_number))
    if row[0] is not None:
        raise FailedPreconditionError(f"certificate {serial_number} is revoked and cannot be renewed")


def _row_values(record: CertificateRecord) -> tuple[object, ...]:
    return (
        str(record.serial_number),
        record.backend_id,
        record.certificate_pem,
        record.encrypted_private_key,
        record.sha256_fingerprint,
        json.dumps(list(record.ip_addresses)),
        json.dumps(list(record.dns_names)),
        record.not_before,
        record.not_after,
        record.created_at,
        None if record.replaces_serial_number is None else str(record.replaces_serial_number),
        record.revoked_at,
        None if record.revocation_reason is None else int(record.revocation_reason),
    )


def _record_from_row(row: Row) -> CertificateRecord:
    replaces = row["replaces_serial_number"]
    reason = row["revocation_reason"]
    return CertificateRecord(
        serial_number=int(row["serial_number"]),
        backend_id=row["backend_id"],
        certificate_pem=row["certificate_pem"],
        encrypted_private_key=row["encrypted_private_key"],
        sha256_fingerprint=row["sha256_fingerprint"],
        ip_addresses=tuple(json.loads(row["ip_addresses"])),
        dns_names=tuple(json.loads(row["dns_names"])),
        not_before=row["not_before"],
        not_after=row["not_after"],
        created_at=row["created_at"],
        replaces_serial_number=None if replaces is None else int(replaces),
        revoked_at=row["revoked_at"],
        revocation_reason=None if reason is None else RevocationReason(reason),
    )
