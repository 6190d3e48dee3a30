"""Crash consistency: SIGKILL the daemon under concurrent writes, restart it, and check what was acknowledged.

Every client owns the backends it creates, so the order of its own calls is
the order of their effects. A call that returned OK must be visible after
the restart. A call that failed with a status from the daemon must have no
effect. A call cut off by the kill may or may not have happened, but never
half: the backend is in its state before or after that call.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest

from backendsd.proto.backendsd.v1 import backends_pb2 as pb
from backendsd.proto.backendsd.v1 import backends_pb2_grpc, certs_pb2, certs_pb2_grpc
from tests.helpers.client import secure_channel
from tests.helpers.daemon import DaemonProcess, start_daemon

CLIENTS = 4
MAX_CALLS_PER_CLIENT = 400
MAX_LOAD_SECONDS = 3.0
# Status codes with which the daemon reports that it did not apply a call.
NOT_APPLIED_CODES = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.FAILED_PRECONDITION,
    }
)

Fields = tuple[str, str, str]  # name, description, address
DELETED = None


@dataclass
class Ledger:
    """What the clients know about the daemon's state: for each record, the states it may be in."""

    backends: dict[str, list[Fields | None]] = field(default_factory=dict)
    certificates: dict[str, tuple[str, list[bool]]] = field(default_factory=dict)
    """Serial number to (backend id, possible revoked flags)."""
    maybe_created: dict[str, Fields] = field(default_factory=dict)
    """Names of creates cut off by the kill: present with these fields, or absent."""
    never_created: set[str] = field(default_factory=set)
    acknowledged: int = 0


class Client:
    def __init__(self, number: int, cycle: int, ledger: Ledger, rng: random.Random) -> None:
        self.number = number
        self.cycle = cycle
        self.ledger = ledger
        self.rng = rng
        self.calls = 0

    def owned_live(self) -> list[str]:
        prefix = f"c{self.number}-"
        return [
            backend_id
            for backend_id, states in self.ledger.backends.items()
            if states != [DELETED] and any(s is not None and s[0].startswith(prefix) for s in states)
        ]

    async def run(self, backends: backends_pb2_grpc.BackendsStub, certs: certs_pb2_grpc.CertsStub, stop: asyncio.Event) -> None:
        deadline = time.monotonic() + MAX_LOAD_SECONDS
        while not stop.is_set() and self.calls < MAX_CALLS_PER_CLIENT and time.monotonic() < deadline:
            self.calls += 1
            await self.one_call(backends, certs)

    async def one_call(self, backends: backends_pb2_grpc.BackendsStub, certs: certs_pb2_grpc.CertsStub) -> None:
        live = self.owned_live()
        choice = self.rng.random()
        if not live or choice < 0.3:
            await self.create(backends)
        elif choice < 0.5:
            await self.update(backends, self.rng.choice(live))
        elif choice < 0.6:
            await self.delete(backends, self.rng.choice(live))
        elif choice < 0.75:
            await self.issue(certs, self.rng.choice(live))
        elif choice < 0.85:
            await self.revoke(certs)
        else:
            await self.create_duplicate(backends, self.rng.choice(live))

    def fresh_fields(self) -> Fields:
        tag = f"{self.cycle}-{self.calls}-{self.rng.randrange(10**6)}"
        return (f"c{self.number}-{tag}", f"description {tag}", f"h{self.number}-{tag}.test")

    async def create(self, backends: backends_pb2_grpc.BackendsStub) -> None:
        fields = self.fresh_fields()
        request = pb.CreateBackendRequest(name=fields[0], description=fields[1], address=fields[2])
        outcome = await _call(backends.CreateBackend(request))
        if isinstance(outcome, pb.CreateBackendResponse):
            self.ledger.backends[outcome.backend.id] = [fields]
            self.ledger.acknowledged += 1
        elif outcome is None:
            self.ledger.maybe_created[fields[0]] = fields
        else:
            self.ledger.never_created.add(fields[0])

    async def create_duplicate(self, backends: backends_pb2_grpc.BackendsStub, backend_id: str) -> None:
        """Create a backend with an address that is taken; the rejection must leave no trace."""
        known = [s for s in self.ledger.backends[backend_id] if s is not None]
        if len(self.ledger.backends[backend_id]) != 1 or not known:
            return
        name = f"c{self.number}-dup-{self.cycle}-{self.calls}"
        outcome = await _call(backends.CreateBackend(pb.CreateBackendRequest(name=name, address=known[0][2])))
        if isinstance(outcome, grpc.StatusCode):
            assert outcome == grpc.StatusCode.ALREADY_EXISTS
            self.ledger.never_created.add(name)
        elif outcome is None:
            self.ledger.never_created.add(name)  # the address is taken, so it cannot have been created either

    async def update(self, backends: backends_pb2_grpc.BackendsStub, backend_id: str) -> None:
        states = self.ledger.backends[backend_id]
        if len(states) != 1 or states[0] is None:
            return  # an earlier call was cut off; its outcome is checked after the restart
        new = (states[0][0], f"updated {self.cycle}-{self.calls}", states[0][2])
        request = pb.UpdateBackendRequest(id=backend_id, name=new[0], description=new[1], address=new[2])
        outcome = await _call(backends.UpdateBackend(request))
        if isinstance(outcome, pb.UpdateBackendResponse):
            self.ledger.backends[backend_id] = [new]
            self.ledger.acknowledged += 1
        elif outcome is None:
            self.ledger.backends[backend_id] = [states[0], new]

    async def delete(self, backends: backends_pb2_grpc.BackendsStub, backend_id: str) -> None:
        states = self.ledger.backends[backend_id]
        outcome = await _call(backends.DeleteBackend(pb.DeleteBackendRequest(id=backend_id)))
        if isinstance(outcome, grpc.StatusCode):
            return
        if outcome is None:
            self.ledger.backends[backend_id] = [*states, DELETED]
        else:
            self.ledger.backends[backend_id] = [DELETED]
            self.ledger.acknowledged += 1
        # Deleting a backend revokes its certificates.
        for serial, (owner, revoked) in self.ledger.certificates.items():
            if owner == backend_id:
                self.ledger.certificates[serial] = (owner, sorted({*revoked, True}) if outcome is None else [True])

    async def issue(self, certs: certs_pb2_grpc.CertsStub, backend_id: str) -> None:
        if len(self.ledger.backends[backend_id]) != 1:
            return
        outcome = await _call(certs.IssueCertificate(certs_pb2.IssueCertificateRequest(backend_id=backend_id)))
        if isinstance(outcome, certs_pb2.IssueCertificateResponse):
            self.ledger.certificates[outcome.certificate.serial_number] = (backend_id, [False])
            self.ledger.acknowledged += 1

    async def revoke(self, certs: certs_pb2_grpc.CertsStub) -> None:
        owned = [
            serial
            for serial, (owner, revoked) in self.ledger.certificates.items()
            if revoked == [False] and owner in self.owned_live()
        ]
        if not owned:
            return
        serial = self.rng.choice(owned)
        outcome = await _call(certs.RevokeCertificate(certs_pb2.RevokeCertificateRequest(serial_number=serial)))
        owner = self.ledger.certificates[serial][0]
        if isinstance(outcome, certs_pb2.RevokeCertificateResponse):
            self.ledger.certificates[serial] = (owner, [True])
            self.ledger.acknowledged += 1
        elif outcome is None:
            self.ledger.certificates[serial] = (owner, [False, True])


async def _call(call: object) -> object:
    """Return the response, the rejection's status code, or None for a call whose outcome is unknown.

    Calls made after the kill also return None, which only widens what the
    check allows for them.
    """
    try:
        return await call  # type: ignore[misc]
    except grpc.aio.AioRpcError as error:
        if error.code() in NOT_APPLIED_CODES:
            return error.code()
        return None


async def run_load(daemon: DaemonProcess, ledger: Ledger, cycle: int, rng: random.Random, kill_after: float) -> int:
    """Run the clients, SIGKILL the daemon after ``kill_after`` seconds, and return the calls made."""
    clients = [Client(number, cycle, ledger, random.Random(rng.random())) for number in range(CLIENTS)]
    stop = asyncio.Event()
    async with secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token) as channel:
        backends = backends_pb2_grpc.BackendsStub(channel)
        certs = certs_pb2_grpc.CertsStub(channel)
        tasks = [asyncio.create_task(client.run(backends, certs, stop)) for client in clients]
        await asyncio.sleep(kill_after)
        daemon.kill()  # SIGKILL
        stop.set()
        await asyncio.gather(*tasks)
    return sum(client.calls for client in clients)


async def verify(daemon: DaemonProcess, ledger: Ledger) -> None:
    """Check the restarted daemon against the ledger, then narrow the ledger to what was found."""
    async with secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token) as channel:
        backends = backends_pb2_grpc.BackendsStub(channel)
        certs = certs_pb2_grpc.CertsStub(channel)
        stored = await all_backends(backends)

        for backend_id, states in ledger.backends.items():
            actual = stored.get(backend_id, DELETED)
            assert actual in states, f"backend {backend_id} is {actual}, expected one of {states}"
            ledger.backends[backend_id] = [actual]

        by_name = {fields[0]: (backend_id, fields) for backend_id, fields in stored.items() if fields is not None}
        for name in ledger.never_created:
            assert name not in by_name, f"rejected create of {name!r} was applied"
        for name, fields in ledger.maybe_created.items():
            if name in by_name:
                backend_id, actual = by_name[name]
                assert actual == fields, f"create of {name!r} is half-applied: {actual} != {fields}"
                ledger.backends[backend_id] = [actual]
        ledger.maybe_created.clear()

        for serial, (owner, revoked_states) in ledger.certificates.items():
            certificate = (await certs.GetCertificate(certs_pb2.GetCertificateRequest(serial_number=serial))).certificate
            assert certificate.backend_id == owner
            assert certificate.revoked in revoked_states, f"certificate {serial} revoked={certificate.revoked}"
            if ledger.backends[owner] == [DELETED]:
                assert certificate.revoked, f"certificate {serial} of deleted backend {owner} is not revoked"
            ledger.certificates[serial] = (owner, [certificate.revoked])


async def all_backends(backends: backends_pb2_grpc.BackendsStub) -> dict[str, Fields | None]:
    found: dict[str, Fields | None] = {}
    offset = 0
    while True:
        page = await backends.ListBackends(pb.ListBackendsRequest(offset=offset, limit=100))
        for backend in page.backends:
            found[backend.id] = (backend.name, backend.description, backend.address)
        offset += len(page.backends)
        if not page.backends or offset >= page.total:
            return found


def integrity_check(database: Path) -> str:
    """Run PRAGMA integrity_check on a read-only connection, with no daemon running."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        connection.close()


async def crash_cycles(tmp_path: Path, cycles: int) -> Ledger:
    seed = int(os.environ.get("BACKENDSD_CRASH_SEED", random.randrange(2**32)))
    rng = random.Random(seed)
    print(f"crash test seed {seed}; replay with BACKENDSD_CRASH_SEED={seed}")
    data_dir = tmp_path / "data"
    ledger = Ledger()
    for cycle in range(cycles):
        daemon = start_daemon(data_dir)
        try:
            await verify(daemon, ledger)
            calls = await run_load(daemon, ledger, cycle, rng, kill_after=rng.uniform(0.2, 1.5))
        finally:
            daemon.kill()
        assert daemon.process.returncode == -signal.SIGKILL, f"seed {seed}, cycle {cycle}"
        assert calls > 0
        assert integrity_check(data_dir / "backendsd.db") == "ok", f"seed {seed}, cycle {cycle}"

    daemon = start_daemon(data_dir)
    try:
        await verify(daemon, ledger)
    finally:
        assert daemon.stop() == 0
    assert integrity_check(data_dir / "backendsd.db") == "ok"
    return ledger


async def test_sigkill_loses_no_acknowledged_write(tmp_path: Path) -> None:
    """Three SIGKILL cycles under four writing clients: acknowledged writes stay, rejected ones leave no trace."""
    ledger = await crash_cycles(tmp_path, cycles=3)

    assert ledger.acknowledged > 10


@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_sigkill_many_cycles(tmp_path: Path) -> None:
    """Twenty-five SIGKILL cycles at random moments; set BACKENDSD_CRASH_SEED to replay a failure."""
    ledger = await crash_cycles(tmp_path, cycles=25)

    assert ledger.acknowledged > 100
