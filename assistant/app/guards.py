"""The service's locks and the guard on writes to the index, as method decorators."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from assistant.core.errors import DataDirError, IngestionBusyError
from assistant.storage.disk import INGEST_AGAIN, data_dir_writes

P = ParamSpec("P")
R = TypeVar("R")


def exclusive(lock_name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run a method holding one of the service's locks (see VendorIntel)."""

    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        @wraps(method)
        def locked(*args: P.args, **kwargs: P.kwargs) -> R:
            with getattr(args[0], lock_name):
                return method(*args, **kwargs)

        return locked

    return decorate


store_access = exclusive("_store_lock")


def ingestion(method: Callable[P, R]) -> Callable[P, R]:
    """Run a method as the one ingestion at a time; a call that finds another running waits
    for it up to the service's `ingest_wait` seconds, then is told to retry (503)."""

    @wraps(method)
    def one_at_a_time(*args: P.args, **kwargs: P.kwargs) -> R:
        intel: Any = args[0]  # a VendorIntel
        lock = intel._ingest_lock
        if not lock.acquire(timeout=intel.ingest_wait):
            raise IngestionBusyError(
                "another ingestion is running (a large file, or many): try again in a "
                "moment; `vendorintel documents` shows what is indexed so far"
            )
        try:
            return method(*args, **kwargs)
        finally:
            lock.release()

    return one_at_a_time


def rechecks_followed(method: Callable[P, R]) -> Callable[P, R]:
    """After an ingestion method (its lock released), re-check the followed answers."""

    @wraps(method)
    def then_recheck(*args: P.args, **kwargs: P.kwargs) -> R:
        result = method(*args, **kwargs)
        intel: Any = args[0]  # a VendorIntel
        intel.recheck_followed()
        return result

    return then_recheck


def writes_index(retry: str = INGEST_AGAIN) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run a method that writes the index: a full or read-only disk raises a DataDirError
    (saying how to retry), which health reports until the index is saved again."""

    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        @wraps(method)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            intel: Any = args[0]  # a VendorIntel
            indexer = intel.ingestor.indexer
            try:
                with data_dir_writes(intel.settings.data_dir, retry):
                    saves = indexer.saves
                    result = method(*args, **kwargs)
            except DataDirError as exc:
                intel.write_error = str(exc)
                raise
            if indexer.saves > saves:  # a call that wrote nothing proves nothing
                intel.write_error = None
            return result

        return guarded

    return decorate
