"""Fan-out of backend changes to watchers, each with a bounded queue.

Publishing never waits: an event goes into every matching subscriber's queue
at once, and a subscriber whose queue is full is marked overflowed and gets
no more events. Its reader then fails with SubscriptionOverflowError, so a
slow watcher costs its own queue's memory and never slows a publisher.
"""

from __future__ import annotations

import asyncio
import collections
import enum
from collections.abc import Collection
from dataclasses import dataclass

from backendsd.backends.model import Backend
from backendsd.connections.model import ConnectionState, ConnectionStatus
from backendsd.errors import ResourceExhaustedError

# Events a watcher may fall behind by before it is dropped.
DEFAULT_SUBSCRIPTION_CAPACITY = 1024


class BackendEventType(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    UNRESPONSIVE = "unresponsive"
    TERMINATED = "terminated"


@dataclass(frozen=True)
class BackendEvent:
    """A change of one backend, with the backend and its connection after it."""

    type: BackendEventType
    backend: Backend
    connection: ConnectionState
    at: int


class SubscriptionOverflowError(ResourceExhaustedError):
    """The subscriber fell more events behind than its queue holds."""


class Subscription:
    """One watcher's queue of matching events."""

    def __init__(
        self,
        hub: EventHub,
        *,
        statuses: Collection[ConnectionStatus],
        backend_ids: Collection[str],
        capacity: int,
    ) -> None:
        self._hub = hub
        self._statuses = frozenset(statuses)
        self._backend_ids = frozenset(backend_ids)
        self._capacity = capacity
        self._queue: collections.deque[BackendEvent] = collections.deque()
        self._ready = asyncio.Event()
        self.overflowed = False

    def matches(self, event: BackendEvent) -> bool:
        if self._statuses and event.connection.status not in self._statuses:
            return False
        return not self._backend_ids or event.backend.id in self._backend_ids

    def offer(self, event: BackendEvent) -> None:
        if self.overflowed:
            return
        if len(self._queue) >= self._capacity:
            self.overflowed = True
            self._queue.clear()
        else:
            self._queue.append(event)
        self._ready.set()

    async def next(self) -> BackendEvent:
        """Return the next event; raise SubscriptionOverflowError once the queue overflowed."""
        while not self._queue:
            if self.overflowed:
                raise SubscriptionOverflowError(
                    f"watcher fell more than {self._capacity} events behind and was dropped; "
                    "list the backends again and start a new watch"
                )
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()

    def close(self) -> None:
        self._hub.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class EventHub:
    def __init__(self, *, capacity: int = DEFAULT_SUBSCRIPTION_CAPACITY) -> None:
        self._capacity = capacity
        self._subscriptions: set[Subscription] = set()

    def subscribe(
        self,
        *,
        statuses: Collection[ConnectionStatus] = (),
        backend_ids: Collection[str] = (),
    ) -> Subscription:
        subscription = Subscription(self, statuses=statuses, backend_ids=backend_ids, capacity=self._capacity)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    def publish(self, event: BackendEvent) -> None:
        for subscription in list(self._subscriptions):
            if subscription.matches(event):
                subscription.offer(event)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)
