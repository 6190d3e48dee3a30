"""Schema migrations, applied in order by version number.

A migration, once released, never changes: a schema change is a new entry at
the end. The database's ``PRAGMA user_version`` records the last one applied.
Times are stored as INTEGER microseconds since the Unix epoch, UTC.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        description="backends and API tokens",
        statements=(
            """
            CREATE TABLE backends (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                -- name.casefold(), for case-insensitive search and ordering
                name_folded TEXT NOT NULL,
                description TEXT NOT NULL,
                address TEXT NOT NULL UNIQUE,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            ) STRICT
            """,
            "CREATE INDEX backends_by_created_at ON backends (created_at, id)",
            "CREATE INDEX backends_by_name ON backends (name_folded, id)",
            """
            CREATE TABLE api_tokens (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
                -- SHA-256 of the token, hex; the token itself is never stored
                token_hash TEXT NOT NULL UNIQUE,
                created_at INTEGER NOT NULL,
                revoked_at INTEGER
            ) STRICT
            """,
            "CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL",
        ),
    ),
    Migration(
        version=2,
        description="client certificates",
        statements=(
            # No foreign key to backends: a certificate outlives its backend,
            # because the CRL keeps listing it after the backend is deleted.
            """
            CREATE TABLE certificates (
                -- decimal, up to 20 octets, so it does not fit an INTEGER
                serial_number TEXT PRIMARY KEY,
                backend_id TEXT NOT NULL,
                certificate_pem TEXT NOT NULL,
                -- AES-GCM ciphertext of the private key; NULL when it came from a CSR
                encrypted_private_key BLOB,
                sha256_fingerprint TEXT NOT NULL,
                -- JSON arrays of strings
                ip_addresses TEXT NOT NULL,
                dns_names TEXT NOT NULL,
                not_before INTEGER NOT NULL,
                not_after INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                replaces_serial_number TEXT,
                revoked_at INTEGER,
                -- RFC 5280 CRLReason code
                revocation_reason INTEGER,
                CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))
            ) STRICT
            """,
            "CREATE INDEX certificates_by_created_at ON certificates (created_at, serial_number)",
            "CREATE INDEX certificates_by_backend ON certificates (backend_id, created_at, serial_number)",
        ),
    ),
    Migration(
        version=3,
        description="connection history",
        statements=(
            """
            CREATE TABLE connection_history (
                id INTEGER PRIMARY KEY,
                backend_id TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
                at INTEGER NOT NULL,
                type TEXT NOT NULL,
                reason TEXT NOT NULL,
                peer TEXT NOT NULL,
                certificate_serial TEXT NOT NULL
            ) STRICT
            """,
            "CREATE INDEX connection_history_by_backend ON connection_history (backend_id, id)",
        ),
    ),
    Migration(
        version=4,
        description="backend information, agent logs and events",
        statements=(
            """
            CREATE TABLE backend_information (
                backend_id TEXT PRIMARY KEY REFERENCES backends (id) ON DELETE CASCADE,
                -- the manager's bytes, unchanged
                attestation_policy BLOB,
                attestation_policy_fetched_at INTEGER,
                -- JSON object with the SVMInfo fields
                svm_info TEXT,
                svm_info_fetched_at INTEGER
            ) STRICT
            """,
            """
            CREATE TABLE agent_logs (
                id INTEGER PRIMARY KEY,
                backend_id TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
                computation_id TEXT NOT NULL,
                level TEXT NOT NULL,
                message TEXT NOT NULL,
                -- the manager's time stamp
                timestamp INTEGER NOT NULL,
                received_at INTEGER NOT NULL
            ) STRICT
            """,
            "CREATE INDEX agent_logs_by_backend ON agent_logs (backend_id, id)",
            "CREATE INDEX agent_logs_by_computation ON agent_logs (computation_id, id)",
            "CREATE INDEX agent_logs_by_received_at ON agent_logs (received_at)",
            """
            CREATE TABLE agent_events (
                id INTEGER PRIMARY KEY,
                backend_id TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
                computation_id TEXT NOT NULL,
                event_type TEXT NOT NULL,
                details BLOB NOT NULL,
                originator TEXT NOT NULL,
                status TEXT NOT NULL,
                timestamp INTEGER NOT NULL,
                received_at INTEGER NOT NULL
            ) STRICT
            """,
            "CREATE INDEX agent_events_by_backend ON agent_events (backend_id, id)",
            "CREATE INDEX agent_events_by_computation ON agent_events (computation_id, id)",
            "CREATE INDEX agent_events_by_received_at ON agent_events (received_at)",
        ),
    ),
)
