"""Vendor signals against a short key of vendorbench's news events: precision and recall of
(vendor, kind, date within 7 days), and the time signals add to ingesting its inbox.

The key, bench/signals_key.json, was written by reading the inbox's documents; the test is
other inboxes, so it measures the mechanism, not a list to reach.

Usage: .venv/bin/python bench/signals.py [--inbox ../shared/bench/vendorbench/inbox]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import date
from pathlib import Path

from common import open_service, print_table, save, timed  # bench/: first on the path

from assistant.core.settings import PROJECT_ROOT
from assistant.core.signals import Signal

KEY = PROJECT_ROOT / "bench/signals_key.json"
WITHIN_DAYS = 7


def matches(signal: Signal, event: dict[str, str]) -> bool:
    apart = abs((date.fromisoformat(signal.date) - date.fromisoformat(event["date"])).days)
    return (
        signal.vendor == event["vendor"] and signal.kind == event["kind"] and apart <= WITHIN_DAYS
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = PROJECT_ROOT.parent / "shared/bench/vendorbench/inbox"
    parser.add_argument("--inbox", type=Path, default=default)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench/results/signals.json")
    args = parser.parse_args()
    events = json.loads(KEY.read_text("utf-8"))["events"]
    with tempfile.TemporaryDirectory() as folder:
        intel = open_service(Path(folder))
        intel.settings.inbox = args.inbox.resolve()
        intel.embed_model.get_text_embedding("warm up")
        ingest = timed(lambda: intel.ingest(progress=False))  # reads the signals too
        intel.signals.store.remove(list(intel.signals.store.read()))
        reading = timed(intel.signals.sync)
        found = intel.signals.listed()
        intel.close()
    right = [s for s in found if any(matches(s, e) for e in events)]
    recalled = [e for e in events if any(matches(s, e) for s in found)]
    report = {
        "signals": len(found),
        "key_events": len(events),
        "precision": round(len(right) / max(1, len(found)), 3),
        "recall": round(len(recalled) / max(1, len(events)), 3),
        "ingest_s": round(ingest, 2),
        "signal_reading_s": round(reading, 2),
    }
    print_table(report, "signals on vendorbench")
    for signal in found:
        mark = "ok" if signal in right else "--"
        print(f"  {mark} {signal.date} {signal.vendor} [{signal.kind}] {signal.summary[:70]}")
    for event in events:
        if event not in recalled:
            print(f"  missed {event['date']} {event['vendor']} [{event['kind']}] {event['what']}")
    save(report, args.out)


if __name__ == "__main__":
    main()
