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
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Generic, TypeVar

from backendsd.backends.model import Backend
from backendsd.connections.model import ConnectionState, ConnectionStatus
from backendsd.errors import ResourceExhaustedError

T = TypeVar("T")

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


class Subscription(Generic[T]):
    """One watcher's queue of matching events."""

    def __init__(self, hub: Hub[T], *, matches: Callable[[T], bool], capacity: int) -> None:
        self._hub = hub
        self.matches = matches
        self._capacity = capacity
        self._queue: collections.deque[T] = collections.deque()
        self._ready = asyncio.Event()
        self.overflowed = False

    def offer(self, event: T) -> None:
        if self.overflowed:
            return
        if len(self._queue) >= self._capacity:
            self.overflowed = True
            self._queue.clear()
        else:
            self._queue.append(event)
        self._ready.set()

    async def next(self) -> T:
        """Return the next event; raise SubscriptionOverflowError once the queue overflowed."""
        while not self._queue:
            if self.overflowed:
                raise SubscriptionOverflowError(
                    f"watcher fell more than {self._capacity} events behind and was dropped; "
                    "read the current state again and start a new watch"
                )
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()

    def close(self) -> None:
        self._hub.unsubscribe(self)

    def __enter__(self) -> Subscription[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Hub(Generic[T]):
    """Publishes events of one type to the subscriptions they match."""

    def __init__(self, *, capacity: int = DEFAULT_SUBSCRIPTION_CAPACITY) -> None:
        self._capacity = capacity
        self._subscriptions: set[Subscription[T]] = set()

    def subscribe(self, matches: Callable[[T], bool]) -> Subscription[T]:
        subscription = Subscription(self, matches=matches, capacity=self._capacity)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription[T]) -> None:
        self._subscriptions.discard(subscription)

    def publish(self, event: T) -> None:
        for subscription in list(self._subscriptions):
            if subscription.matches(event):
                subscription.offer(event)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)


class EventHub(Hub[BackendEvent]):
    """The hub of backend events."""

    def watch(
        self, *, statuses: Collection[ConnectionStatus] = (), backend_ids: Collection[str] = ()
    ) -> Subscription[BackendEvent]:
        """Subscribe to events whose backend is among ``backend_ids`` and ends in one of ``statuses``.

        An empty collection matches everything.
        """
        wanted_statuses, wanted_ids = frozenset(statuses), frozenset(backend_ids)

        def matches(event: BackendEvent) -> bool:
            if wanted_statuses and event.connection.status not in wanted_statuses:
                return False
            return not wanted_ids or event.backend.id in wanted_ids

        return self.subscribe(matches)
