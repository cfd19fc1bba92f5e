"""Changes sent to a Slack or Teams incoming webhook: from the watchlist file's deliveries,
in order, by one background thread, retried with backoff, so ingestion never waits on the
receiver.

The webhook's URL is a secret (its path is the credential): it is never logged, and an error
is recorded as its HTTP status or exception name only, as their messages carry the URL.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import httpx

from assistant.core.watchlist import Change
from assistant.storage.watchlist import Delivery, WatchlistStore

logger = logging.getLogger(__name__)
MAX_DELAY = 600.0  # seconds between two tries, at most


def webhook_body(change: Change) -> dict[str, Any]:
    """Slack's and Teams' incoming webhooks show `text`; the structured change rides along."""
    return {"text": change.summary, "change": change.model_dump(mode="json")}


class Notifier:
    def __init__(
        self,
        store: WatchlistStore,
        url: str,
        timeout: float,
        attempts: int,
        backoff: float,
    ) -> None:
        # httpx logs each request's URL at INFO, and this URL is a secret.
        logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))
        self.store = store
        self._url = url
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Deliver what is owed (also what an earlier run left), now and whenever woken."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="webhook", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self.start()
        self._wake.set()

    def stop(self) -> None:
        """Stop after the current try; what is still owed is sent at the next start."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 1)

    def _run(self) -> None:
        """Send the oldest change owed once it is due; a later one waits for it, so the
        channel reads the changes in the order they were found."""
        with httpx.Client(timeout=self.timeout) as client:
            while not self._stop.is_set():
                delivery = self.store.next_delivery()
                wait = MAX_DELAY if delivery is None else delivery.due - time.time()
                if delivery is not None and wait <= 0:
                    self._deliver(client, delivery)
                    continue
                self._wake.wait(min(MAX_DELAY, wait))
                self._wake.clear()

    def _deliver(self, client: httpx.Client, delivery: Delivery) -> None:
        change = delivery.change
        try:
            response = client.post(self._url, json=webhook_body(change))
            error = None if response.is_success else f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        if error is None:
            self.store.delivered(change.id)
            return
        tried = delivery.attempts + 1
        if tried >= self.attempts:
            logger.error(
                "The notification webhook refused change %s %d times (last: %s); it is not "
                "sent again. Check VENDORINTEL_NOTIFY_URL.",
                change.id,
                tried,
                error,
            )
            self.store.give_up(change.id, error)
            return
        delay = min(MAX_DELAY, self.backoff * 2 ** (tried - 1))
        logger.warning(
            "The notification webhook failed for change %s (%s); trying again in %.1f s",
            change.id,
            error,
            delay,
        )
        self.store.retry(change.id, error, time.time() + delay)
