"""Structured vendor facts: the workflow registry and eval results, each record citable.

The registry is YAML (`vendors` and `workflows`) or CSV; eval results are CSV or JSONL rows.
Every record keeps its file and its locator (YAML lines, spreadsheet row, JSONL line).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from assistant.core.records import EvalResult, Facts, Workflow
from assistant.core.safe_yaml import parse_yaml_safely
from ingest.loaders import LoadedFile, decode_text

# What a column holds, recognised by the words of its header, so that exports with other
# names ("model_snapshot", "kpi", "price_usd_per_1k_tok") map to the same fields. The first
# rule whose words all appear wins: (field, words that must all appear, any one of these).
EVAL_RULES: list[tuple[str, set[str], set[str]]] = [
    ("latency_p95_ms", set(), {"p95", "latency"}),
    ("cost_per_1k_tokens", set(), {"1k", "1000", "tok", "token", "tokens"}),
    ("parity_margin", {"margin"}, set()),
    ("version", set(), {"version", "snapshot", "revision", "build"}),
    ("date", set(), {"date", "evaluated", "day", "when"}),
    ("vendor", set(), {"vendor", "provider", "supplier"}),
    ("workflow", set(), {"workflow", "task", "usecase", "application", "process"}),
    ("metric", set(), {"metric", "kpi", "measure", "criterion"}),
    ("score", set(), {"score", "value", "result", "outcome", "rating"}),
    ("model", set(), {"model"}),
    ("notes", set(), {"note", "notes", "comment", "comments", "remark", "remarks"}),
    ("hosting", set(), {"hosting", "hosted", "deployment"}),
    ("role", {"role"}, set()),
]
EVAL_REQUIRED = ("date", "model", "score")
REGISTRY_RULES: list[tuple[str, set[str], set[str]]] = [
    ("primary_vendor", {"primary", "vendor"}, set()),
    ("primary_model", {"primary", "model"}, set()),
    ("primary_hosting", {"primary", "hosting"}, set()),
    ("display_name", set(), {"display", "title", "label"}),
    ("criticality", set(), {"criticality", "critical", "tier", "priority"}),
    ("owner", set(), {"owner", "responsible"}),
    ("uptime", set(), {"uptime", "availability"}),
    ("latency_p95_ms", set(), {"p95", "latency"}),
    ("renewal", set(), {"renewal", "renews", "term"}),
    ("deprecation_notice_days", set(), {"deprecation", "notice"}),
    ("reviewed", set(), {"reviewed", "updated"}),
    ("notes", set(), {"note", "notes", "comment", "comments", "remark", "remarks"}),
    ("aliases", set(), {"alias", "aliases"}),
    ("name", set(), {"workflow", "name", "id"}),
]
BACKUP_WORDS = {"fallback", "backup", "secondary", "failover"}
MODEL_FIELDS = {"primary_model", "fallback_model", "primary_vendor", "fallback_vendor"}


def column_key(header: str) -> str:
    """'P95 Latency (ms)' -> 'p95_latency_ms'."""
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def number(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(str(value).replace(",", "").replace("$", "").strip())
    except ValueError:
        return None


def text(value: Any) -> str | None:
    return str(value).strip() if value not in (None, "") else None


def header_words(header: str) -> set[str]:
    """'price_usd_per_1k_tok' -> {'price', 'usd', 'per', '1k', 'tok'}; 'use_case' also 'usecase'."""
    parts = column_key(header).split("_")
    return set(parts) | {a + b for a, b in itertools.pairwise(parts)}


def field_of(header: str, rules: list[tuple[str, set[str], set[str]]]) -> str | None:
    words = header_words(header)
    for name, every, some in rules:
        if every <= words and (not some or some & words):
            return name
    return None


def registry_field(header: str) -> str | None:
    words = header_words(header)
    if words & BACKUP_WORDS:
        for part in ("vendor", "model", "hosting"):
            if part in words:
                return f"fallback_{part}"
        return "fallback_model"
    return field_of(header, REGISTRY_RULES)


def fields_of(headers: list[str], field: Callable[[str], str | None]) -> list[str | None]:
    """Each header's field; when two headers claim one field, the first keeps it."""
    names: list[str | None] = []
    for header in headers:
        name = field(header)
        names.append(None if name in names else name)
    return names


def eval_fields(headers: list[str]) -> list[str | None]:
    return fields_of(headers, lambda h: field_of(h, EVAL_RULES))


def is_eval_table(headers: list[str]) -> bool:
    return {"model", "score"} <= set(eval_fields(headers)) and not is_registry_table(headers)


def is_registry_table(headers: list[str]) -> bool:
    """Workflows with their models: a name and a primary or fallback model or vendor."""
    names = set(fields_of(headers, registry_field))
    return "name" in names and bool(names & MODEL_FIELDS)


def is_vendor_table(headers: list[str]) -> bool:
    """Vendors and their aliases: a name (or vendor) column and an aliases column, no models."""
    keys = {column_key(h) for h in headers}
    return (
        bool(keys & {"name", "vendor", "vendor_name"})
        and bool(keys & {"aliases", "alias", "also_known_as"})
        and not is_registry_table(headers)
    )


def read_facts(path: Path, source: str, doc_type: str, loaded: LoadedFile | None = None) -> Facts:
    """The structured records of a registry or eval file; other files hold none. With the
    file as its loader read it, nothing is read or parsed again."""
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv", ".jsonl"):
        return Facts()
    content = loaded.raw_text if loaded and loaded.raw_text is not None else None
    content = decode_text(path.read_bytes()) if content is None else content
    if suffix in (".yaml", ".yml"):
        tree = loaded.yaml_tree if loaded else None
        return read_registry_yaml(content, tree or parse_yaml_safely(content), source)
    if suffix == ".csv":
        rows = list(csv.reader(io.StringIO(content, newline="")))
        if not rows:
            return Facts()
        numbered = enumerate(rows[1:], start=2)
        if is_registry_table(rows[0]):
            return read_registry_rows(source, rows[0], numbered)
        if is_vendor_table(rows[0]):
            return read_vendor_rows(rows[0], numbered)
        if is_eval_table(rows[0]):
            return read_eval_rows(source, rows[0], numbered, "row")
        return Facts()
    return read_eval_jsonl(content, source)


def read_eval_rows(source: str, headers: list[str], rows: Any, unit: str) -> Facts:
    facts = Facts()
    names = eval_fields(headers)
    unknown = [h for h, n in zip(headers, names, strict=True) if n is None and h.strip()]
    if unknown:
        facts.problems.append(f"eval columns not recognised (ignored): {', '.join(unknown)}")
    missing = [c for c in EVAL_REQUIRED if c not in names]
    if missing:
        facts.problems.append(f"eval table lacks column(s) {', '.join(missing)}; no results read")
        return facts
    for number_, row in rows:
        if isinstance(row, list):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(headers):
                continue  # the loader reports malformed rows
            record = {n: v for n, v in zip(names, row, strict=True) if n}
            quote = "; ".join(f"{h}: {v}" for h, v in zip(headers, row, strict=True) if v)
        else:
            by_header = dict(zip(headers, names, strict=True))
            record = {n: v for k, v in row.items() if (n := by_header.get(k))}
            quote = "; ".join(f"{k}: {v}" for k, v in row.items() if v not in (None, ""))
        score = number(record.get("score"))
        if score is None or not text(record.get("model")) or not text(record.get("date")):
            facts.problems.append(f"{unit} {number_}: needs a date, a model and a numeric score")
            continue
        facts.evals.append(
            EvalResult(
                date=str(text(record.get("date")))[:10],
                vendor=text(record.get("vendor")),
                model=str(text(record.get("model"))),
                version=text(record.get("version")),
                workflow=text(record.get("workflow")),
                metric=text(record.get("metric")),
                score=score,
                latency_p95_ms=number(record.get("latency_p95_ms")),
                cost_per_1k_tokens=number(record.get("cost_per_1k_tokens")),
                notes=text(record.get("notes")),
                source=source,
                locator=f"{unit} {number_}",
                quote=quote,
                hosting=text(record.get("hosting")),
                role=text(record.get("role")),
                parity_margin=number(record.get("parity_margin")),
            )
        )
    return facts


def read_eval_jsonl(content: str, source: str) -> Facts:
    records = []
    for line_number, line in enumerate(content.splitlines(), start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # the loader reports malformed lines
        if isinstance(record, dict):
            records.append((line_number, record))
    if not records or not is_eval_table(list(records[0][1])):
        return Facts()
    headers = list(dict.fromkeys(k for _, r in records for k in r))
    return read_eval_rows(source, headers, iter(records), "line")


def read_registry_yaml(content: str, tree: tuple[Any, yaml.Node | None], source: str) -> Facts:
    """Workflows with the YAML lines they stand on; vendors with their aliases."""
    data, root = tree
    facts = Facts()
    if not isinstance(data, dict) or root is None:
        return facts
    for vendor in data.get("vendors") or []:
        if isinstance(vendor, dict) and vendor.get("name"):
            facts.vendor_aliases[str(vendor["name"])] = [
                str(a) for a in vendor.get("aliases") or []
            ]
    nodes = {key.value: value for key, value in root.value}
    workflow_nodes = getattr(nodes.get("workflows"), "value", [])
    lines = content.splitlines()
    for index, (item, node) in enumerate(
        zip(data.get("workflows") or [], workflow_nodes, strict=False)
    ):
        if not isinstance(item, dict) or not item.get("name"):
            facts.problems.append(f"workflow {index + 1}: needs a name; skipped")
            continue
        first, last = node.start_mark.line + 1, node.end_mark.line
        while last > first and (
            not lines[last - 1].strip() or lines[last - 1].lstrip().startswith("#")
        ):
            last -= 1  # trailing blank and comment lines belong to what follows
        facts.workflows.append(
            workflow_from(item, source, f"lines {first}-{last}", "\n".join(lines[first - 1 : last]))
        )
    return facts


def read_registry_rows(source: str, headers: list[str], rows: Any) -> Facts:
    facts = Facts()
    names = fields_of(headers, registry_field)
    if "name" not in names:
        facts.problems.append("registry table lacks a name (workflow) column; no workflows read")
        return facts
    for row_number, row in rows:
        if len(row) != len(headers) or not any(c.strip() for c in row):
            continue
        flat = {n: v for n, v in zip(names, row, strict=True) if n}
        item = {
            **{k: flat.get(k) for k in ("name", "criticality", "owner", "display_name", "notes")},
            "reviewed": flat.get("reviewed"),
            "aliases": split_list(flat.get("aliases")),
            "primary": {
                "vendor": flat.get("primary_vendor"),
                "model": flat.get("primary_model"),
                "hosting": flat.get("primary_hosting"),
            },
            "fallback": {
                "vendor": flat.get("fallback_vendor"),
                "model": flat.get("fallback_model"),
                "hosting": flat.get("fallback_hosting"),
            },
            "sla": {"uptime": flat.get("uptime"), "latency_p95_ms": flat.get("latency_p95_ms")},
            "contract": {
                "renewal": flat.get("renewal"),
                "deprecation_notice_days": flat.get("deprecation_notice_days"),
            },
        }
        quote = "; ".join(f"{h}: {v}" for h, v in zip(headers, row, strict=True) if v)
        facts.workflows.append(workflow_from(item, source, f"row {row_number}", quote))
    return facts


def split_list(value: str | None) -> list[str]:
    """'Qwen; Tongyi' -> ['Qwen', 'Tongyi']."""
    return [a.strip() for a in re.split(r"[;|]", value or "") if a.strip()]


def read_vendor_rows(headers: list[str], rows: Any) -> Facts:
    """A vendors table: each vendor with its aliases."""
    keys = [column_key(h) for h in headers]
    name_at = next(i for i, k in enumerate(keys) if k in ("name", "vendor", "vendor_name"))
    alias_at = next(i for i, k in enumerate(keys) if k in ("aliases", "alias", "also_known_as"))
    facts = Facts()
    for _, row in rows:
        if len(row) == len(headers) and row[name_at].strip():
            facts.vendor_aliases[row[name_at].strip()] = split_list(row[alias_at])
    return facts


def workflow_from(item: dict[str, Any], source: str, locator: str, quote: str) -> Workflow:
    def part(key: str) -> dict[str, Any]:
        value = item.get(key)
        return value if isinstance(value, dict) else {}

    notice = number(part("contract").get("deprecation_notice_days"))
    return Workflow(
        name=str(item["name"]).strip(),
        criticality=str(item.get("criticality") or "medium").strip().lower(),
        owner=text(item.get("owner")),
        primary_vendor=text(part("primary").get("vendor")),
        primary_model=text(part("primary").get("model")),
        fallback_vendor=text(part("fallback").get("vendor")),
        fallback_model=text(part("fallback").get("model")),
        uptime=text(part("sla").get("uptime")),
        latency_p95_ms=number(part("sla").get("latency_p95_ms")),
        renewal=text(part("contract").get("renewal")),
        deprecation_notice_days=int(notice) if notice is not None else None,
        aliases=[str(a) for a in item.get("aliases") or []],
        source=source,
        locator=locator,
        quote=quote,
        display_name=text(item.get("display_name") or item.get("title")),
        primary_hosting=text(part("primary").get("hosting")),
        fallback_hosting=text(part("fallback").get("hosting")),
        notes=text(item.get("notes")),
        reviewed=text(item.get("reviewed") or item.get("last_reviewed")),
    )
