"""What a browser may do with the server: the Host names it answers to, the sites whose pages
may change something or use the chat's socket, and the headers that keep its pages from being
framed, sniffed or given scripts from elsewhere."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import math
import re
import time
from collections.abc import Collection
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.core.settings import ServingSettings

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
LOGIN_FAILURES = 5  # failed sign-ins from one address before it has to wait
LOGIN_LOCKOUT, LOGIN_LOCKOUT_MAX = 60.0, 900.0  # seconds: the first wait, the longest
MAX_TRACKED_CLIENTS = 10_000
EVERY_ADDRESS = ("0.0.0.0", "::", "")  # a bind to these answers on every address of the machine
CHANGES_STATE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The chat page: its scripts are its own (and the inline ones it is served with, by hash);
# Chainlit's page asks for its font and KaTeX stylesheets from their CDNs.
CHAT_POLICY = (
    "default-src 'self'; script-src 'self'{scripts}; "
    "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com https://cdn.jsdelivr.net; "
    "font-src 'self' data: https://fonts.gstatic.com https://cdn.jsdelivr.net; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# The API docs load Swagger UI and ReDoc from their CDN and start them with an inline script;
# they show the API's own schema, never document text.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' data: https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class Access:
    """The Host names the server answers to (None: any, for in-process test clients) and the
    other sites' origins it lets in."""

    hosts: tuple[str, ...] | None
    origins: frozenset[str]
    any_address: bool = False  # bound to every address: any IP address names this machine

    @classmethod
    def of(cls, serving: ServingSettings, bind_host: str | None) -> Access:
        hosts = None
        if bind_host is not None:
            names = [bind_host, *LOOPBACK_NAMES, *serving.allowed_hosts]
            hosts = tuple(n.strip("[]").lower() for n in names)
        every = bind_host is not None and bind_host.strip("[]") in EVERY_ADDRESS
        return cls(hosts, frozenset(serving.allowed_origins), every)

    def allows_host(self, host: str) -> bool:
        """A Host header's name (its port left out) is one the server was started for: a
        page on another name that resolves here (DNS rebinding) is refused. An IP address
        cannot be rebound, so one is allowed when the server listens on every address."""
        if self.hosts is None:
            return True
        name = host_name(host)
        if name in self.hosts or any(
            h.startswith("*.") and name.endswith(h[1:]) for h in self.hosts
        ):
            return True
        return self.any_address and is_ip_address(name)

    def allows_origin(self, origin: str, scope: Scope) -> bool:
        """The page's origin is the server's own (as the request names it) or a configured one."""
        return origin.lower() in self.origins or origin.lower() == own_origin(scope)


@dataclass(frozen=True)
class ChatPage:
    """What the guards must know of the mounted chat."""

    socket_path: str
    inline_scripts: list[str]  # hashes, as CSP sources


def host_name(host: str) -> str:
    """'[::1]:8000' -> '::1', 'Example.org:80' -> 'example.org'."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostGuard:
    """Answers only requests whose Host the server was started for (see Access.allows_host);
    ports are not compared, as a port mapping or a proxy may change them."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            host = Headers(scope=scope).get("host", "")
            if not self.access.allows_host(host):
                detail = (
                    f"this server does not answer to the name {host_name(host)!r}: open it by "
                    "the address it was started on, or add the name to VENDORINTEL_ALLOWED_HOSTS"
                )
                await refuse(scope, receive, send, 400, detail)
                return
        await self.app(scope, receive, send)


async def refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
) -> None:
    """Answer a request with a JSON refusal that says what to do, as the API's errors do."""
    await JSONResponse({"detail": detail}, status_code=status, headers=headers)(
        scope, receive, send
    )


def own_origin(scope: Scope) -> str:
    """The server's origin as this request reaches it: its scheme and its Host header, which
    HostGuard has checked."""
    scheme = {"ws": "http", "wss": "https"}.get(scope["scheme"], scope["scheme"])
    return f"{scheme}://{Headers(scope=scope).get('host', '')}".lower()


class OriginGuard:
    """Refuses a page of another origin (a browser names it in the Origin header; other
    clients send none) what it could do harm with: a request that changes something, and the
    chat's socket, which CORS does not guard (a browser opens a websocket for any page)."""

    def __init__(self, app: ASGIApp, access: Access, socket_path: str | None) -> None:
        self.app = app
        self.access = access
        self.socket_path = socket_path

    def checks(self, scope: Scope) -> bool:
        if scope["type"] == "websocket":
            return True
        if scope["type"] != "http":
            return False
        socket = self.socket_path is not None and scope["path"].startswith(self.socket_path)
        return socket or scope["method"] in CHANGES_STATE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.checks(scope):
            origin = Headers(scope=scope).get("origin")
            if origin is not None and not self.access.allows_origin(origin, scope):
                detail = (
                    f"requests from {origin} are not allowed: set VENDORINTEL_ALLOWED_ORIGINS "
                    "to allow it"
                )
                await refuse(scope, receive, send, 403, detail)
                return
        await self.app(scope, receive, send)


class LoginThrottle:
    """Slows password guessing on the chat's sign-in: after LOGIN_FAILURES failed attempts
    from one address, its sign-ins are refused (429 with Retry-After) for a while, twice as
    long after each further failure; a success clears the count."""

    def __init__(self, app: ASGIApp, path: str = "/login") -> None:
        self.app = app
        self.path = path
        self.failures: dict[str, int] = {}
        self.locked_until: dict[str, float] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        client = str((scope.get("client") or ("unknown",))[0])
        wait = self.locked_until.get(client, 0.0) - time.monotonic()
        if wait > 0:
            seconds = math.ceil(wait)
            detail = f"too many failed sign-ins from this address: try again in {seconds} s"
            await refuse(scope, receive, send, 429, detail, {"Retry-After": str(seconds)})
            return
        status: list[int] = []

        async def noting_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        await self.app(scope, receive, noting_status)
        self.count(client, status[0] if status else 500)

    def count(self, client: str, status: int) -> None:
        if status in (401, 403):
            failed = self.failures[client] = self.failures.get(client, 0) + 1
            if failed >= LOGIN_FAILURES:
                pause = min(LOGIN_LOCKOUT * 2 ** (failed - LOGIN_FAILURES), LOGIN_LOCKOUT_MAX)
                self.locked_until[client] = time.monotonic() + pause
        elif status < 400:
            self.failures.pop(client, None)
            self.locked_until.pop(client, None)
        if len(self.failures) > MAX_TRACKED_CLIENTS:  # a flood of addresses: forget the oldest
            for stale in list(self.failures)[: len(self.failures) // 2]:
                self.failures.pop(stale, None)
                self.locked_until.pop(stale, None)


class SecurityHeaders:
    """Adds the Content-Security-Policy (the docs pages' own on those), no framing and no
    content sniffing to every response."""

    def __init__(self, app: ASGIApp, policy: str, docs_pages: Collection[str]) -> None:
        self.app = app
        self.docs_pages = docs_pages
        common = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"}
        self.headers = {**common, "Content-Security-Policy": policy}
        self.docs_headers = {**common, "Content-Security-Policy": DOCS_POLICY}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = self.docs_headers if scope["path"] in self.docs_pages else self.headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                MutableHeaders(scope=message).update(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def protect(app: FastAPI, access: Access, chat: ChatPage | None) -> None:
    """Install the guards; the last added runs first, so the headers go on refusals too."""
    if chat is not None:
        app.add_middleware(LoginThrottle)
    app.add_middleware(OriginGuard, access=access, socket_path=chat.socket_path if chat else None)
    # The one CORS layer, for the API, the chat and its socket: only configured origins are
    # granted, with credentials (as Chainlit grants them), so their pages can use a login.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=sorted(access.origins),
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )
    if access.hosts is not None:
        app.add_middleware(HostGuard, access=access)
    docs = (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url)
    docs_pages = {page for page in docs if page}
    inline_scripts = chat.inline_scripts if chat else []
    policy = CHAT_POLICY.format(scripts="".join(f" {s}" for s in inline_scripts))
    app.add_middleware(SecurityHeaders, policy=policy, docs_pages=docs_pages)


def inline_script_hashes(page: str) -> list[str]:
    """CSP sources that allow exactly the inline scripts of this HTML page."""
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.DOTALL)
    digests = (hashlib.sha256(script.encode()).digest() for script in scripts)
    return [f"'sha256-{base64.b64encode(d).decode()}'" for d in digests]
