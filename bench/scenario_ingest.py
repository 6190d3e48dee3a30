"""B5: agent log ingestion from many managers, against SQLite's own bulk-insert rate on the same disk."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.context import Context
from bench.processes import wait_until
from bench.procs import CpuMeter
from bench.stats import Spread
from backendsd.store import agent_records
from backendsd.store.migrations import MIGRATIONS

INGEST_TIMEOUT_SECONDS = 300.0
TARGET_PER_SECOND = 30_000


def _stored(database: Path) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as connection:
        # Rows are never deleted during the run, so the largest rowid is the count, and cheap to read.
        row = connection.execute("SELECT coalesce(max(id), 0) FROM agent_logs").fetchone()
    return int(row[0])


def run_b5(ctx: Context) -> dict[str, Any]:
    sizes = ctx.sizes
    total = sizes.b5_managers * sizes.b5_logs_per_manager
    directory = ctx.fresh_dir("b5")
    provisioned = ctx.provision(directory, backends=sizes.b5_managers, identities=sizes.b5_managers)
    daemon = ctx.daemon(directory)
    database = daemon.data_dir / "backendsd.db"

    rates: list[float] = []
    server_cpu: list[float] = []
    client_cpu: list[float] = []
    for repeat in range(sizes.repeats):
        before = _stored(database)
        sims = ctx.simulators(
            directory, provisioned.identities, daemon.manager_address, daemon.ca_path,
            "--send-logs", str(sizes.b5_logs_per_manager), "--send-rate", "0", label=f"sim{repeat}",
        )
        server, client = CpuMeter([daemon.pid]).start(), CpuMeter([sim.pid for sim in sims]).start()
        rates.append(_arrival_rate(lambda: _stored(database) - before, total))
        server_cpu.append(server.cores())
        client_cpu.append(client.cores())
        ctx.forget(*sims)
    pki = daemon.data_dir / "pki"
    ctx.forget(daemon.managed)

    ceiling = [_sqlite_ceiling(ctx.fresh_dir("b5-sqlite"), provisioned.backend_ids, total) for _ in range(sizes.repeats)]
    received = [_grpc_ceiling(ctx, ctx.fresh_dir("b5-grpc"), provisioned.identities, pki, total) for _ in range(sizes.repeats)]
    median_rate = Spread.of(rates).median
    return {
        "sizes": {"managers": sizes.b5_managers, "logs_per_manager": sizes.b5_logs_per_manager, "total": total},
        "stored_per_second": Spread.of(rates).as_dict(),
        "sqlite_executemany_per_second": Spread.of(ceiling).as_dict(),
        "fraction_of_sqlite_limit": Spread.of([rate / Spread.of(ceiling).median for rate in rates]).as_dict(),
        "grpc_received_per_second": Spread.of(received).as_dict(),
        "fraction_of_grpc_limit": Spread.of([rate / Spread.of(received).median for rate in rates]).as_dict(),
        "server_cpu_cores": Spread.of(server_cpu).as_dict(),
        "client_cpu_cores": Spread.of(client_cpu).as_dict(),
        "target_per_second": TARGET_PER_SECOND,
        "met": median_rate >= TARGET_PER_SECOND,
    }


def _arrival_rate(count: Callable[[], int], total: int) -> float:
    """Return messages per second, from the first one that ``count`` reports until it reports ``total``."""
    wait_until(lambda: count() > 0, INGEST_TIMEOUT_SECONDS, 0.02)
    first_seen = time.monotonic()
    wait_until(lambda: count() >= total, INGEST_TIMEOUT_SECONDS, 0.02)
    return count() / (time.monotonic() - first_seen)


def _grpc_ceiling(ctx: Context, directory: Path, identities: list[Any], pki: Path, total: int) -> float:
    """Send the same logs from the same simulators to a bare grpc.aio server that only reads; return messages per second.

    That is the most a Python process with grpc.aio receives on this
    machine from the same clients, before it stores anything.
    """
    count_file = directory / "received.txt"
    bare, port = ctx.bare_server(directory, "bidi", "--pki-dir", str(pki), "--count-file", str(count_file))

    def received() -> int:
        return int(count_file.read_text()) if count_file.exists() else 0

    sims = ctx.simulators(
        directory, identities, f"127.0.0.1:{port}", pki / "ca.pem",
        "--send-logs", str(ctx.sizes.b5_logs_per_manager), "--send-rate", "0", label="bare-sim",
    )
    try:
        return _arrival_rate(received, total)
    finally:
        ctx.forget(*sims, bare)


def _sqlite_ceiling(directory: Path, backend_ids: list[str], total: int) -> float:
    """Insert ``total`` log rows with the daemon's statement and pragmas in one transaction; return rows per second."""
    database = directory / "ceiling.db"
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("PRAGMA foreign_keys = ON")
        # The daemon's own schema, indexes included.
        for migration in MIGRATIONS:
            for sql in migration.statements:
                connection.execute(sql)
        now = int(time.time() * 1_000_000)
        connection.executemany(
            "INSERT INTO backends (id, name, name_folded, description, address, created_at, updated_at) "
            "VALUES (?, ?, ?, '', ?, ?, ?)",
            [(backend_id, backend_id, backend_id, backend_id, now, now) for backend_id in backend_ids],
        )
        rows = [
            (backend_ids[i % len(backend_ids)], "sim-computation", "info", f"simulated agent log line {i}", now, now,
             backend_ids[i % len(backend_ids)])
            for i in range(total)
        ]
        statement = (
            f"INSERT INTO agent_logs ({agent_records._LOG_COLUMNS}) SELECT ?, ?, ?, ?, ?, ? {agent_records._BACKEND_EXISTS}"
        )
        started = time.monotonic()
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(statement, rows)
        connection.execute("COMMIT")
        return total / (time.monotonic() - started)
    finally:
        connection.close()
