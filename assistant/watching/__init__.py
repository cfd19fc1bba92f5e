"""Standing questions: followed answers re-checked on every ingestion, with what changed."""

from assistant.watching.notify import Notifier
from assistant.watching.watchlist import Reader, Watchlist

__all__ = ["Notifier", "Reader", "Watchlist"]
