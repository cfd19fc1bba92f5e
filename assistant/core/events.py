"""News for whoever shows it, such as the chat: ingestion (new documents, failed files) and
changed answers of followed questions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)
Listener = Callable[[str], Awaitable[None]]


class EventLog:
    """Listeners are coroutines called, in the server's event loop, with a one-line message
    that opens with its topic: "Inbox: Indexed 1 new document: ...", "Watchlist: ..."."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self.recent: list[str] = []

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop the listeners run in, where `post` delivers from other threads."""
        self._loop = loop

    def subscribe(self, listener: Listener) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    async def publish(self, message: str, topic: str = "Inbox") -> None:
        message = self._keep(f"{topic}: {message}")
        for listener in list(self._listeners):
            try:
                await listener(message)
            except Exception:  # one broken listener must not stop the others or the watcher
                logger.exception("an event listener failed")

    def post(self, message: str, topic: str) -> None:
        """Publish from any thread: in the event loop of the listeners, when there is one
        running, without waiting for them; else it is only kept and logged."""
        loop = self._loop
        if loop is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(self.publish(message, topic), loop)
        else:
            self._keep(f"{topic}: {message}")

    def _keep(self, message: str) -> str:
        self.recent = [*self.recent[-49:], message]
        logger.info(message)
        return message
