"""``backendsd manager-sim`` rejects bad set-ups before it dials."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.daemon import run_cli


def test_missing_certificate_fails(tmp_path: Path) -> None:
    """A client certificate that does not exist is named in the error, with status 1."""
    missing = tmp_path / "absent.pem"

    result = run_cli("manager-sim", "--cert", str(missing), "--key", str(missing), check=False)

    assert result.returncode == 1
    assert str(missing) in result.stderr


def test_cert_without_key_fails() -> None:
    """--cert needs --key."""
    result = run_cli("manager-sim", "--cert", "client.pem", check=False)

    assert result.returncode == 1
    assert "--key" in result.stderr


def test_count_needs_identities_dir() -> None:
    """--count alone is an error, because it limits --identities-dir."""
    result = run_cli("manager-sim", "--count", "2", check=False)

    assert result.returncode == 1
    assert "--identities-dir" in result.stderr


def test_empty_identities_dir_fails(tmp_path: Path) -> None:
    """An identities directory without subdirectories is an error."""
    result = run_cli("manager-sim", "--identities-dir", str(tmp_path), check=False)

    assert result.returncode == 1
    assert "no identities" in result.stderr


def test_bad_url_rejected() -> None:
    """--url needs host:port."""
    result = run_cli("manager-sim", "--url", "localhost", check=False)

    assert result.returncode == 2
    assert "host:port" in result.stderr
