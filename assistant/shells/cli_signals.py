"""`vendorintel signals`: the dated events documents report, per vendor, in time order."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Annotated, Any

import typer

from assistant.core.signals import SIGNAL_KINDS, Signal

Service = Callable[[], AbstractContextManager[Any]]  # the CLI's service(): store or server


def add_signals_command(app: typer.Typer, service: Service) -> None:
    @app.command("signals")
    def signals(
        vendor: Annotated[str | None, typer.Option(help="Only this vendor (any name).")] = None,
        since: Annotated[
            datetime | None,
            typer.Option(formats=["%Y-%m-%d"], help="Only events on or after YYYY-MM-DD."),
        ] = None,
        kind: Annotated[
            str | None, typer.Option(help="Only this kind: " + ", ".join(SIGNAL_KINDS) + ".")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print them as JSON.")] = False,
    ) -> None:
        """Vendor signals: releases, price changes, outages, deals ... with their sources."""
        day: date | None = since.date() if since else None
        with service() as intel:
            found = intel.signals.listed(vendor, day, kind)
        if as_json:
            listed = [s.model_dump(mode="json", exclude={"dated"}) for s in found]
            typer.echo(json.dumps({"signals": listed}, indent=2, ensure_ascii=False))
        elif not found:
            typer.echo("No signals match: `vendorintel signals` lists them all.")
        else:
            typer.echo("\n\n".join(signal_lines(s) for s in found))


def signal_lines(signal: Signal) -> str:
    lines = [f"{signal.date}  {signal.vendor}  [{signal.kind}]  {signal.summary}"]
    lines += [f"    {c.source}, {c.locator}" for c in signal.citations]
    return "\n".join(lines)
