"""Requests that could wear the server down, against a real `serve`: password guessing on the
chat's sign-in is slowed, and a briefing asked for hundreds of made-up vendors is refused,
while one for a few unknown names is answered without becoming the briefing compared with."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from assistant.core.passwords import hash_password
from tests.builders import markdown, write
from tests.conftest import Served, serving

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("request-limits")
    write(root / "inbox" / "terms.md", markdown("Qwen terms", "Alibaba Cloud keeps qwen-max."))
    users = json.dumps({"ada": hash_password(PASSWORD, iterations=10_000)})
    with serving(root, documents=1, env={"VENDORINTEL_CHAT_USERS": users}) as served:
        yield served


def sign_in(server: Served, password: str) -> httpx.Response:
    return httpx.post(f"{server.url}/login", data={"username": "ada", "password": password})


def test_repeated_failed_sign_ins_are_slowed(server: Served) -> None:
    for _ in range(5):
        assert sign_in(server, "not the password").status_code == 401
    refused = sign_in(server, "not the password")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 30
    assert "too many failed sign-ins" in refused.json()["detail"]
    assert sign_in(server, PASSWORD).status_code == 429  # even the right one, for now


def test_a_briefing_for_hundreds_of_vendors_is_refused(server: Served) -> None:
    made_up = [("vendor", f"Made Up {n}") for n in range(300)]
    response = httpx.get(f"{server.url}/api/checkpoints", params=made_up, timeout=60)
    assert response.status_code == 400
    assert "at most 25" in response.json()["detail"]


def test_a_briefing_for_unknown_vendors_is_answered_but_not_kept(server: Served) -> None:
    params = [("vendor", "Nonesuch AI"), ("vendor", "Imaginary Labs")]
    response = httpx.get(f"{server.url}/api/checkpoints", params=params, timeout=120)
    assert response.status_code == 200
    assert [v["vendor"] for v in response.json()["vendors"]] == ["Nonesuch AI", "Imaginary Labs"]
    saved = (server.data_dir / "briefings").glob("*.json")
    assert not any("Nonesuch AI" in path.read_text() for path in saved)
