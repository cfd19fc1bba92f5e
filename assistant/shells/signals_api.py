"""The vendor signals under /api/signals: the dated events documents report, per vendor, in
time order, with their citations."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from assistant.core.signals import SIGNAL_KINDS, Signal
from assistant.shells.http import Intel, StrictJSONRoute, require_api_key


class SignalList(BaseModel):
    signals: list[Signal]


router = APIRouter(
    prefix="/api/signals",
    dependencies=[Depends(require_api_key)],
    route_class=StrictJSONRoute,
    tags=["signals"],
)


@router.get("", response_model=SignalList, summary="Vendor signals: dated, cited events")
async def signals(
    intel: Intel,
    vendor: Annotated[str | None, Query(description="A vendor, by any of its names.")] = None,
    since: Annotated[
        date | None, Query(description="Only events on or after (YYYY-MM-DD).")
    ] = None,
    kind: Annotated[
        str | None, Query(description="Only events of this kind: " + ", ".join(SIGNAL_KINDS))
    ] = None,
) -> SignalList:
    return SignalList(signals=await run_in_threadpool(intel.signals.listed, vendor, since, kind))
