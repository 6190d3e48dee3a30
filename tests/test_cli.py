"""The backendsd command line: tokens, flags and their environment fallbacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.daemon import run_cli, start_daemon


def test_token_create_prints_token_alone(tmp_path: Path) -> None:
    created = run_cli("token", "create", "--data-dir", str(tmp_path), "--role", "viewer", "--name", "ci")

    lines = created.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("bsd_")
    assert len(lines[0]) >= 4 + 43  # 32 random bytes in URL-safe base64


def test_token_list_shows_roles_not_secrets(tmp_path: Path) -> None:
    token = run_cli("token", "create", "--data-dir", str(tmp_path), "--role", "admin", "--name", "ops").stdout.strip()

    listing = run_cli("token", "list", "--data-dir", str(tmp_path)).stdout

    assert "ops" in listing
    assert "admin" in listing
    assert token not in listing


def test_token_revoke_marks_revoked(tmp_path: Path) -> None:
    run_cli("token", "create", "--data-dir", str(tmp_path), "--name", "gone")

    run_cli("token", "revoke", "--data-dir", str(tmp_path), "gone")
    row = [line for line in run_cli("token", "list", "--data-dir", str(tmp_path)).stdout.splitlines() if "gone" in line]

    assert len(row) == 1
    assert not row[0].rstrip().endswith("-")


def test_token_duplicate_name_fails(tmp_path: Path) -> None:
    run_cli("token", "create", "--data-dir", str(tmp_path), "--name", "twice")

    again = run_cli("token", "create", "--data-dir", str(tmp_path), "--name", "twice", check=False)

    assert again.returncode == 1
    assert "twice" in again.stderr
    assert again.stdout == ""


def test_token_revoke_unknown_fails(tmp_path: Path) -> None:
    result = run_cli("token", "revoke", "--data-dir", str(tmp_path), "nobody", check=False)

    assert result.returncode == 1
    assert "nobody" in result.stderr


def test_token_invalid_name_fails(tmp_path: Path) -> None:
    result = run_cli("token", "create", "--data-dir", str(tmp_path), "--name", "has space", check=False)

    assert result.returncode == 1
    assert "'has space'" in result.stderr


def test_token_data_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_dir = tmp_path / "from-env"
    monkeypatch.setenv("BACKENDSD_DATA_DIR", str(env_dir))

    run_cli("token", "create", "--name", "env")

    assert (env_dir / "backendsd.db").exists()


def test_serve_help_states_units_and_defaults() -> None:
    help_text = " ".join(run_cli("serve", "--help").stdout.split())

    assert "default: 127.0.0.1:7000" in help_text
    assert "default: data" in help_text
    assert "seconds" in help_text


def test_serve_rejects_bad_listen_address(tmp_path: Path) -> None:
    result = run_cli("serve", "--data-dir", str(tmp_path), "--api-addr", "localhost", check=False)

    assert result.returncode == 2
    assert "host:port" in result.stderr


def test_serve_reads_flags_from_environment(tmp_path: Path) -> None:
    """BACKENDSD_API_INSECURE=1 switches the listener to plaintext."""
    daemon = start_daemon(tmp_path / "data", env={"BACKENDSD_API_INSECURE": "1"})
    daemon.kill()

    listening = daemon.events("api_listening")
    assert listening[0]["tls"] is False
