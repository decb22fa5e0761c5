"""Small inline SVG charts, drawn on the server: a page needs no script and no outside file."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from django.utils.safestring import SafeString, mark_safe


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v - round(v)) < 1e-9 or abs(v) >= 10 else f"{v:,.1f}"


def sparkline(values: Sequence[float | None], labels: Sequence[str], title: str, unit: str,
              width: int = 360, height: int = 70) -> SafeString:
    """A line over the months (gaps where the value is not available), with its first and last
    month and its highest value written on it. Values are numbers; labels are month names."""
    pts = [(i, float(v)) for i, v in enumerate(values) if v is not None and not math.isnan(float(v))]
    esc = html.escape
    desc = "no value in these months" if not pts else \
        f"latest {_fmt(pts[-1][1])} {unit}, highest {_fmt(max(v for _, v in pts))} {unit}"
    left, right, top, bottom = 34, 8, 8, 18
    w, h = width - left - right, height - top - bottom
    n = max(len(values) - 1, 1)
    hi = max((v for _, v in pts), default=1.0) or 1.0
    lo = min(0.0, min((v for _, v in pts), default=0.0))

    def x(i: int) -> float:
        return left + w * i / n

    def y(v: float) -> float:
        return top + h - h * (v - lo) / ((hi - lo) or 1.0)

    segments, current = [], []
    for i, v in enumerate(values):
        if v is None or math.isnan(float(v)):
            if current:
                segments.append(current)
            current = []
        else:
            current.append(f"{x(i):.1f},{y(float(v)):.1f}")
    if current:
        segments.append(current)
    lines = "".join(f'<polyline points="{" ".join(s)}" fill="none" stroke="#1d70b8" stroke-width="2"/>'
                    for s in segments if len(s) > 1)
    dots = "".join(f'<circle cx="{s[0].split(",")[0]}" cy="{s[0].split(",")[1]}" r="2.5" fill="#1d70b8"/>'
                   for s in segments if len(s) == 1)
    last = (f'<circle cx="{x(pts[-1][0]):.1f}" cy="{y(pts[-1][1]):.1f}" r="3" fill="#d4351c"/>' if pts else "")
    empty = ('<text x="50%" y="50%" text-anchor="middle" font-size="11" fill="#505a5f">'
             'not available in these months</text>' if not pts else "")
    svg = (f'<svg role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{esc(title)}</title><desc>{esc(desc)}</desc>'
           f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" stroke="#b1b4b6"/>'
           f'<text x="{left - 4}" y="{top + 8}" font-size="10" text-anchor="end" fill="#505a5f">{esc(_fmt(hi))}</text>'
           f'<text x="{left - 4}" y="{top + h}" font-size="10" text-anchor="end" fill="#505a5f">{esc(_fmt(lo))}</text>'
           f'<text x="{left}" y="{height - 4}" font-size="10" fill="#505a5f">{esc(labels[0] if labels else "")}</text>'
           f'<text x="{left + w}" y="{height - 4}" font-size="10" text-anchor="end" fill="#505a5f">'
           f'{esc(labels[-1] if labels else "")}</text>{lines}{dots}{last}{empty}</svg>')
    return mark_safe(svg)  # noqa: S308 - every text in it is escaped above
