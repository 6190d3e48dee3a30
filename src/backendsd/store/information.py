"""Backend information (attestation policy, VM facts) in SQLite."""

from __future__ import annotations

import json
from collections.abc import Sequence

from backendsd.backends.model import BackendInformation, SvmInfo, SvmInfoUpdate
from backendsd.store.database import Database


class SqliteInformationStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def get(self, backend_id: str) -> BackendInformation:
        row = await self._database.fetch_by_key(
            "SELECT attestation_policy, attestation_policy_fetched_at, svm_info, svm_info_fetched_at "
            "FROM backend_information WHERE backend_id = ?",
            (backend_id,),
        )
        if row is None:
            return BackendInformation()
        svm_info = SvmInfo(**json.loads(row["svm_info"])) if row["svm_info"] else None
        return BackendInformation(
            attestation_policy=bytes(row["attestation_policy"]) if row["attestation_policy"] is not None else None,
            attestation_policy_fetched_at=row["attestation_policy_fetched_at"],
            svm_info=svm_info,
            svm_info_fetched_at=row["svm_info_fetched_at"],
        )

    async def save_attestation_policy(self, backend_id: str, policy: bytes, fetched_at: int) -> None:
        async with self._database.transaction() as connection:
            await connection.execute(
                "INSERT INTO backend_information (backend_id, attestation_policy, attestation_policy_fetched_at) "
                "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM backends WHERE id = ?) "
                "ON CONFLICT (backend_id) DO UPDATE SET attestation_policy = excluded.attestation_policy, "
                "attestation_policy_fetched_at = excluded.attestation_policy_fetched_at",
                (backend_id, policy, fetched_at, backend_id),
            )

    async def save_svm_infos(self, updates: Sequence[SvmInfoUpdate]) -> None:
        """Store VM facts, the newest per backend winning; updates of deleted backends are dropped."""
        async with self._database.transaction() as connection:
            await connection.executemany(
                "INSERT INTO backend_information (backend_id, svm_info, svm_info_fetched_at) "
                "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM backends WHERE id = ?) "
                "ON CONFLICT (backend_id) DO UPDATE SET svm_info = excluded.svm_info, "
                "svm_info_fetched_at = excluded.svm_info_fetched_at "
                "WHERE excluded.svm_info_fetched_at >= coalesce(svm_info_fetched_at, 0)",
                [
                    (u.backend_id, json.dumps(u.svm_info.__dict__), u.fetched_at, u.backend_id)
                    for u in updates
                ],
            )
