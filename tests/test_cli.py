"""The backendsd command line: tokens, flags and their environment fallbacks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.helpers.daemon import run_cli, start_daemon

# Listeners for a serve command that might start, away from the default ports.
EPHEMERAL_PORTS = ("--api-addr", "127.0.0.1:0", "--manager-addr", "127.0.0.1:0")


def test_token_create_prints_token_alone(tmp_path: Path) -> None:
    created = run_cli("token", "create", "--init", "--data-dir", str(tmp_path), "--role", "viewer", "--name", "ci")

    lines = created.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("bsd_")
    assert len(lines[0]) >= 4 + 43  # 32 random bytes in URL-safe base64


def test_token_list_shows_roles_not_secrets(tmp_path: Path) -> None:
    token = run_cli(
        "token", "create", "--init", "--data-dir", str(tmp_path), "--role", "admin", "--name", "ops"
    ).stdout.strip()

    listing = run_cli("token", "list", "--data-dir", str(tmp_path)).stdout

    assert "ops" in listing
    assert "admin" in listing
    assert token not in listing


def test_token_revoke_marks_revoked(tmp_path: Path) -> None:
    run_cli("token", "create", "--init", "--data-dir", str(tmp_path), "--name", "gone")

    run_cli("token", "revoke", "--data-dir", str(tmp_path), "gone")
    row = [line for line in run_cli("token", "list", "--data-dir", str(tmp_path)).stdout.splitlines() if "gone" in line]

    assert len(row) == 1
    assert not row[0].rstrip().endswith("-")


def test_token_duplicate_name_fails(tmp_path: Path) -> None:
    run_cli("token", "create", "--init", "--data-dir", str(tmp_path), "--name", "twice")

    again = run_cli("token", "create", "--data-dir", str(tmp_path), "--name", "twice", check=False)

    assert again.returncode == 1
    assert "twice" in again.stderr
    assert again.stdout == ""


def test_token_revoke_unknown_fails(tmp_path: Path) -> None:
    run_cli("token", "create", "--init", "--data-dir", str(tmp_path), "--name", "other")

    result = run_cli("token", "revoke", "--data-dir", str(tmp_path), "nobody", check=False)

    assert result.returncode == 1
    assert "nobody" in result.stderr


def test_token_invalid_name_fails(tmp_path: Path) -> None:
    result = run_cli("token", "create", "--init", "--data-dir", str(tmp_path), "--name", "has space", check=False)

    assert result.returncode == 1
    assert "'has space'" in result.stderr


def test_token_data_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_dir = tmp_path / "from-env"
    monkeypatch.setenv("BACKENDSD_DATA_DIR", str(env_dir))

    run_cli("token", "create", "--init", "--name", "env")

    assert (env_dir / "backendsd.db").exists()


@pytest.mark.parametrize("action", [["create", "--name", "ci"], ["list"], ["revoke", "ci"]])
def test_token_missing_database_fails(tmp_path: Path, action: list[str]) -> None:
    """A token command on a directory without a database fails instead of creating one there."""
    typo = tmp_path / "dtaa"

    result = run_cli("token", action[0], "--data-dir", str(typo), *action[1:], check=False)

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert str(typo / "backendsd.db") in result.stderr
    assert "backendsd serve --data-dir" in result.stderr
    assert not typo.exists()


def test_token_create_init_creates_database(tmp_path: Path) -> None:
    created = run_cli("token", "create", "--init", "--data-dir", str(tmp_path / "new"), "--name", "boot")

    assert created.stdout.startswith("bsd_")
    assert (tmp_path / "new" / "backendsd.db").exists()


def test_token_newer_schema_fails_cleanly(tmp_path: Path) -> None:
    """A database from a newer backendsd is one error line, not a traceback."""
    run_cli("token", "create", "--init", "--data-dir", str(tmp_path), "--name", "ci")
    with sqlite3.connect(tmp_path / "backendsd.db") as connection:
        connection.execute("PRAGMA user_version = 999")

    result = run_cli("token", "list", "--data-dir", str(tmp_path), check=False)

    assert result.returncode == 1
    assert result.stderr.startswith("backendsd: database schema version 999 is newer")
    assert "Traceback" not in result.stderr


def test_serve_help_states_units_and_defaults() -> None:
    help_text = " ".join(run_cli("serve", "--help").stdout.split())

    assert "default: 127.0.0.1:7000" in help_text
    assert "default: data" in help_text
    assert "seconds" in help_text


def test_serve_rejects_crl_refresh_past_validity(tmp_path: Path) -> None:
    """A refresh interval of 7 days or more would let the CRL expire between two refreshes."""
    result = run_cli("serve", "--data-dir", str(tmp_path), "--crl-refresh-interval", "604800", check=False)

    assert result.returncode == 2
    assert "--crl-refresh-interval" in result.stderr
    assert "less than the CRL's validity of 604800 s" in result.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_serve_rejects_non_finite_seconds(tmp_path: Path, value: str) -> None:
    # The = form, because argparse takes "-inf" after a space for a flag.
    result = run_cli("serve", "--data-dir", str(tmp_path), f"--probe-timeout={value}", check=False)

    assert result.returncode == 2
    assert "--probe-timeout" in result.stderr
    assert "must be a finite number" in result.stderr


def test_serve_rejects_bad_listen_address(tmp_path: Path) -> None:
    result = run_cli("serve", "--data-dir", str(tmp_path), "--api-addr", "localhost", check=False)

    assert result.returncode == 2
    assert "host:port" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "allowed"),
    [
        ("BACKENDSD_LOG_LEVEL", "verbose", "debug, info, warning, error"),
        ("BACKENDSD_LOG_FORMAT", "xml", "json, console"),
        ("BACKENDSD_API_INSECURE", "maybe", "1, true, yes or on"),
        ("BACKENDSD_VERIFY_PEER_ADDRESS", "2", "0, false, no, off"),
        ("BACKENDSD_CLIENT_KEY_TYPE", "dsa", "ecdsa-p256, rsa2048"),
    ],
)
def test_serve_rejects_invalid_environment_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, allowed: str
) -> None:
    """A bad environment fallback is a usage error that names the variable, its value and the allowed values."""
    monkeypatch.setenv(variable, value)

    result = run_cli("serve", "--data-dir", str(tmp_path), *EPHEMERAL_PORTS, check=False)

    assert result.returncode == 2
    assert f"{variable}='{value}'" in result.stderr
    assert allowed in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_flag_overrides_invalid_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A flag on the command line wins, so a bad environment value for it is never parsed."""
    monkeypatch.setenv("BACKENDSD_LOG_LEVEL", "verbose")

    daemon = start_daemon(tmp_path / "data", "--log-level", "info")
    daemon.kill()

    assert daemon.events("api_listening")


def test_token_ignores_serve_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad value for a flag of serve does not break the token commands, which do not have that flag."""
    monkeypatch.setenv("BACKENDSD_LOG_LEVEL", "verbose")

    result = run_cli("token", "create", "--init", "--data-dir", str(tmp_path), "--name", "ci", check=False)

    assert result.returncode == 0


def test_serve_unusable_data_dir_fails_cleanly(tmp_path: Path) -> None:
    """A data directory that cannot be created is one error line naming it, not a traceback."""
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")

    result = run_cli("serve", "--data-dir", str(blocker / "data"), *EPHEMERAL_PORTS, check=False)

    assert result.returncode == 1
    assert f"backendsd: cannot use {blocker / 'data'}" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_reads_flags_from_environment(tmp_path: Path) -> None:
    """BACKENDSD_API_INSECURE=1 switches the listener to plaintext."""
    daemon = start_daemon(tmp_path / "data", env={"BACKENDSD_API_INSECURE": "1"})
    daemon.kill()

    listening = daemon.events("api_listening")
    assert listening[0]["tls"] is False
