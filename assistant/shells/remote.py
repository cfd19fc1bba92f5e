"""The CLI talking to a running `vendorintel serve`, which holds the embedded store."""

from __future__ import annotations

import json
import os
from contextlib import suppress
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from assistant.core.models import Answer, DocumentInfo
from assistant.core.report import IngestReport
from assistant.core.signals import Signal
from assistant.core.watchlist import Followed, FollowedHistory

if TYPE_CHECKING:
    from assistant.core.settings import Settings


def server_file(settings: Settings) -> Path:
    return settings.data_dir / "server.json"


def register_server(settings: Settings, url: str) -> None:
    """Tell other processes on this machine where the server holding this data dir listens."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    server_file(settings).write_text(json.dumps({"url": url, "pid": os.getpid()}))


def unregister_server(settings: Settings) -> None:
    with suppress(FileNotFoundError):
        server_file(settings).unlink()


def running_server(settings: Settings) -> str | None:
    """The URL of a live server registered for this data dir, if any."""
    try:
        entry = json.loads(server_file(settings).read_text())
        os.kill(int(entry["pid"]), 0)  # raises if that process is gone
        return str(entry["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


class RemoteService:
    """The service functions the CLI needs, over the running server's API."""

    def __init__(self, url: str, api_key: str | None = None) -> None:
        self.url = url
        headers = {"X-API-Key": api_key} if api_key else {}
        self.client = httpx.Client(base_url=url, timeout=600, headers=headers)

    def ask(self, question: str, vendor: str | None = None, top_k: int | None = None) -> Answer:
        body = {"question": question, "vendor": vendor, "top_k": top_k}
        return Answer.model_validate(self._call("POST", "/api/ask", json=body))

    def documents(self) -> list[DocumentInfo]:
        return [DocumentInfo.model_validate(d) for d in self._call("GET", "/api/documents")]

    def ingest(self, paths: list[Path] | None = None, progress: bool | None = None) -> IngestReport:
        if paths:
            raise RuntimeError(
                f"The server at {self.url} holds the index. Copy the files into the inbox and run "
                "`vendorintel ingest` without paths, or upload them with POST /api/documents."
            )
        return IngestReport.model_validate(self._call("POST", "/api/ingest"))

    def checkpoints(self, vendors: list[str], fmt: str) -> str:
        params: dict[str, str | list[str]] = {"vendor": vendors, "format": fmt}
        return self._request("GET", "/api/checkpoints", params=params).text

    @property
    def watchlist(self) -> RemoteWatchlist:
        return RemoteWatchlist(self)

    @property
    def signals(self) -> RemoteSignals:
        return RemoteSignals(self)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._request(method, path, **kwargs).json()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RuntimeError(f"The server at {self.url} did not answer ({exc}).") from exc
        if response.status_code >= 400:
            raise RuntimeError(f"The server at {self.url} refused: {reason(response)}")
        return response

    def close(self) -> None:
        self.client.close()


class RemoteWatchlist:
    """The watchlist's functions, over the running server's API."""

    def __init__(self, remote: RemoteService) -> None:
        self.remote = remote

    def follow(self, question: str, vendor: str | None = None) -> Followed:
        body = {"question": question, "vendor": vendor}
        return Followed.model_validate(self.remote._call("POST", "/api/watchlist", json=body))

    def follow_checkpoints(self, vendor: str | None = None) -> Followed:
        body = {"checkpoints": True, "vendor": vendor}
        return Followed.model_validate(self.remote._call("POST", "/api/watchlist", json=body))

    def followed(self) -> list[Followed]:
        return [Followed.model_validate(f) for f in self.remote._call("GET", "/api/watchlist")]

    def history(self, followed_id: int) -> FollowedHistory:
        found = self.remote._call("GET", f"/api/watchlist/{followed_id}")
        return FollowedHistory.model_validate(found)

    def unfollow(self, followed_id: int) -> None:
        self.remote._request("DELETE", f"/api/watchlist/{followed_id}")


class RemoteSignals:
    """The signals' listing, over the running server's API."""

    def __init__(self, remote: RemoteService) -> None:
        self.remote = remote

    def listed(
        self, vendor: str | None = None, since: date | None = None, kind: str | None = None
    ) -> list[Signal]:
        wanted = {"vendor": vendor, "since": since.isoformat() if since else None, "kind": kind}
        params = {k: v for k, v in wanted.items() if v is not None}
        found = self.remote._call("GET", "/api/signals", params=params)
        return [Signal.model_validate(s) for s in found["signals"]]


def reason(response: httpx.Response) -> str:
    """The API's own explanation (its `detail`), else the body as it came."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return detail if isinstance(detail, str) else response.text
