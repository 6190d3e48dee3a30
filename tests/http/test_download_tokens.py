"""Download tokens, checked without a daemon and with a clock the test moves."""

from __future__ import annotations

import base64
import datetime
from pathlib import Path

import pytest

from backendsd.errors import UnauthenticatedError
from backendsd.http.download_tokens import DownloadTokens

KEY = bytes(range(32))
SERIAL = "123456789"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tokens(clock: FakeClock) -> DownloadTokens:
    return DownloadTokens(key=KEY, clock=clock)


def test_fresh_token_verifies(tokens: DownloadTokens) -> None:
    tokens.verify(tokens.issue(SERIAL), SERIAL)


def test_token_valid_until_expiry(tokens: DownloadTokens, clock: FakeClock) -> None:
    """A token still works one second before its 5 minutes are up."""
    token = tokens.issue(SERIAL)

    clock.now += 5 * 60 - 1

    tokens.verify(token, SERIAL)


def test_token_expires(tokens: DownloadTokens, clock: FakeClock) -> None:
    token = tokens.issue(SERIAL)

    clock.now += 5 * 60

    with pytest.raises(UnauthenticatedError, match="expired"):
        tokens.verify(token, SERIAL)


def test_lifetime_injectable(clock: FakeClock) -> None:
    tokens = DownloadTokens(key=KEY, lifetime=datetime.timedelta(seconds=10), clock=clock)
    token = tokens.issue(SERIAL)

    clock.now += 10

    with pytest.raises(UnauthenticatedError, match="expired"):
        tokens.verify(token, SERIAL)


def test_other_serial_rejected(tokens: DownloadTokens) -> None:
    with pytest.raises(UnauthenticatedError, match="another certificate"):
        tokens.verify(tokens.issue(SERIAL), "987654321")


def test_other_key_rejected(tokens: DownloadTokens, clock: FakeClock) -> None:
    other = DownloadTokens(key=bytes(32), clock=clock)

    with pytest.raises(UnauthenticatedError, match="invalid"):
        tokens.verify(other.issue(SERIAL), SERIAL)


def test_extended_expiry_rejected(tokens: DownloadTokens, clock: FakeClock) -> None:
    """Rewriting the expiry in the payload breaks the MAC."""
    _, mac = tokens.issue(SERIAL).split(".")
    later = f"{SERIAL}:{int(clock.now) + 3600}".encode()
    forged_payload = base64.urlsafe_b64encode(later).rstrip(b"=").decode()

    with pytest.raises(UnauthenticatedError, match="invalid"):
        tokens.verify(f"{forged_payload}.{mac}", SERIAL)


def test_noncanonical_encoding_rejected(tokens: DownloadTokens) -> None:
    """Changing only the ignored low bits of the last base64 character still invalidates the token."""
    payload, mac = tokens.issue(SERIAL).split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(payload[-1])
    unused_bits = {2: 4, 3: 2}.get(len(payload) % 4, 0)
    if unused_bits == 0:
        pytest.fail(f"payload length {len(payload)} leaves no unused bits; pick a serial of another length")
    altered = payload[:-1] + alphabet[last ^ 1]

    with pytest.raises(UnauthenticatedError):
        tokens.verify(f"{altered}.{mac}", SERIAL)


@pytest.mark.parametrize("token", ["", "no-dot", "a.b", "!!!.!!!", "e30.e30"])
def test_malformed_rejected(tokens: DownloadTokens, token: str) -> None:
    with pytest.raises(UnauthenticatedError):
        tokens.verify(token, SERIAL)


def test_short_key_refused() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        DownloadTokens(key=b"short")


def test_key_created_private(tmp_path: Path) -> None:
    """The key file is created with mode 0600 and reused on the next load."""
    path = tmp_path / "pki" / "download-token.key"

    first = DownloadTokens.load_or_create(path)
    second = DownloadTokens.load_or_create(path)

    assert path.stat().st_mode & 0o777 == 0o600
    second.verify(first.issue(SERIAL), SERIAL)
