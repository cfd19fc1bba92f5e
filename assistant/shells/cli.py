"""`vendorintel` command line: a thin shell over the service functions."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import httpx
import typer
from pydantic import ValidationError

from assistant.core.errors import EmbeddingModelError, StoreUnavailableError, VendorIntelError
from assistant.core.models import Answer
from assistant.core.settings import Settings
from assistant.shells.cli_signals import add_signals_command
from assistant.shells.cli_watchlist import watchlist_commands
from assistant.shells.remote import (
    RemoteService,
    register_server,
    running_server,
    unregister_server,
)

if TYPE_CHECKING:
    from assistant.app import VendorIntel

app = typer.Typer(
    help="Questions about your AI vendors, answered with cited evidence.",
    no_args_is_help=True,
    add_completion=False,
)

EXIT_UNAVAILABLE = 2
EXIT_SOME_FAILED = 3


def fail(exc: Exception) -> typer.Exit:
    """Exit with the error's message and its exit code (2 for a setup problem)."""
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(exc.exit_code if isinstance(exc, VendorIntelError) else EXIT_UNAVAILABLE)


def load_settings() -> Settings:
    """The settings from VENDORINTEL_* and .env; a bad value exits with what to fix."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise fail(ValueError(f"invalid settings: {problems}")) from exc


def log_to_stderr(settings: Settings) -> None:
    """Long-running commands log what they do (which provider answered, in how long)."""
    logging.basicConfig(
        level=settings.serving.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per HTTP request otherwise


def open_service(settings: Settings) -> VendorIntel | str:
    """The service over this data dir, or the URL of the running server that holds its
    store; setup problems exit with a message, not a trace."""
    from assistant.app import VendorIntel  # llama-index and the store: not for --help

    try:
        return VendorIntel(settings)
    except StoreUnavailableError as exc:
        url = running_server(settings)
        if url is None:
            raise fail(exc) from exc
        return url
    except (EmbeddingModelError, FileNotFoundError, ImportError) as exc:
        raise fail(exc) from exc


def api_key(settings: Settings) -> str | None:
    return settings.serving.api_key.get_secret_value() if settings.serving.api_key else None


@contextmanager
def service() -> Iterator[VendorIntel | RemoteService]:
    """Open the service for one command, or reach the running server that holds the store.

    Setup problems exit with a message, not a trace.
    """
    settings = load_settings()
    opened = open_service(settings)
    intel = RemoteService(opened, api_key(settings)) if isinstance(opened, str) else opened
    try:
        yield intel
    except (StoreUnavailableError, EmbeddingModelError, RuntimeError) as exc:
        raise fail(exc) from exc
    finally:
        intel.close()


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: the inbox).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Index new and changed files, and drop files that are gone. Exit 3 if any file failed."""
    with service() as intel:
        report = intel.ingest(paths or None)
    typer.echo(report.model_dump_json(indent=2) if as_json else report.summary())
    if not report.ok:
        raise typer.Exit(EXIT_SOME_FAILED)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    vendor: Annotated[str | None, typer.Option(help="Only evidence about this vendor.")] = None,
    top_k: Annotated[int | None, typer.Option(min=1, max=100, help="Chunks to retrieve.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Answer a question from the indexed documents, citing each statement."""
    with service() as intel:
        answer = intel.ask(question, vendor=vendor, top_k=top_k)
    typer.echo(answer.model_dump_json(indent=2) if as_json else render_answer(answer))


@app.command("eval")
def evaluate(
    dataset: Annotated[
        Path, typer.Option(help="Questions, one JSON object a line: id, question, gold_sources.")
    ],
    k: Annotated[int, typer.Option(min=1, max=50, help="Sources ranked per question.")] = 10,
    compare: Annotated[
        bool, typer.Option(help="Also run a plain dense baseline in the same process.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Measure retrieval (hit@k, MRR, recall) and citation precision on a question set."""
    with service() as intel:
        if isinstance(intel, RemoteService):
            raise fail(RuntimeError("Stop `vendorintel serve` first: eval opens the index itself."))
        try:
            report = intel.evaluate(dataset, k, compare, progress=lambda m: typer.echo(m, err=True))
        except (OSError, ValueError) as exc:
            raise fail(exc) from exc
    typer.echo(json.dumps(report, indent=2) if as_json else intel.metrics_table(report))


@app.command()
def documents(
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List the indexed documents."""
    with service() as intel:
        docs = intel.documents()
    if as_json:
        typer.echo(json.dumps([d.model_dump() for d in docs], indent=2))
        return
    if not docs:
        typer.echo(
            "No documents indexed yet: drop files into the inbox and run `vendorintel ingest`."
        )
        return
    row = "{:44} {:8} {:9} {:>6}  {:25} {}"
    typer.echo(row.format("SOURCE", "STATUS", "TYPE", "CHUNKS", "INGESTED", "VENDORS"))
    for d in docs:
        vendors = ", ".join(d.vendors)
        typer.echo(
            row.format(d.source, d.status, d.doc_type, d.chunks, d.ingested_at or "-", vendors)
        )
        for reason in d.reasons:
            typer.echo(f"    {reason}")


@app.command()
def facts(
    kind: Annotated[str, typer.Argument(help="workflows or evals")],
    vendor: Annotated[str | None, typer.Option(help="Only records involving this vendor.")] = None,
    workflow: Annotated[
        str | None, typer.Option(help="Only workflows whose name has this.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the records as JSON.")] = False,
) -> None:
    """Print the workflow registry or the eval results, each record with its file and locator."""
    if kind not in ("workflows", "evals"):
        raise fail(ValueError("say `facts workflows` or `facts evals`"))
    with service() as intel:
        if isinstance(intel, RemoteService):
            raise fail(RuntimeError("stop `vendorintel serve` first, or use its chat and API"))
        records = (intel.workflows if kind == "workflows" else intel.evals)(vendor, workflow)
    rows = [asdict(r) for r in records]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    columns = FACT_COLUMNS[kind]
    typer.echo(render_table([{c: row[c] for c in columns} for row in rows], columns))


FACT_COLUMNS = {
    "workflows": ["name", "criticality", "primary_vendor", "primary_model", "fallback_vendor",
                  "fallback_model", "renewal", "source", "locator"],
    "evals": ["date", "vendor", "model", "version", "workflow", "metric", "score",
              "latency_p95_ms", "cost_per_1k_tokens", "source", "locator"],
}  # fmt: skip


def render_table(rows: list[dict[str, object]], columns: list[str]) -> str:
    if not rows:
        return "No records: add a registry (registry/*.yaml) or eval tables (evals/*.csv)."
    cells = [[("" if row[c] is None else str(row[c])) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)


@app.command()
def checkpoints(
    vendor: Annotated[
        list[str] | None, typer.Option(help="A vendor to brief on (repeat; default: all).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="md, html or json.")] = "md",
    out: Annotated[Path | None, typer.Option(help="Write the briefing to this file.")] = None,
) -> None:
    """Run the 90-day checkpoint list per vendor: evidence, gaps, figures, what changed."""
    if fmt not in ("md", "html", "json"):
        raise fail(ValueError("--format is md, html or json"))
    with service() as intel:
        text = intel.checkpoints(vendor or [], fmt)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text, "utf-8")
        typer.echo(f"Briefing written to {out}")


@app.command()
def watch() -> None:
    """Keep the index in line with the inbox: reconcile now, then follow changes (Ctrl-C stops)."""
    with service() as intel:
        if isinstance(intel, RemoteService):
            raise fail(
                RuntimeError(f"`vendorintel serve` at {intel.url} already watches the inbox.")
            )
        typer.echo(f"Watching {intel.settings.inbox_dir} (Ctrl-C stops).")

        async def echo(message: str) -> None:
            typer.echo(message)

        intel.events.subscribe(echo)
        with suppress(KeyboardInterrupt):
            asyncio.run(intel.watch_inbox(asyncio.Event()))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the chat at /, the JSON API at /api (docs at /docs), OpenAI-compatible chat
    completions at /v1 and the MCP tools at /mcp, on one port."""
    import uvicorn

    from assistant.app import VendorIntel
    from assistant.shells.api import create_app

    settings = load_settings()
    log_to_stderr(settings)
    try:
        intel = VendorIntel(settings)
    except (StoreUnavailableError, EmbeddingModelError, FileNotFoundError, ImportError) as exc:
        raise fail(exc) from exc
    url = f"http://{host}:{port}"
    typer.echo(
        f"vendorintel: chat at {url}/  API at {url}/api  docs at {url}/docs  "
        f"OpenAI-compatible at {url}/v1  MCP at {url}/mcp"
    )
    warning = exposure_warning(host, settings)
    if warning:
        typer.echo(f"vendorintel: warning: {warning}", err=True)
    if host not in LOOPBACK and not settings.serving.allowed_hosts:
        typer.echo(
            "vendorintel: note: it answers to this machine's addresses and localhost; to open "
            "it by a name, set VENDORINTEL_ALLOWED_HOSTS",
            err=True,
        )
    register_server(settings, url)
    try:
        served = create_app(settings, intel=intel, host=host)
        # A stop (SIGTERM, Ctrl-C) waits this long for requests in flight, then ends them.
        uvicorn.run(served, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
    finally:
        unregister_server(settings)
        intel.close()


@app.command()
def mcp() -> None:
    """Serve the tools to a desktop agent (Claude Desktop, Cursor) over stdio, by MCP."""
    from assistant.shells.mcp_server import serve_stdio

    settings = load_settings()
    log_to_stderr(settings)  # stdout carries the protocol, and nothing else
    intel = open_service(settings)
    if isinstance(intel, str):  # a running `serve` holds the index
        relay_to_server(intel, settings)
        return
    try:
        asyncio.run(serve_stdio(intel))
    finally:
        intel.close()


def relay_to_server(url: str, settings: Settings) -> None:
    """The running `serve` holds the index: relay the agent to its /mcp."""
    from mcp.shared.exceptions import McpError

    from assistant.shells.mcp_relay import relay_stdio

    logging.getLogger(__name__).info("relaying to the MCP tools of %s/mcp", url)
    try:
        asyncio.run(relay_stdio(url, api_key(settings)))
    except* (httpx.HTTPError, McpError) as group:
        problem = group.exceptions[0]
        raise fail(
            RuntimeError(f"The server at {url} did not answer at /mcp ({problem}).")
        ) from None


@app.command("hash-password")
def hash_password_command(
    user: Annotated[
        str | None,
        typer.Option(help="Print a 'NAME:HASH' line for VENDORINTEL_CHAT_USERS_FILE."),
    ] = None,
) -> None:
    """Print the hash of a chat password, to put in VENDORINTEL_CHAT_USERS (or its file)."""
    from assistant.core.passwords import hash_password

    if user is not None and (not user.strip() or ":" in user):
        raise fail(ValueError("a user name must not be empty or hold ':'"))
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 12:
        raise fail(ValueError("use a password of at least 12 characters"))
    hashed = hash_password(password)
    typer.echo(f"{user.strip()}:{hashed}" if user else hashed)


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def exposure_warning(host: str, settings: Settings) -> str | None:
    """What is open to others when serving on an address other machines can reach."""
    if host in LOOPBACK:
        return None
    opened = (
        []
        if settings.serving.chat_users
        else ["the chat at / has no login (VENDORINTEL_CHAT_USERS)"]
    )
    if settings.serving.api_key is None:
        opened.insert(0, "the API answers anyone (set VENDORINTEL_API_KEY)")
    if not opened:
        return None
    return (
        f"listening on {host}, reachable from other machines: {'; '.join(opened)}. "
        "Serve on 127.0.0.1 behind an authenticating proxy, or keep the port private."
    )


def render_answer(answer: Answer) -> str:
    """The answer, then each numbered source with its locator and quote."""
    lines = [answer.answer]
    if answer.notice:
        lines += ["", f"({answer.notice})"]
    elif answer.answered_by != "extractive":
        lines += ["", f"(Answered by {answer.answered_by}.)"]
    if answer.citations:
        lines += ["", "Sources:"]
        for c in answer.citations:
            lines.append(
                f"[{c.n}] {c.title} ({c.doc_type}, {c.published}) - {c.source}, {c.locator}"
            )
            lines.append(f'    "{c.quote}"')
    return "\n".join(lines)


app.add_typer(watchlist_commands(service, render_answer), name="watchlist")
add_signals_command(app, service)

if __name__ == "__main__":
    app()
