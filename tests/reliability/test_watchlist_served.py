"""Followed questions on a real `vendorintel serve`: dropped files change their answers within
seconds, a webhook that fails twice gets every change without ingestion waiting on it, and a
server killed with SIGKILL loses no followed question."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tests.builders import write
from tests.conftest import cli_env, run_cli, serving, wait_for
from tests.test_watchlist import (
    FALLBACK,
    MISTRAL_PRICES,
    NOT_YET,
    NOVEMBER_EVALS,
    OFFICE_MOVE,
    REGRESSION,
    RETIREMENT,
    northwind_inbox,
)

KEY = "watch-KEY-5521"
HOOK_SECRET = "T000/B000/hook-secret-8812"  # a webhook URL's path is its credential
HOLD = 3.0  # seconds the receiver holds each refusal: longer than a drop takes to be re-checked
CHANGE_WITHIN = 10.0


@dataclass
class Receiver:
    """A Slack-like incoming webhook on loopback that refuses its first `refusals` posts."""

    refusals: int
    posts: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[tuple[float, dict[str, Any]]] = field(default_factory=list)


@contextmanager
def receiving(refusals: int) -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver(refusals)

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            receiver.posts.append(body)
            if len(receiver.posts) <= receiver.refusals:
                time.sleep(HOLD)
                self.send_response(500)
            else:
                receiver.accepted.append((time.monotonic(), body))
                self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver, f"http://127.0.0.1:{server.server_address[1]}/services/{HOOK_SECRET}"
    finally:
        server.shutdown()


def followed_by_question(client: httpx.Client) -> dict[str, dict[str, Any]]:
    return {f["question"]: f for f in client.get("/api/watchlist").json()}


def changed(client: httpx.Client, question: str, changes: int) -> bool:
    followed = followed_by_question(client)[question]
    history = client.get(f"/api/watchlist/{followed['id']}").json()
    return len(history["changes"]) >= changes


def test_drops_change_followed_answers_and_the_webhook_gets_them_after_two_refusals(
    tmp_path: Path,
) -> None:
    northwind_inbox(tmp_path / "inbox")
    inbox = tmp_path / "inbox"
    with receiving(refusals=2) as (receiver, hook):
        env = {
            "VENDORINTEL_API_KEY": KEY,
            "VENDORINTEL_NOTIFY_URL": hook,
            "VENDORINTEL_NOTIFY_BACKOFF_SECONDS": "0.2",
        }
        with serving(tmp_path, documents=5, env=env) as served:
            client = httpx.Client(base_url=served.url, headers={"X-API-Key": KEY}, timeout=60)
            for question in (FALLBACK, REGRESSION, NOT_YET):
                created = client.post("/api/watchlist", json={"question": question})
                assert created.status_code == 201, created.text
            refused = client.post("/api/watchlist", json={})
            assert refused.status_code == 422 and "either a question or" in refused.text

            # A document unrelated to all three changes none of them.
            write(inbox / "articles" / "office-move.md", OFFICE_MOVE)
            sources = lambda: {d["source"] for d in client.get("/api/documents").json()}  # noqa: E731
            wait_for(lambda: "articles/office-move.md" in sources(), 10)
            time.sleep(1.0)
            assert all(f["last_change"] is None for f in followed_by_question(client).values())

            drops = [
                ("contracts/qwen-max-retirement.md", RETIREMENT, FALLBACK),
                ("evals/support-evals-2026-11.csv", NOVEMBER_EVALS, REGRESSION),
                ("articles/mistral-prices.md", MISTRAL_PRICES, NOT_YET),
            ]
            visible_at = []
            for source, text, question in drops:
                write(inbox / source, text)
                wait_for(lambda q=question: changed(client, q, 1), CHANGE_WITHIN)  # type: ignore[misc]
                visible_at.append(time.monotonic())
                change = followed_by_question(client)[question]["last_change"]
                assert [c["source"] for c in change["causes"]] == [source]
                assert "figure" in change["kinds"]

            # Ingestion went on while the receiver held its refusals: all three changes were
            # found before it accepted the first, which came on the third try.
            wait_for(lambda: len(receiver.accepted) == 3, 30)
            assert visible_at[-1] < receiver.accepted[0][0]
            first = receiver.posts[0]["change"]["id"]
            assert [p["change"]["id"] for p in receiver.posts[:3]] == [first] * 3
            bodies = [body for _, body in receiver.accepted]
            assert {b["change"]["followed_id"] for b in bodies} == {1, 2, 3}
            assert all(b["text"] == b["change"]["summary"] for b in bodies)
            assert "retired on 2027-01-31" in bodies[0]["text"]

            # The command line shows the same, through the server that holds the store.
            env_cli = {**cli_env(served.data_dir, inbox), "VENDORINTEL_API_KEY": KEY}
            listed = run_cli(env_cli, "watchlist", "list")
            assert listed.returncode == 0, listed.stderr
            assert "#1  " + FALLBACK in listed.stdout and "retired on 2027-01-31" in listed.stdout

            # Killed as soon as a deletion is indexed: the re-check may not have run.
            pid = int(json.loads((served.data_dir / "server.json").read_text())["pid"])
            (inbox / "contracts" / "qwen-max-retirement.md").unlink()
            wait_for(lambda: "contracts/qwen-max-retirement.md" not in sources(), 10, step=0.05)
            os.kill(pid, signal.SIGKILL)
            served.process.wait(timeout=30)  # type: ignore[union-attr]
        logs = [(tmp_path / "serve.log").read_text()]

        with serving(tmp_path, documents=8, env=env) as again:
            client = httpx.Client(base_url=again.url, headers={"X-API-Key": KEY}, timeout=60)
            assert set(followed_by_question(client)) == {FALLBACK, REGRESSION, NOT_YET}
            wait_for(lambda: changed(client, FALLBACK, 2), CHANGE_WITHIN)
            history = client.get("/api/watchlist/1").json()
            assert [c["causes"][0]["change"] for c in history["changes"]] == ["deleted", "added"]
            wait_for(lambda: len(receiver.accepted) == 4, 30)

    logs.append((tmp_path / "serve.log").read_text())
    assert all(HOOK_SECRET not in log for log in logs)
    assert all(KEY not in json.dumps(post) for post in receiver.posts)
