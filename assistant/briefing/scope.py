"""Which vendors a briefing covers, and whether the run is kept as the one to compare with."""

from __future__ import annotations

from collections.abc import Callable

from assistant.core.errors import RequestError

MAX_BRIEFED_VENDORS = 25


def vendors_to_brief(
    asked: list[str] | None, known: list[str], canonical: Callable[[str], str]
) -> tuple[list[str], bool]:
    """The vendors a briefing covers (those asked for, else the `known` ones) and whether to
    keep it: a run for names the registry and documents do not know is answered, not kept,
    or it would be the "previous briefing" every later run compares with."""
    vendors = list(dict.fromkeys(v.strip() for v in asked if v.strip())) if asked else known
    if asked and len(vendors) > MAX_BRIEFED_VENDORS:  # the registry's own are all briefed
        raise RequestError(
            f"{len(vendors)} vendors asked for; a briefing covers at most "
            f"{MAX_BRIEFED_VENDORS}: ask for fewer, or for none to brief the registry's"
        )
    familiar = {canonical(v) for v in known}
    return vendors, all(canonical(v) in familiar for v in vendors)
