"""The Chainlit chat: a thin shell over the service, built by `build_chat` and mounted at /
by `vendorintel serve`."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path

import chainlit as cl
import yaml
from chainlit.context import init_ws_context
from chainlit.element import Element
from chainlit.input_widget import InputWidget, Select
from chainlit.session import WebsocketSession

from assistant.app import VendorIntel
from assistant.core.errors import SERVICE_ERRORS
from assistant.core.models import (
    Answer,
    Citation,
    FactTable,
    FileOutcome,
    Restart,
    Token,
)
from assistant.core.passwords import hash_password, verify_password
from assistant.core.settings import Settings
from assistant.core.tables import record_fields
from assistant.shells.charts import timeline_figure, trend_figure
from assistant.shells.chat_data import FeedbackOnlyDataLayer

logger = logging.getLogger(__name__)
SOURCES_TITLE = "Sources of the latest answer"
ALL_VENDORS = "All vendors"
FOLLOW = "follow"  # the action under an answer that follows its question
CHAT_MODULE = Path(__file__)  # what Chainlit loads; it registers nothing by itself


def build_chat(intel: Callable[[], VendorIntel], settings: Settings) -> None:
    """Register the chat's handlers with Chainlit, over the service `intel` returns (the app's,
    once it has started); with chat users configured, the chat asks for a login first."""
    if settings.serving.chat_users:
        register_login(settings)
    register_welcome(settings.prompts_dir)
    register_follow(intel)
    sessions: set[str] = set()  # open chats, told when the inbox watcher indexes documents

    @cl.data_layer
    def data_layer() -> FeedbackOnlyDataLayer:
        return FeedbackOnlyDataLayer(intel())

    async def broadcast(message: str) -> None:
        for session_id in list(sessions):
            session = WebsocketSession.get_by_id(session_id)
            if session is None:
                sessions.discard(session_id)
            else:
                # Each send runs in its own task, so setting the session's context stays there.
                await asyncio.create_task(notify(session, message))

    @cl.on_chat_end
    async def end() -> None:
        sessions.discard(cl.context.session.id)

    @cl.on_chat_start
    async def start() -> None:
        sessions.add(cl.context.session.id)
        intel().events.subscribe(broadcast)
        vendors = [ALL_VENDORS, *intel().catalog.names()]
        widgets: list[InputWidget] = [
            Select(id="vendor", label="Vendor filter", values=vendors, initial_index=0)
        ]
        await cl.ChatSettings(widgets).send()
        cl.user_session.set("vendor", None)
        cl.user_session.set("previous", None)

    @cl.on_message
    async def on_message(message: cl.Message) -> None:
        files = [e for e in message.elements or [] if isinstance(e, cl.File) and e.path]
        if files:
            await ingest_dropped(intel(), files)
        text = message.content.strip()
        if text.startswith("/checkpoints"):
            await briefing(intel(), text.removeprefix("/checkpoints").strip())
            return
        # With files, only a question is answered; a remark such as "new contract" is not.
        if text and (not files or text.endswith("?")):
            await answer(intel(), text)


def register_follow(intel: Callable[[], VendorIntel]) -> None:
    """The Follow button under each answer: its question joins the watchlist."""

    @cl.action_callback(FOLLOW)
    async def follow(action: cl.Action) -> None:
        question, vendor = action.payload["question"], action.payload.get("vendor")
        try:
            followed = await cl.make_async(intel().watchlist.follow)(question, vendor)
        except SERVICE_ERRORS as exc:
            await cl.Message(content=f"The question could not be followed: {exc}").send()
            return
        await cl.Message(
            content=f"Following #{followed.id}: “{followed.question}”. When a new or changed "
            "document changes its answer, you are told here (and in `vendorintel watchlist "
            "list`)."
        ).send()


def register_welcome(prompts_dir: Path) -> None:
    """The starter questions of prompts/starters.yaml, and the vendor filter's handler."""

    @cl.set_starters
    async def starters(
        user: cl.User | None = None, language: str | None = None
    ) -> list[cl.Starter]:
        path = prompts_dir / "starters.yaml"
        entries = (yaml.safe_load(path.read_text("utf-8")) or {}).get("starters", [])
        return [cl.Starter(label=e["label"], message=e["message"]) for e in entries]

    @cl.on_settings_update
    async def settings_update(values: dict[str, str]) -> None:
        vendor = values.get("vendor")
        cl.user_session.set("vendor", None if vendor in (None, ALL_VENDORS) else vendor)


def register_login(settings: Settings) -> None:
    """Ask for a user name and password, checked against the configured hashes."""
    # Checked against a hash even for an unknown name, so timing does not tell names apart.
    unknown_user = hash_password(secrets.token_urlsafe())

    @cl.password_auth_callback
    async def login(username: str, password: str) -> cl.User | None:
        """A configured user with the right password; anyone else sees the login again."""
        stored = settings.serving.chat_users.get(username)
        hashed = stored.get_secret_value() if stored else unknown_user
        matches = await asyncio.to_thread(verify_password, password, hashed)
        return cl.User(identifier=username) if matches and stored else None


async def notify(session: WebsocketSession, message: str) -> None:
    init_ws_context(session)
    topic = message.split(":", 1)[0].lower()  # inbox, watchlist
    await cl.Message(content=f"*{message}*", author=topic).send()


async def ingest_dropped(intel: VendorIntel, files: Sequence[cl.File]) -> None:
    """Files dropped into the chat go through the inbox pipeline; say what became of each."""
    with ExitStack() as stack:
        uploads = [(f.name, stack.enter_context(Path(str(f.path)).open("rb"))) for f in files]
        try:
            outcomes = await cl.make_async(intel.add_files)(uploads)
        except SERVICE_ERRORS as exc:
            await cl.Message(content=f"The files could not be indexed: {exc}").send()
            return
    await cl.Message(content=describe_outcomes(outcomes)).send()


async def briefing(intel: VendorIntel, vendor: str) -> None:
    """The 90-day checkpoint briefing, for one vendor or all of them."""
    vendors = [vendor] if vendor else None
    text = await cl.make_async(intel.checkpoints)(vendors, "md")
    await cl.Message(content=text).send()


async def answer(intel: VendorIntel, text: str) -> None:
    previous = cl.user_session.get("previous")
    question = await cl.make_async(intel.standalone_question)(previous, text)
    cl.user_session.set("previous", question)
    vendor = cl.user_session.get("vendor")
    reply = cl.Message(content="")
    searching = f"*Searching for: {question}*\n\n" if question != " ".join(text.split()) else ""
    if searching:
        await reply.stream_token(searching)
    try:
        result = await stream_answer(reply, intel.ask_stream(question, vendor), searching)
    except SERVICE_ERRORS as exc:
        await cl.Message(content=f"The assistant cannot answer right now: {exc}").send()
        return
    except Exception:
        logger.exception("answering %r failed", question)
        await cl.Message(content=intel.message("internal_error")).send()
        return
    # The checked answer replaces what was streamed: a sentence the checks dropped goes.
    reply.content = searching + result.answer + footer(result, vendor)
    elements: list[Element] = list(citation_elements(result.citations))
    if result.trend:
        figure = trend_figure(result.trend)
        elements.append(cl.Plotly(name="trend", figure=figure, display="inline"))
    if result.timeline:
        figure = timeline_figure(result.timeline)
        elements.append(cl.Plotly(name="timeline", figure=figure, display="inline"))
    reply.elements = elements  # type: ignore[assignment]  # Chainlit types it with a TypeVar
    reply.actions = [follow_action(question, vendor)]
    await reply.send()
    await show_sources(result.citations, reply.id)
    # The thumbs rate the run that produced the reply (its parent step), not the message.
    intel.feedback.remember(reply.parent_id or reply.id, question, vendor, result)


async def stream_answer(
    reply: cl.Message, events: Iterator[Token | Restart | Answer], prefix: str
) -> Answer:
    """Show tokens as they come; a restart clears them; returns the final answer."""
    while True:
        event = await asyncio.to_thread(next, events, None)
        if isinstance(event, Token):
            await reply.stream_token(event.text)
        elif isinstance(event, Restart):
            reply.content = prefix
            await reply.update()
        elif isinstance(event, Answer):
            return event
        else:
            raise RuntimeError("the answer stream ended without an answer")


def follow_action(question: str, vendor: str | None) -> cl.Action:
    return cl.Action(
        name=FOLLOW,
        payload={"question": question, "vendor": vendor},
        label="Follow",
        tooltip="Re-check this answer after every ingestion and say here when it changes",
    )


def footer(result: Answer, vendor: str | None) -> str:
    """The table from the records, who answered, and the vendor filter."""
    parts = []
    if result.table:
        parts.append(markdown_table(result.table))
    notes = []
    if result.notice:
        notes.append(result.notice)
    elif result.answered_by != "extractive":
        notes.append(f"Answered by {result.answered_by}")
    if vendor:
        notes.append(f"Vendor filter: {vendor}")
    if notes:
        parts.append("*" + " · ".join(notes) + "*")
    return "".join(f"\n\n{part}" for part in parts)


def markdown_table(table: FactTable) -> str:
    header = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "---|" * len(table.columns)
    rows = ["| " + " | ".join(cell or "-" for cell in row) + " |" for row in table.rows]
    return "\n".join([header, rule, *rows])


async def show_sources(citations: list[Citation], answer_id: str) -> None:
    """The side panel shows the sources of the latest answer, and only those: an earlier
    answer's citations never stay on screen beside a new one. No sources close it."""
    if not citations:
        await cl.ElementSidebar.set_elements([])
        return
    await cl.ElementSidebar.set_title(SOURCES_TITLE)
    # Shown in the panel itself, not as links to it (citation_elements' "side" display).
    sources = [cl.Text(name=f"[{c.n}]", content=citation_markdown(c)) for c in citations]
    await cl.ElementSidebar.set_elements(sources, key=answer_id)


def citation_elements(citations: list[Citation]) -> list[cl.Text]:
    """One side-panel element per citation, named like its marker so "[1]" becomes a link."""
    return [
        cl.Text(name=f"[{c.n}]", content=citation_markdown(c), display="side") for c in citations
    ]


def citation_markdown(c: Citation) -> str:
    return (
        f"**[{c.n}] {c.title}**\n\n"
        f"Source: `{c.source}`  \nLocation: {c.locator}  \n"
        f"Type: {c.doc_type}  \nDate: {c.published}\n\n{quoted(c)}"
    )


def quoted(c: Citation) -> str:
    """The quote as its source shows it: YAML keeps its lines, a table row lists its fields,
    prose is a block quote."""
    if c.source.endswith((".yaml", ".yml")):
        return f"```yaml\n{c.quote}\n```"
    fields = record_fields(c.quote)
    if fields is not None and len(fields) > 1:
        return "\n".join(f"- **{key}**: {value}" for key, value in fields)
    return "\n".join(f"> {line}" for line in c.quote.splitlines())


def describe_outcomes(outcomes: list[FileOutcome]) -> str:
    indexed = [o for o in outcomes if o.status in ("added", "updated")]
    lines = [f"Indexed {len(indexed)} of {len(outcomes)} file(s):"]
    for o in outcomes:
        lines.append(f"- `{o.source}`: {o.status}" + (f" ({o.reason})" if o.reason else ""))
    return "\n".join(lines)
