"""The event bus: every new message, edit, deletion, payment and refund, fanned out to subscribers.

Subscribers are tests (``async for event in standin.subscribe()``) and, later, a browser chat page streaming
events over SSE. Each subscription has its own unbounded queue, so a slow reader never blocks the stand-in.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

from standin.records import Event


class Subscription:
    """A stream of events from the moment of subscribing; iterate it, ``get()`` from it, close it when done."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self.queue: asyncio.Queue[Event] = asyncio.Queue()

    async def get(self, within: float | None = None) -> Event:
        """Return the next event; raise TimeoutError when none comes ``within`` seconds."""
        return await asyncio.wait_for(self.queue.get(), within)

    def close(self) -> None:
        """Stop receiving events."""
        self._bus.unsubscribe(self)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        return await self.queue.get()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class EventBus:
    """Fans events out to every open subscription."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()

    @property
    def subscribers(self) -> int:
        """How many subscriptions are open now (an event stream's client that left is no longer counted)."""
        return len(self._subscriptions)

    def subscribe(self) -> Subscription:
        """Return a new subscription receiving every event published from now on."""
        subscription = Subscription(self)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget ``subscription`` (idempotent)."""
        self._subscriptions.discard(subscription)

    def publish(self, event: Event) -> None:
        """Hand ``event`` to every subscription without waiting."""
        for subscription in self._subscriptions:
            subscription.queue.put_nowait(event)
