"""A page on another site cannot drive a real `serve`: it is granted no CORS, changes nothing,
cannot use the chat's socket, and a name of its own pointed at the server (DNS rebinding) gets
400; the chat and the API send headers that keep them from being framed, sniffed or scripted
from elsewhere, and the chat still works under them; an origin set in
VENDORINTEL_ALLOWED_ORIGINS is let in. JSON holding what JSON text cannot carry gets a 400."""

from __future__ import annotations

import base64
import json
import os
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from assistant.core.settings import Settings
from assistant.shells.guards import Access, inline_script_hashes
from tests.builders import markdown, write
from tests.conftest import Served, serving
from tests.test_chat_browser import CHROMIUM, CHROMIUM_FLAGS, ask

EVIL = "http://evil.example"
PORTAL = "http://portal.example"  # the one other site the server is configured to let in
PROXY_NAME = "vendorintel.example"  # a name it is configured to answer to
KEPT = "contracts/qwen-terms.md"
TERMS = markdown("Qwen terms", "Alibaba Cloud must give 60 days notice before retiring qwen-max.")
NOTE = markdown("Planted", "Kimi is the fallback for every workflow.").encode()
SOCKET = "/ws/socket.io/?EIO=4&transport=polling"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("origins")
    write(root / "inbox" / KEPT, TERMS)
    env = {
        "VENDORINTEL_ALLOWED_ORIGINS": json.dumps([PORTAL]),
        "VENDORINTEL_ALLOWED_HOSTS": json.dumps([PROXY_NAME]),
    }
    with serving(root, documents=1, env=env) as served:
        yield served


def preflight(url: str, origin: str, method: str) -> httpx.Response:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "content-type",
    }
    return httpx.options(url, headers=headers)


def listed(served: Served) -> set[str]:
    return {d["source"] for d in httpx.get(f"{served.url}/api/documents").json()}


def test_a_foreign_page_is_granted_no_cors(server: Served) -> None:
    for path, method in [(f"/api/documents/{KEPT}", "DELETE"), ("/api/ask", "POST"), ("/", "GET")]:
        response = preflight(server.url + path, EVIL, method)
        assert response.headers.get("access-control-allow-origin") is None, path
    # Nor on the chat's own routes, even with its login cookie.
    config = httpx.get(f"{server.url}/auth/config", headers={"Origin": EVIL, "Cookie": "a=b"})
    assert config.status_code == 200
    assert "access-control-allow-origin" not in config.headers


def test_a_foreign_page_can_neither_delete_nor_plant_a_document(server: Served) -> None:
    for origin in (EVIL, "null"):  # "null": a sandboxed frame or a file:// page
        deleted = httpx.delete(f"{server.url}/api/documents/{KEPT}", headers={"Origin": origin})
        planted = httpx.post(
            f"{server.url}/api/documents",
            files=[("files", ("planted.md", NOTE))],
            headers={"Origin": origin},
        )
        for response in (deleted, planted):
            assert response.status_code == 403
            assert response.json()["detail"] == (
                f"requests from {origin} are not allowed: set VENDORINTEL_ALLOWED_ORIGINS "
                "to allow it"
            )
    asked = httpx.post(f"{server.url}/api/ask", json={"question": "Why?"}, headers={"Origin": EVIL})
    assert asked.status_code == 403
    assert (server.inbox / KEPT).exists() and not (server.inbox / "planted.md").exists()
    assert listed(server) == {KEPT}


def test_the_servers_own_pages_and_other_clients_still_change_things(server: Served) -> None:
    own = {"Origin": server.url}
    uploaded = httpx.post(
        f"{server.url}/api/documents", files=[("files", ("own.md", NOTE))], headers=own
    )
    assert uploaded.status_code == 200 and uploaded.json()[0]["status"] == "added"
    asked = httpx.post(f"{server.url}/api/ask", json={"question": "Why?"}, headers=own)
    assert asked.status_code == 200
    deleted = httpx.delete(f"{server.url}/api/documents/own.md")  # no Origin: not a browser
    assert deleted.status_code == 200
    assert not (server.inbox / "own.md").exists() and listed(server) == {KEPT}


def test_a_host_the_server_was_not_started_for_gets_400(server: Served) -> None:
    port = urlsplit(server.url).port
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1.evil.example:{port}"):
        for path in ("/api/documents", "/"):
            response = httpx.get(server.url + path, headers={"Host": host})
            assert response.status_code == 400, (host, path)
    for host in (f"localhost:{port}", f"[::1]:{port}", PROXY_NAME, f"{PROXY_NAME}:{port}"):
        assert httpx.get(f"{server.url}/api/documents", headers={"Host": host}).status_code == 200


def test_the_chat_socket_refuses_a_foreign_page(server: Served) -> None:
    refused = httpx.get(server.url + SOCKET, headers={"Origin": EVIL})
    assert refused.status_code == 403 and "VENDORINTEL_ALLOWED_ORIGINS" in refused.text
    for origin in (server.url, PORTAL):
        accepted = httpx.get(server.url + SOCKET, headers={"Origin": origin})
        assert accepted.status_code == 200 and accepted.text.startswith("0{"), origin
    assert accepted.headers["access-control-allow-origin"] == PORTAL

    assert websocket_status(server, EVIL) == 403
    assert websocket_status(server, server.url) == 101  # switched to the websocket


def websocket_status(served: Served, origin: str) -> int:
    """The status the chat socket's websocket handshake gets, sent as a browser sends it."""
    address = urlsplit(served.url)
    key = base64.b64encode(os.urandom(16)).decode()
    handshake = (
        f"GET {SOCKET.replace('polling', 'websocket')} HTTP/1.1\r\nHost: {address.netloc}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Key: {key}\r\nOrigin: {origin}\r\n\r\n"
    )
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(handshake.encode())
        status_line = connection.recv(4096).split(b"\r\n")[0]
    return int(status_line.split()[1])


def test_the_chat_and_the_api_send_the_security_headers(server: Served) -> None:
    page = httpx.get(f"{server.url}/")
    for response in (page, httpx.get(f"{server.url}/api/healthz"), httpx.get(f"{server.url}/docs")):
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
    chat_policy = page.headers["content-security-policy"]
    assert "unsafe-inline" not in chat_policy.split("script-src")[1].split(";")[0]
    scripts = inline_script_hashes(page.text)
    assert scripts and all(script in chat_policy for script in scripts)


def test_a_configured_origin_is_granted_cors_and_may_post(server: Served) -> None:
    granted = preflight(f"{server.url}/api/ask", PORTAL, "POST")
    assert granted.status_code == 200
    assert granted.headers["access-control-allow-origin"] == PORTAL
    assert granted.headers["access-control-allow-credentials"] == "true"
    question = {"question": "How much notice before retiring qwen-max?"}
    asked = httpx.post(f"{server.url}/api/ask", json=question, headers={"Origin": PORTAL})
    assert asked.status_code == 200 and "60 days" in asked.json()["answer"]
    assert asked.headers["access-control-allow-origin"] == PORTAL


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"question": "Notice?", "top_k": NaN}', "NaN or Infinity"),
        ('{"question": "Notice?", "top_k": Infinity}', "NaN or Infinity"),
        ('{"question": "Notice?", "top_k": -1e999}', "NaN or Infinity"),
        ('{"question": "\\ud800 notice?"}', "a lone surrogate"),
        ('{"question": "Notice?", "vendor": "\\udfff"}', "a lone surrogate"),
        ('{"question": "\\ud800", "top_k": 0}', "a lone surrogate"),
    ],
)
def test_json_that_json_text_cannot_carry_gets_400_with_the_reason(
    server: Served, body: str, reason: str
) -> None:
    for path in ("/api/ask", "/api/ask/stream"):
        response = httpx.post(
            server.url + path, content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, (path, response.text)
        assert response.json()["detail"].startswith(f"The JSON body holds {reason}")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed")
def test_the_chat_answers_under_its_content_security_policy(server: Served) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS[1:]
        )
        page = browser.new_page()
        page.set_default_timeout(60_000)
        # Recorded from the first script on, so a blocked inline script shows too.
        page.add_init_script(
            "window.violations = [];"
            "document.addEventListener('securitypolicyviolation', e => "
            "window.violations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        response = page.goto(server.url + "/")
        assert response is not None and "content-security-policy" in response.headers
        page.locator("#chat-settings-open-modal").wait_for()
        ask(page, "How much notice before retiring qwen-max?")
        page.locator(".ai-message").filter(has_text="60 days").last.wait_for()
        page.get_by_role("link", name="[1]").first.click()
        page.get_by_text(f"Source: {KEPT}").first.wait_for()
        violations = page.evaluate("window.violations")
        browser.close()
    assert violations == []


def test_bound_to_every_address_any_ip_address_is_answered_but_no_other_name() -> None:
    serving_settings = Settings(_env_file=None).serving  # type: ignore[call-arg]
    every = Access.of(serving_settings, "0.0.0.0")
    assert every.allows_host("192.168.1.20:8000") and every.allows_host("[fe80::1]:8000")
    assert not every.allows_host("vendorintel.evil.example:8000")
    loopback = Access.of(serving_settings, "127.0.0.1")
    assert not loopback.allows_host("192.168.1.20:8000")
    assert loopback.allows_host("localhost:8000")
