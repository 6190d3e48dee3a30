"""Fixtures: test certificates, a hand-driven ManagerService server, and simulator processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.pki import IssuedCertificate, make_ca, make_client_certificate, make_server_certificate
from tests.helpers.simulator import SimulatorProcess, start_simulator
from tests.simulator.stream_server import StreamServer

CLIENT_NAME = "manager-0"


@dataclass(frozen=True)
class SimulatorPki:
    """A CA, the test server's certificate and one client identity, with the client files on disk."""

    ca: IssuedCertificate
    server: IssuedCertificate
    directory: Path

    @property
    def ca_path(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def client_args(self) -> list[str]:
        """Return the simulator flags for the single client identity."""
        client = self.directory / "client"
        return ["--ca", str(self.ca_path), "--cert", str(client / "cert.pem"), "--key", str(client / "key.pem")]


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> SimulatorPki:
    directory = tmp_path_factory.mktemp("pki")
    ca = make_ca()
    (directory / "ca.pem").write_bytes(ca.certificate_pem)
    make_client_certificate(ca, CLIENT_NAME).write(directory / "client")
    return SimulatorPki(ca=ca, server=make_server_certificate(ca), directory=directory)


@pytest.fixture
async def stream_server(pki: SimulatorPki) -> AsyncIterator[StreamServer]:
    server = StreamServer(ca=pki.ca, server=pki.server)
    await server.start()
    yield server
    await server.stop()


SimulatorStarter = Callable[..., SimulatorProcess]


@pytest.fixture
def simulator(tmp_path: Path, stream_server: StreamServer, pki: SimulatorPki) -> Iterator[SimulatorStarter]:
    """Return a function that starts the simulator against ``stream_server`` with the client identity and extra flags.

    Pass ``identity=False`` to leave out the single client identity's flags.
    """
    processes: list[SimulatorProcess] = []

    def start(*args: str, identity: bool = True) -> SimulatorProcess:
        identity_args = pki.client_args if identity else []
        process = start_simulator(tmp_path, "--url", stream_server.url, *identity_args, *args)
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.kill()
