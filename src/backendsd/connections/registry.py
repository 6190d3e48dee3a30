"""The connection registry: which backend has a live session, and how healthy it is.

The registry is also the health monitor. It probes every session at the
application level (keepalive pings are responded by the manager's transport
threads even when its program is wedged), records every transition in the
history, and publishes each change to watchers.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

import structlog

from backendsd.backends.model import Backend
from backendsd.clock import now_us
from backendsd.batching import BatchWriter
from backendsd.connections.model import (
    DISCONNECTED,
    ConnectionState,
    ConnectionStatus,
    TerminationType,
    Transition,
    TransitionType,
)
from backendsd.connections.requests import fresh_request_id
from backendsd.connections.router import MessageRouter
from backendsd.connections.schedule import DueQueue
from backendsd.connections.session import Session, SessionEnd, SessionEndKind
from backendsd.errors import BackendsdError, FailedPreconditionError
from backendsd.events import BackendEvent, BackendEventType, EventHub
from backendsd.proto.manager import manager_pb2

logger = structlog.get_logger(__name__)

# Sessions the monitor checks before it lets other callbacks run. A larger
# batch would hold the event loop for longer at a time.
MAX_CHECKS_PER_BATCH = 64

# Seconds between two passes of the monitor over the sessions that are due.
# Checking each session at its exact time spreads probes evenly, but each
# probe then wakes both processes on its own: at 2,000 sessions that nearly
# doubled the idle CPU of the daemon and of the managers (the B2 benchmark).
# A pass every 100 ms sends the probes of that slice together, a burst that
# is short even at 10,000 sessions (about 33 probes).
PASS_INTERVAL_SECONDS = 0.1

# Health probes are SVMInfoReq messages whose ids start with this. Requests
# from operators get bare request ids, so the two never mix.
PROBE_ID_PREFIX = "probe-"

_END_TRANSITIONS = {
    SessionEndKind.DISCONNECTED: (TransitionType.DISCONNECTED, BackendEventType.DISCONNECTED),
    SessionEndKind.STALLED: (TransitionType.DISCONNECTED, BackendEventType.DISCONNECTED),
    SessionEndKind.PROTOCOL_ERROR: (TransitionType.DISCONNECTED, BackendEventType.DISCONNECTED),
    SessionEndKind.SHUTDOWN: (TransitionType.DISCONNECTED, BackendEventType.DISCONNECTED),
    SessionEndKind.TERMINATED: (TransitionType.TERMINATED, BackendEventType.TERMINATED),
}


@dataclass(frozen=True)
class ProbeSettings:
    interval: float = 30.0
    """Seconds between two application-level probes of a session; 0 turns probing off."""

    timeout: float = 10.0
    """Seconds a probe may go unanswered before the backend is marked unresponsive."""



class ConnectionRegistry:
    def __init__(self, *, history: BatchWriter[Transition], events: EventHub, probes: ProbeSettings, router: MessageRouter) -> None:
        self._history = history
        self._events = events
        self._probes = probes
        self.router = router
        self._sessions: dict[str, Session] = {}
        self._monitor: asyncio.Task[None] | None = None
        # The next probe, or the deadline of the unanswered one, of each session.
        self._checks: DueQueue[Session] = DueQueue()
        router.register("svm_info", self._handle_svm_info)
        self._svm_info_listeners: list[Callable[[Session, manager_pb2.SVMInfo], None]] = []

    def start(self) -> None:
        self._history.start()
        self._monitor = asyncio.create_task(self._monitor_forever(), name="connection-monitor")

    def close_all(self) -> None:
        """Close every session without Terminate, because managers redial after a restart."""
        for session in list(self._sessions.values()):
            session.close(SessionEnd(SessionEndKind.SHUTDOWN, "the daemon is shutting down"))

    async def stop(self) -> None:
        """Stop the monitor and write the pending history; call after the sessions ended."""
        if self._monitor is not None:
            self._monitor.cancel()
            await asyncio.gather(self._monitor, return_exceptions=True)
            self._monitor = None
        await self._history.stop()

    # Sessions coming and going.

    def attach(self, session: Session) -> None:
        """Make ``session`` the backend's live session, superseding an older one."""
        previous = self._sessions.get(session.backend_id)
        self._sessions[session.backend_id] = session
        if self._probes.interval > 0:
            # A random first probe spreads the probes of managers that
            # connected together (after a daemon restart, for example) over the interval.
            session.next_probe_at = time.monotonic() + random.uniform(0, self._probes.interval)
            self._schedule_check(session, session.next_probe_at)
        if previous is not None:
            previous.close(SessionEnd(SessionEndKind.SUPERSEDED, f"superseded by a new connection from {session.peer}"))

        self._transition(session, TransitionType.CONNECTED, "session authenticated")
        self._publish(BackendEventType.CONNECTED, session.backend, session.state)
        logger.info(
            "manager_connected",
            backend_id=session.backend_id,
            peer=session.peer,
            certificate_serial=session.certificate_serial,
            superseded_peer=previous.peer if previous else None,
        )

    def detach(self, session: Session) -> None:
        """Forget ``session`` after its stream ended, recording how it ended."""
        end = session.end or SessionEnd(SessionEndKind.DISCONNECTED, "the stream ended")
        if end.kind is SessionEndKind.SUPERSEDED or self._sessions.get(session.backend_id) is not session:
            self._transition(session, TransitionType.SUPERSEDED, end.reason)
            logger.info("manager_superseded", backend_id=session.backend_id, peer=session.peer, reason=end.reason)
            return

        del self._sessions[session.backend_id]
        transition, event = _END_TRANSITIONS[end.kind]
        self._transition(session, transition, end.reason)
        self._publish(event, session.backend, DISCONNECTED)
        logger.info(
            "manager_disconnected", backend_id=session.backend_id, peer=session.peer, end=end.kind.value, reason=end.reason
        )

    def record_rejection(self, backend_id: str, *, peer: str, certificate_serial: str, reason: str) -> None:
        """Store a refused session of a known backend in its history."""
        self._history.add(
            Transition(
                backend_id=backend_id,
                at=now_us(),
                type=TransitionType.REJECTED,
                reason=reason,
                peer=peer,
                certificate_serial=certificate_serial,
            )
        )

    # Queries.

    def connection(self, backend_id: str) -> ConnectionState:
        session = self._sessions.get(backend_id)
        return session.state if session is not None else DISCONNECTED

    def backend_ids_with(self, statuses: Collection[ConnectionStatus]) -> set[str]:
        """Return the ids of live backends whose status is one of ``statuses``."""
        return {backend_id for backend_id, session in self._sessions.items() if session.status in statuses}

    def session_for(self, backend_id: str) -> Session:
        """Return the live session of ``backend_id``; raise FailedPreconditionError if there is none."""
        session = self._sessions.get(backend_id)
        if session is None or session.end is not None:
            raise FailedPreconditionError(f"backend {backend_id} is not connected")
        return session

    def has_session(self, backend_id: str) -> bool:
        return backend_id in self._sessions

    @property
    def session_count(self) -> int:
        return len(self._sessions)

    # Commands.

    async def terminate(self, backend_id: str, termination: TerminationType) -> None:
        """Tell the backend's manager to shut down; raise FailedPreconditionError if it is not connected."""
        session = self.session_for(backend_id)
        logger.info("manager_terminating", backend_id=backend_id, peer=session.peer, reason=termination.message)
        await session.terminate(termination.message)

    async def terminate_certificate(self, certificate_serial: str, termination: TerminationType) -> None:
        """Terminate every live session that uses the certificate with this serial."""
        sessions = [s for s in self._sessions.values() if s.certificate_serial == certificate_serial and s.end is None]
        for session in sessions:
            try:
                await self.terminate(session.backend_id, termination)
            except BackendsdError as error:
                logger.warning("manager_terminate_failed", backend_id=session.backend_id, error=error.message)

    def refresh_backend(self, backend: Backend) -> None:
        """Use the newest record of ``backend`` in the events of its live session."""
        session = self._sessions.get(backend.id)
        if session is not None:
            session.backend = backend

    # Inbound messages and health.

    def on_svm_info(self, listener: Callable[[Session, manager_pb2.SVMInfo], None]) -> None:
        """Call ``listener`` with every SVMInfo a manager sends, probe responses included."""
        self._svm_info_listeners.append(listener)

    def handle_message(self, session: Session, message: manager_pb2.ClientStreamMessage) -> Awaitable[None] | None:
        """Take one message from a manager: any message proves the manager is alive."""
        if session.status is ConnectionStatus.UNRESPONSIVE:
            session.status = ConnectionStatus.CONNECTED
            self._transition(session, TransitionType.CONNECTED, "the manager responded again")
            self._publish(BackendEventType.CONNECTED, session.backend, session.state)
            logger.info("manager_responsive", backend_id=session.backend_id, peer=session.peer)
        return self.router.route(session, message)

    def _handle_svm_info(self, session: Session, message: manager_pb2.ClientStreamMessage) -> None:
        for listener in self._svm_info_listeners:
            listener(session, message.svm_info)
        if session.probe_id and message.svm_info.id == session.probe_id:
            session.probe_id = ""
            # The next check waits for this probe's deadline, which comes
            # after the next probe when the timeout exceeds the interval.
            if session.next_probe_at < session.next_check_at:
                self._schedule_check(session, session.next_probe_at)
            return
        if message.svm_info.id.startswith(PROBE_ID_PREFIX):
            # A response to a probe that already timed out. A busy manager
            # sends these, and the listeners above have stored its facts.
            logger.debug("probe_answer_late", backend_id=session.backend_id, probe_id=message.svm_info.id)
            return
        self.router.resolve_response(session, message)

    async def _monitor_forever(self) -> None:
        while True:
            await self._checks.wait()
            now = time.monotonic()
            while due := self._checks.pop_due(now, MAX_CHECKS_PER_BATCH):
                for session in due:
                    # Entries of sessions that ended or were superseded, and
                    # entries replaced by a later schedule, are dropped here.
                    if self._sessions.get(session.backend_id) is session and session.next_check_at <= now:
                        self._check_probe(session, now)
                await asyncio.sleep(0)
            await asyncio.sleep(PASS_INTERVAL_SECONDS)

    def _check_probe(self, session: Session, now: float) -> None:
        """Time out the session's unanswered probe or send the next one, then queue its next check."""
        if session.probe_id and now >= session.probe_deadline:
            session.probe_id = ""
            # A manager that sent anything after the probe is alive, even if
            # the response itself is slow.
            if session.status is ConnectionStatus.CONNECTED and session.last_seen < session.probe_sent_at:
                self._mark_unresponsive(session)

        if not session.probe_id and now >= session.next_probe_at:
            self._send_probe(session, now)

        # While a probe is out, the next check is its deadline, because no
        # probe is sent before the last one got a response or timed out.
        self._schedule_check(session, session.probe_deadline if session.probe_id else session.next_probe_at)

    def _schedule_check(self, session: Session, due: float) -> None:
        """Make ``due`` the session's only live check; an entry queued earlier is skipped when it comes up."""
        session.next_check_at = due
        self._checks.push(due, session)

    def _send_probe(self, session: Session, now: float) -> None:
        session.next_probe_at = now + self._probes.interval
        probe_id = f"{PROBE_ID_PREFIX}{fresh_request_id()}"
        try:
            session.send(manager_pb2.ServerStreamMessage(svmInfoReq=manager_pb2.SVMInfoReq(id=probe_id)))
        except BackendsdError as error:
            logger.debug("probe_not_sent", backend_id=session.backend_id, error=error.message)
            return
        session.probe_id = probe_id
        session.probe_sent_at = now_us()
        session.probe_deadline = now + self._probes.timeout

    def _mark_unresponsive(self, session: Session) -> None:
        session.status = ConnectionStatus.UNRESPONSIVE
        reason = f"no response to a health probe within {self._probes.timeout:g} s"
        self._transition(session, TransitionType.UNRESPONSIVE, reason)
        self._publish(BackendEventType.UNRESPONSIVE, session.backend, session.state)
        logger.warning("manager_unresponsive", backend_id=session.backend_id, peer=session.peer, reason=reason)

    def _transition(self, session: Session, transition: TransitionType, reason: str) -> None:
        self._history.add(
            Transition(
                backend_id=session.backend_id,
                at=now_us(),
                type=transition,
                reason=reason,
                peer=session.peer,
                certificate_serial=session.certificate_serial,
            )
        )

    def _publish(self, event_type: BackendEventType, backend: Backend, connection: ConnectionState) -> None:
        self._events.publish(BackendEvent(type=event_type, backend=backend, connection=connection, at=now_us()))
