"""Background re-signing of the CRL, so that it never expires while nothing is revoked."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

logger = structlog.get_logger(__name__)


class CrlRefreshTask:
    """Owns the task that re-signs the CRL every ``interval`` seconds.

    A revocation, a GetCrl call and each start sign a new CRL too. Without
    this task, seven quiet days would leave ``crl.pem`` past its next
    update time, and services that require a current CRL would stop
    accepting the backends' certificates.
    """

    def __init__(self, *, refresh: Callable[[], Awaitable[object]], interval: float) -> None:
        self._refresh = refresh
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run_forever(), name="crl-refresh")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run_forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self._refresh()
            except Exception as error:  # noqa: BLE001 - the next pass tries again, days before expiry
                logger.error("crl_refresh_failed", error=str(error), retry_in_seconds=self._interval)
