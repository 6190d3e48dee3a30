"""Fixtures for the fault, attack and bad-input tests: one daemon shared by a module, and blocking clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from tests.helpers.daemon import DaemonProcess, start_daemon


@pytest.fixture(scope="module")
def shared_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    """One daemon for every test of a module, for tests that leave nothing behind that others would see."""
    process = start_daemon(tmp_path_factory.mktemp("shared") / "data")
    yield process
    process.kill()


@pytest.fixture(scope="module")
def blocking_channel(shared_daemon: DaemonProcess) -> Iterator[grpc.Channel]:
    """A synchronous TLS channel to the shared daemon; hypothesis drives synchronous tests best."""
    credentials = grpc.ssl_channel_credentials(root_certificates=shared_daemon.ca_pem)
    channel = grpc.secure_channel(shared_daemon.api_address, credentials)
    yield channel
    channel.close()


def admin_metadata(daemon: DaemonProcess) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {daemon.admin_token}"),)


def file_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777
