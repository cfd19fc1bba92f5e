"""`vendorintel watchlist`: follow a question, list what is followed with its last change,
show one's history, stop following it."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Annotated, Any

import typer

from assistant.core.watchlist import Change, Followed

Service = Callable[[], AbstractContextManager[Any]]  # the CLI's service(): store or server


def watchlist_commands(service: Service, render_answer: Callable[[Any], str]) -> typer.Typer:
    """The sub-commands, over the CLI's `service()` (the store, or the server holding it)."""
    commands = typer.Typer(
        help="Standing questions: followed answers are re-checked after every ingestion, and "
        "each change is recorded with the documents that caused it.",
        no_args_is_help=True,
    )
    add_following(commands, service, render_answer)
    add_reading(commands, service, render_answer)
    return commands


def add_following(
    commands: typer.Typer, service: Service, render_answer: Callable[[Any], str]
) -> None:
    @commands.command("add")
    def add(
        question: Annotated[str | None, typer.Argument(help="The question, in quotes.")] = None,
        vendor: Annotated[str | None, typer.Option(help="Only evidence about this vendor.")] = None,
        checkpoints: Annotated[
            bool, typer.Option("--checkpoints", help="Follow the checkpoint briefing instead.")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print it as JSON.")] = False,
    ) -> None:
        """Follow a question (or, with --checkpoints, the 90-day checkpoint briefing)."""
        if (question is None) == (not checkpoints):
            raise typer.BadParameter("give a question, or --checkpoints, not both")
        with service() as intel:
            watchlist = intel.watchlist
            followed = (
                watchlist.follow_checkpoints(vendor)
                if checkpoints
                else watchlist.follow(question, vendor)
            )
        if as_json:
            typer.echo(followed.model_dump_json(indent=2))
            return
        typer.echo(f"Following #{followed.id}: {followed.question}\n")
        typer.echo(render_answer(followed.answer))

    @commands.command("remove")
    def remove(
        followed_id: Annotated[int, typer.Argument(help="The id `watchlist list` shows.")],
    ) -> None:
        """Stop following a question; its history goes with it."""
        with service() as intel:
            intel.watchlist.unfollow(followed_id)
        typer.echo(f"No longer following #{followed_id}.")


def add_reading(
    commands: typer.Typer, service: Service, render_answer: Callable[[Any], str]
) -> None:
    @commands.command("list")
    def listed(
        as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
    ) -> None:
        """The followed questions, each with its last change."""
        with service() as intel:
            followed = intel.watchlist.followed()
        if as_json:
            typer.echo(json.dumps([f.model_dump(mode="json") for f in followed], indent=2))
        elif not followed:
            typer.echo('Nothing is followed yet: `vendorintel watchlist add "your question"`.')
        else:
            typer.echo("\n\n".join(followed_lines(f) for f in followed))

    @commands.command("show")
    def show(
        followed_id: Annotated[int, typer.Argument(help="The id `watchlist list` shows.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print it as JSON.")] = False,
    ) -> None:
        """One followed question: its answer now and every change, newest first."""
        with service() as intel:
            history = intel.watchlist.history(followed_id)
        if as_json:
            typer.echo(history.model_dump_json(indent=2))
            return
        typer.echo(followed_lines(history.followed) + "\n")
        typer.echo(render_answer(history.followed.answer))
        for change in history.changes:
            typer.echo("\n" + change_line(change))


def followed_lines(followed: Followed) -> str:
    vendor = f" (vendor {followed.vendor})" if followed.vendor else ""
    status = followed.answer.status.replace("_", " ")
    sources = len({c.source for c in followed.answer.citations})
    lines = [
        f"#{followed.id}  {followed.question}{vendor}",
        f"    {status}, {sources} source(s); checked {followed.checked_at}",
    ]
    change = followed.last_change
    lines.append("    " + (change_line(change) if change else "no change since it was followed"))
    return "\n".join(lines)


def change_line(change: Change) -> str:
    return f"{change.at} [{', '.join(change.kinds)}] {change.summary}"
