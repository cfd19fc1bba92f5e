"""News about ingestion (new documents, failed files) for whoever shows it, such as the chat."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)
Listener = Callable[[str], Awaitable[None]]


class EventLog:
    """Listeners are coroutines called, in the server's event loop, with a one-line message."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self.recent: list[str] = []

    def subscribe(self, listener: Listener) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    async def publish(self, message: str) -> None:
        self.recent = [*self.recent[-49:], message]
        logger.info(message)
        for listener in list(self._listeners):
            try:
                await listener(message)
            except Exception:  # one broken listener must not stop the others or the watcher
                logger.exception("an ingestion event listener failed")
