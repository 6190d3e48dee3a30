"""The daemon re-signs its CRL on a timer, so that crl.pem never expires while nothing is revoked."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cryptography import x509

from tests.helpers.daemon import start_daemon
from tests.helpers.wait import wait_until


def _crl(data_dir: Path) -> x509.CertificateRevocationList:
    return x509.load_pem_x509_crl((data_dir / "pki" / "crl.pem").read_bytes())


async def test_crl_resigned_without_revocation(tmp_path: Path) -> None:
    daemon = start_daemon(tmp_path / "data", "--crl-refresh-interval", "0.5")
    try:
        first = _crl(daemon.data_dir)
        # CRL times have a resolution of one second.
        await asyncio.sleep(1.1)

        await wait_until(lambda: _crl(daemon.data_dir).last_update_utc > first.last_update_utc, timeout=10)
        latest = _crl(daemon.data_dir)
    finally:
        daemon.kill()

    assert latest.next_update_utc is not None
    assert first.next_update_utc is not None
    assert latest.next_update_utc > first.next_update_utc
    assert daemon.events("crl_refresh_failed") == []
