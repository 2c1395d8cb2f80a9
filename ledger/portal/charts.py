"""Inline SVG charts rendered on the server (no JavaScript, no external resources)."""

from __future__ import annotations

from html import escape
from typing import Any

PALETTE = (
    "#2b6cb0", "#c05621", "#2f855a", "#9b2c2c", "#6b46c1", "#b7791f",
    "#2c7a7b", "#97266d", "#4a5568", "#276749", "#744210", "#553c9a",
)  # fmt: skip


def colours(names: list[str]) -> dict[str, str]:
    """A stable colour per event name (sorted, so a name keeps its colour across pages)."""
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(sorted(names))}


def timeline_svg(timeline: list[dict[str, Any]], width: int = 760, height: int = 260) -> str:
    """Stacked bars: events per time bucket, one colour per event type, with a legend."""
    if not timeline:
        return '<p class="muted">No events yet.</p>'
    names = sorted({n for b in timeline for n in b["counts"]})
    col = colours(names)
    left, right, top, bottom = 44, 12, 12, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(sum(b["counts"].values()) for b in timeline) or 1
    slot = plot_w / len(timeline)
    bar_w = min(48.0, max(2.0, slot * 0.8))
    parts = [
        f'<svg class="chart" role="img" aria-label="Events by type over time" '
        f'viewBox="0 0 {width} {height + 18 * ((len(names) + 3) // 4)}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#718096"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#718096"/>',
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" font-size="11" fill="#4a5568">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="11" fill="#4a5568">0</text>',
    ]
    label_every = max(1, len(timeline) // 6)
    for i, b in enumerate(timeline):
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h
        for name in names:
            n = b["counts"].get(name, 0)
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{col[name]}">'
                f"<title>{escape(name)}: {n} ({escape(b.get('startIso') or '')})</title></rect>"
            )
        if i % label_every == 0:
            parts.append(
                f'<text x="{left + i * slot + slot / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
                f'font-size="10" fill="#4a5568">{escape((b.get("startIso") or "")[5:16])}</text>'
            )
    for i, name in enumerate(names):
        lx = left + (i % 4) * (plot_w / 4)
        ly = height - 8 + 18 * (i // 4)
        parts.append(f'<rect x="{lx:.1f}" y="{ly - 9}" width="10" height="10" fill="{col[name]}"/>')
        parts.append(f'<text x="{lx + 14:.1f}" y="{ly}" font-size="11" fill="#1a202c">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def totals_svg(counts: dict[str, int], width: int = 760) -> str:
    """Horizontal bars: how many events of each type."""
    if not counts:
        return ""
    col = colours(list(counts))
    row, label_w = 22, 200
    peak = max(counts.values()) or 1
    height = row * len(counts) + 8
    parts = [
        f'<svg class="chart" role="img" aria-label="Event counts by type" viewBox="0 0 {width} {height}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (name, n) in enumerate(counts.items()):
        y = 4 + i * row
        w = (width - label_w - 60) * n / peak
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end" font-size="12" fill="#1a202c">'
            f"{escape(name)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{col[name]}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 14}" font-size="12" fill="#1a202c">{n}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
