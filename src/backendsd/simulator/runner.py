"""Runs every simulated manager of the process on one event loop until they end or a signal arrives."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from typing import Any

import structlog

from backendsd.simulator.config import SimulatorConfig
from backendsd.simulator.identity import Identity, load_identity_directory, load_single_identity
from backendsd.simulator.manager import SimulatedManager
from backendsd.simulator.report import Reporter
from backendsd.simulator.stream import StreamOutcome

logger = structlog.get_logger(__name__)


def load_identities(config: SimulatorConfig) -> list[Identity]:
    """Load one identity per session: each of ``identities_dir``, or the single ``--cert``/``--key`` pair."""
    if config.identities_dir is not None:
        return load_identity_directory(config.identities_dir, count=config.count, default_ca=config.ca)
    return [load_single_identity(certificate=config.certificate, private_key=config.private_key, ca=config.ca)]


async def run_simulator(config: SimulatorConfig, identities: Sequence[Identity]) -> int:
    """Run one session per identity and return the exit status.

    The status is 0 after SIGTERM or SIGINT, or when every session ended
    with Terminate, and 1 when any session ended another way.
    """
    stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, _request_stop, stop_requested, signal_number)

    reporter = Reporter.open(config.report)
    managers = [SimulatedManager(identity=identity, config=config, reporter=reporter) for identity in identities]
    logger.info("simulator_starting", sessions=len(managers), server=str(config.server), reconnect=config.reconnect)
    sessions = [asyncio.create_task(manager.run(), name=f"session-{manager.name}") for manager in managers]
    all_ended = asyncio.gather(*sessions)
    stop_waiter = asyncio.create_task(stop_requested.wait())
    try:
        waiters: set[asyncio.Future[Any]] = {all_ended, stop_waiter}
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        if not all_ended.done():
            return 0
        return _exit_status(all_ended.result())
    finally:
        await _cancel_all([*sessions, stop_waiter])
        reporter.close()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signal_number)
        logger.info("simulator_stopped")


def _exit_status(outcomes: Sequence[StreamOutcome]) -> int:
    failed = sum(1 for outcome in outcomes if outcome is StreamOutcome.FAILED)
    logger.info("sessions_ended", terminated=len(outcomes) - failed, failed=failed)
    return 1 if failed else 0


async def _cancel_all(tasks: Sequence[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _request_stop(stop_requested: asyncio.Event, signal_number: int) -> None:
    logger.info("signal_received", signal=signal.Signals(signal_number).name)
    stop_requested.set()
