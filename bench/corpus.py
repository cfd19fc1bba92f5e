"""A deterministic inbox for the benchmarks: vendor notes in Markdown, text, HTML, CSV and JSONL,
about five chunks per file, the same bytes on every run for the same seed."""

from __future__ import annotations

import json
import random
from pathlib import Path

VENDORS = ["Alibaba Cloud", "OpenAI", "Anthropic", "Google", "Baidu", "DeepSeek", "Mistral AI"]
TOPICS = [
    "pricing",
    "latency",
    "uptime",
    "roadmap",
    "deprecation notice",
    "evaluation scores",
    "fallback model",
    "data residency",
    "support response time",
    "token limits",
]
WORDS = """the contract review workflow runs on a pinned snapshot with a tested fallback and
the program office tracks quality after every model update while finance follows the committed
spend per quarter and legal checks the renewal terms of each agreement region capacity
throughput benchmark migration rollback incident credit tier discount volume""".split()  # noqa: SIM905
SUFFIXES = (".md", ".md", ".md", ".md", ".md", ".txt", ".txt", ".html", ".csv", ".jsonl")


def sentence(rng: random.Random) -> str:
    vendor, topic = rng.choice(VENDORS), rng.choice(TOPICS)
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 22)))
    figure = f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}"
    return f"{vendor} {topic}: {words}, at {figure} per unit in FY{rng.randint(2023, 2027)}."


def paragraphs(rng: random.Random, count: int) -> list[str]:
    return [" ".join(sentence(rng) for _ in range(5)) for _ in range(count)]


def render(suffix: str, title: str, rng: random.Random) -> str:
    if suffix == ".md":
        body = "\n\n".join(paragraphs(rng, 5))
        return f"---\ntitle: {title}\ndoc_type: note\n---\n\n# {title}\n\n{body}\n"
    if suffix == ".txt":
        return f"{title}\n\n" + "\n\n".join(paragraphs(rng, 5)) + "\n"
    if suffix == ".html":
        body = "".join(f"<p>{p}</p>" for p in paragraphs(rng, 5))
        return (
            f"<html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
        )
    rows = [
        {"vendor": rng.choice(VENDORS), "topic": rng.choice(TOPICS), "note": sentence(rng)}
        for _ in range(30)
    ]
    if suffix == ".csv":
        lines = ["vendor,topic,note", *(f'{r["vendor"]},{r["topic"]},"{r["note"]}"' for r in rows)]
        return "\n".join(lines) + "\n"
    return "\n".join(json.dumps(r) for r in rows) + "\n"


def build(inbox: Path, files: int, seed: int = 7) -> list[Path]:
    """Write `files` documents (unchanged files keep their bytes); return their paths."""
    paths = []
    for index in range(files):
        rng = random.Random(f"{seed}-{index}")
        suffix = SUFFIXES[index % len(SUFFIXES)]
        path = inbox / f"folder-{index % 20:02d}" / f"note-{index:05d}{suffix}"
        text = render(suffix, f"Vendor note {index}", rng)
        if not path.exists() or path.read_text("utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
        paths.append(path)
    return paths
