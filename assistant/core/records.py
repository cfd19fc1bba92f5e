"""Vendor records: workflows of the registry and eval results, each citable to its file."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Workflow:
    name: str
    criticality: str
    owner: str | None
    primary_vendor: str | None
    primary_model: str | None
    fallback_vendor: str | None
    fallback_model: str | None
    uptime: str | None
    latency_p95_ms: float | None
    renewal: str | None
    deprecation_notice_days: int | None
    aliases: list[str]
    source: str
    locator: str
    quote: str


@dataclass
class EvalResult:
    date: str
    vendor: str | None
    model: str
    version: str | None
    workflow: str | None
    metric: str | None
    score: float
    latency_p95_ms: float | None
    cost_per_1k_tokens: float | None
    notes: str | None
    source: str
    locator: str
    quote: str


@dataclass
class Facts:
    """What one file holds, and what could not be read (by row or line)."""

    workflows: list[Workflow] = field(default_factory=list)
    evals: list[EvalResult] = field(default_factory=list)
    vendor_aliases: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
