"""Inline SVG charts rendered on the server (no JavaScript, no external resources).

Event types are many (about thirty); the charts colour them by what they are about (seven
groups: registration, disputes, licences, usage and royalties, attestations, roles, other),
so each colour in the legend means one thing. Labels are in the language in force.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from ledger.core.i18n import gettext
from ledger.portal import words


def group_label(group: str) -> str:
    return gettext(words.EVENT_GROUPS[group][0]) if group in words.EVENT_GROUPS else gettext("Other")


def _tick_format(step: int) -> str:
    if step < 60:
        return "%H:%M:%S"
    if step < 86400:
        return "%m-%d %H:%M"
    if step < 365 * 86400:
        return "%Y-%m-%d"
    return "%Y"


def _nice_ticks(peak: int) -> list[int]:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000):
        if peak / step <= 5:
            return list(range(0, peak + step, step))
    step = 10 ** len(str(peak // 5))
    return list(range(0, peak + step, step))


def timeline_svg(timeline: list[dict[str, Any]], width: int = 760, height: int = 240) -> str:
    """Stacked bars: events per time bucket, one colour per group of event types, a legend of the groups."""
    if not timeline:
        return '<p class="muted">' + escape(gettext("No events yet.")) + "</p>"
    groups = [g for g in (*words.EVENT_GROUPS, "other")
              if any(words.GROUP_OF.get(n, "other") == g for b in timeline for n in b["counts"])]  # fmt: skip
    step = int(timeline[0]["end"] - timeline[0]["start"]) if "end" in timeline[0] else 3600
    left, right, top, bottom = 48, 12, 12, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak_raw = max(sum(b["counts"].values()) for b in timeline) or 1
    ticks = _nice_ticks(peak_raw)
    peak = ticks[-1] or 1
    slot = plot_w / len(timeline)
    bar_w = min(48.0, max(2.0, slot * 0.8))
    legend_rows = (len(groups) + 2) // 3
    label, axis = escape(gettext("Events by type over time")), escape(gettext("time (UTC)"))
    parts = [
        f'<svg class="chart" role="img" aria-label="{label}" '
        f'viewBox="0 0 {width} {height + 20 * legend_rows}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for v in ticks:
        y = top + plot_h - plot_h * v / peak
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#4a5568">{v}</text>'
        )
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#718096"/>')
    fmt = _tick_format(step)
    label_every = max(1, -(-len(timeline) // 6))
    last_label = None
    for i, b in enumerate(timeline):
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h
        by_group: dict[str, dict[str, int]] = {}
        for name, n in b["counts"].items():
            by_group.setdefault(words.GROUP_OF.get(name, "other"), {})[name] = n
        for g in groups:
            counts = by_group.get(g)
            if not counts:
                continue
            n = sum(counts.values())
            h = plot_h * n / peak
            y -= h
            detail = "; ".join(f"{words.t(words.EVENTS, k)}: {v}" for k, v in sorted(counts.items()))
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{words.GROUP_COLOURS[g]}"><title>{escape(group_label(g))}: {n} ({escape(detail)})'
                "</title></rect>"
            )
        label = dt.datetime.fromtimestamp(int(b["start"]), dt.UTC).strftime(fmt)
        if i % label_every == 0 and label != last_label:
            last_label = label
            parts.append(
                f'<text x="{left + i * slot + slot / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                f'font-size="10" fill="#4a5568">{escape(label)}</text>'
            )
    parts.append(
        f'<text x="{left + plot_w}" y="{top + plot_h + 32}" text-anchor="end" font-size="10" fill="#4a5568">'
        f"{axis}</text>"
    )
    for i, g in enumerate(groups):
        lx = left + (i % 3) * (plot_w / 3)
        ly = height + 6 + 20 * (i // 3)
        parts.append(f'<rect x="{lx:.1f}" y="{ly - 10}" width="12" height="12" fill="{words.GROUP_COLOURS[g]}"/>')
        parts.append(
            f'<text x="{lx + 17:.1f}" y="{ly}" font-size="12" fill="#1a202c">{escape(group_label(g))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def totals_svg(counts: dict[str, int], width: int = 760) -> str:
    """Horizontal bars: how many events of each type, in words, coloured by group."""
    if not counts:
        return ""
    row, label_w = 22, 230
    peak = max(counts.values()) or 1
    height = row * len(counts) + 8
    label = escape(gettext("Event counts by type"))
    parts = [
        f'<svg class="chart" role="img" aria-label="{label}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (name, n) in enumerate(counts.items()):
        y = 4 + i * row
        w = (width - label_w - 60) * n / peak
        colour = words.GROUP_COLOURS[words.GROUP_OF.get(name, "other")]
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end" font-size="12" fill="#1a202c">'
            f"<title>{escape(name)}</title>{escape(words.t(words.EVENTS, name))}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{colour}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 14}" font-size="12" fill="#1a202c">{n}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
