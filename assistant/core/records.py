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
    display_name: str | None = None
    primary_hosting: str | None = None
    fallback_hosting: str | None = None
    notes: str | None = None
    reviewed: str | None = None

    @property
    def label(self) -> str:
        """'claims-triage (Claims triage)': the id the records use and the name people use."""
        if self.display_name and self.display_name.lower() != self.name.lower():
            return f"{self.name} ({self.display_name})"
        return self.name


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
    hosting: str | None = None
    role: str | None = None
    parity_margin: float | None = None

    @property
    def self_hosted(self) -> bool:
        return is_self_hosted(self.hosting)


SELF_HOSTED = {"self-hosted", "self hosted", "selfhosted", "on-prem", "on-premises", "in-house"}


def is_self_hosted(hosting: str | None) -> bool:
    """Whether a hosting value ('self-hosted', 'on_prem', 'api') means served in-house."""
    return (hosting or "").lower().replace("_", "-") in SELF_HOSTED


@dataclass
class Facts:
    """What one file holds, and what could not be read (by row or line)."""

    workflows: list[Workflow] = field(default_factory=list)
    evals: list[EvalResult] = field(default_factory=list)
    vendor_aliases: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
