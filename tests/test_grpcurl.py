"""grpcurl, as operators use it, against the running daemon over TLS."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.daemon import DaemonProcess


def grpcurl_binary() -> str:
    """Return the grpcurl that the test extra installs next to this interpreter."""
    beside_python = Path(sys.executable).parent / "grpcurl"
    found = str(beside_python) if beside_python.exists() else shutil.which("grpcurl")
    if found is None:
        pytest.fail("grpcurl not found; install the test extra: pip install -e '.[test]'")
    return found


def grpcurl(daemon: DaemonProcess, *args: str, data: dict[str, object] | None = None) -> str:
    command = [
        grpcurl_binary(),
        "-cacert",
        str(daemon.data_dir / "pki" / "ca.pem"),
        "-H",
        f"authorization: Bearer {daemon.admin_token}",
    ]
    if data is not None:
        command += ["-d", json.dumps(data)]
    command += [daemon.api_address, *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_grpcurl_lists_services(daemon: DaemonProcess) -> None:
    services = grpcurl(daemon, "list").split()

    assert "backendsd.v1.Backends" in services
    assert "grpc.health.v1.Health" in services


def test_grpcurl_describes_backends(daemon: DaemonProcess) -> None:
    description = grpcurl(daemon, "describe", "backendsd.v1.Backends")

    for method in ("CreateBackend", "GetBackend", "ListBackends", "UpdateBackend", "DeleteBackend"):
        assert f"rpc {method}" in description


def test_grpcurl_create_get_round_trip(daemon: DaemonProcess) -> None:
    created = json.loads(
        grpcurl(
            daemon,
            "backendsd.v1.Backends/CreateBackend",
            data={"name": "edge-1", "description": "rack 4", "address": "10.0.0.1"},
        )
    )["backend"]

    fetched = json.loads(grpcurl(daemon, "backendsd.v1.Backends/GetBackend", data={"id": created["id"]}))["backend"]

    assert fetched == created
    assert fetched["connection"]["status"] == "CONNECTION_STATUS_DISCONNECTED"
