"""The chat's charts: an eval trend, and a timeline of vendor signals."""

from __future__ import annotations

import plotly
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from assistant.core.models import EvalPoint
from assistant.core.signals import SIGNAL_KINDS, Signal

# One marker shape per kind, so kinds read apart without colour.
SYMBOLS = (
    "star",
    "diamond",
    "square",
    "x",
    "triangle-down",
    "pentagon",
    "cross",
    "circle",
    "hexagon",
    "triangle-up",
)


def trend_figure(points: list[EvalPoint]) -> go.Figure:
    """Score and p95 latency by date, one line per model; hover shows the version."""
    figure = make_subplots(
        rows=2, cols=1, shared_xaxes=True, subplot_titles=("Score", "p95 latency (ms)")
    )
    palette = plotly.colors.qualitative.Plotly
    for index, model in enumerate(dict.fromkeys(p.model for p in points)):
        series = [p for p in points if p.model == model]
        dates = [p.date for p in series]
        versions = [f"version {p.version or '?'}" for p in series]
        scores = [p.score for p in series]
        latencies = [p.latency_p95_ms for p in series]
        line = {
            "x": dates,
            "text": versions,
            "mode": "lines+markers",
            "legendgroup": model,
            "line": {"color": palette[index % len(palette)]},
        }
        figure.add_trace(go.Scatter(y=scores, name=model, **line), row=1, col=1)
        figure.add_trace(
            go.Scatter(y=latencies, name=model, showlegend=False, **line), row=2, col=1
        )
    figure.update_layout(height=480, margin={"l": 40, "r": 20, "t": 40, "b": 30})
    return figure


def timeline_figure(signals: list[Signal]) -> go.Figure:
    """Vendors on one axis, time on the other, a marker per event by kind; hover shows its
    summary and sources."""
    figure = go.Figure()
    palette = plotly.colors.qualitative.Plotly
    vendors = sorted({s.vendor for s in signals})
    for index, kind in enumerate(SIGNAL_KINDS):
        events = [s for s in signals if s.kind == kind]
        if not events:
            continue
        figure.add_trace(
            go.Scatter(
                x=[s.date for s in events],
                y=[s.vendor for s in events],
                mode="markers",
                name=kind,
                marker={
                    "size": 14,
                    "symbol": SYMBOLS[index % len(SYMBOLS)],
                    "color": palette[index % len(palette)],
                },
                text=[hover(s) for s in events],
                hovertemplate="%{x}<br>%{text}<extra>%{fullData.name}</extra>",
            )
        )
    figure.update_layout(
        height=max(260, 70 * len(vendors) + 120),
        margin={"l": 40, "r": 20, "t": 30, "b": 30},
        yaxis={"categoryorder": "array", "categoryarray": vendors[::-1]},
        xaxis={"type": "date"},
        legend={"title": {"text": "kind"}},
    )
    return figure


def hover(signal: Signal) -> str:
    summary = signal.summary if len(signal.summary) <= 140 else signal.summary[:139] + "…"
    sources = ", ".join(c.source for c in signal.citations)
    return f"<b>{signal.vendor}</b>: {summary}<br><i>{sources}</i>"
