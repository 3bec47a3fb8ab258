"""The trend chart as SVG text, drawn here: what the HTML report embeds.

Loading matplotlib costs more than the rest of an HTML report of a real network (0.7 s of
1.5 s for 638 nodes), and a line chart needs none of it.  The PNG and SVG files of ``forkflow
trend --chart`` still come from matplotlib (:mod:`forkflow.report.chart`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from forkflow.needs.trend import Trend

LINE = "#1f6feb"
EVENT = "#2da44e"
SEEN = "#bf8700"
SECURE = "#8250df"
WIDTH, HEIGHT = 990, 396
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 36, 44
TICKS = 6


class _Frame:
    """Where a moment and a percentage land on the canvas."""

    def __init__(self, moments: list[datetime]):
        stamps = [moment.timestamp() for moment in moments]
        self.first, last = min(stamps), max(stamps)
        self.span = (last - self.first) or 86400.0  # one day wide when there is one moment

    def x(self, moment: datetime) -> float:
        return round(LEFT + (moment.timestamp() - self.first) / self.span * (WIDTH - LEFT - RIGHT), 1)

    @staticmethod
    def y(percent: float) -> float:
        return round(TOP + (1 - percent / 105) * (HEIGHT - TOP - BOTTOM), 1)

    def ticks(self) -> list[datetime]:
        return [datetime.fromtimestamp(self.first + self.span * n / (TICKS - 1), UTC) for n in range(TICKS)]


def trend_svg(trend: Trend) -> str:
    """The trend of unmet needs (and of security coverage, when there is one), with the scans
    recorded and each merged proposal marked at its date."""
    moments = [p.end for p in trend.points] + [w for w, _ in trend.scans] + [p.end for p in trend.security]
    moments += [event.date for event in trend.events]
    frame = _Frame(moments)
    label = "percent" if trend.security else "unmet needs (%)"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        'font-family="sans-serif" role="img">',
        f"<title>{escape(trend.network)}: unmet needs by {trend.period.value}</title>",
        f'<text x="{LEFT}" y="20" font-size="14">{escape(trend.network)}: unmet needs by {trend.period.value}</text>',
        f'<text x="14" y="{HEIGHT / 2}" font-size="11" transform="rotate(-90 14 {HEIGHT / 2})" '
        f'text-anchor="middle">{label}</text>',
        *_axes(frame),
    ]
    parts += _events(frame, trend)
    if trend.points:
        line = [(frame.x(p.end), frame.y(p.percent)) for p in trend.points]
        area = [(line[0][0], frame.y(0)), *line, (line[-1][0], frame.y(0))]
        parts.append(f'<path d="{_path(area)} Z" fill="{LINE}" fill-opacity="0.08" stroke="none"/>')
        parts.append(f'<path d="{_path(line)}" fill="none" stroke="{LINE}" stroke-width="2.2"/>')
        parts += [f'<circle cx="{x}" cy="{y}" r="3" fill="{LINE}"/>' for x, y in line]
    for when, value in trend.scans:
        parts.append(f'<circle cx="{frame.x(when)}" cy="{frame.y(value)}" r="3.5" fill="{SEEN}"/>')
    if trend.security:
        secure = [(frame.x(p.end), frame.y(p.percent)) for p in trend.security]
        parts.append(f'<path d="{_path(secure)}" fill="none" stroke="{SECURE}" stroke-width="1.6"/>')
    parts += _legend(trend)
    parts.append("</svg>")
    return "\n".join(parts)


def _axes(frame: _Frame) -> list[str]:
    """The percentage grid, and the dates along the bottom."""
    out = []
    for percent in range(0, 101, 20):
        y = frame.y(percent)
        out.append(f'<path d="M{LEFT} {y} H{WIDTH - RIGHT}" stroke="#d0d7de" stroke-width="1"/>')
        out.append(f'<text x="{LEFT - 8}" y="{y + 4}" font-size="10" text-anchor="end">{percent}</text>')
    bottom = frame.y(0)
    ticks = frame.ticks()
    for number, tick in enumerate(ticks):
        x = frame.x(tick)
        anchor = "start" if number == 0 else "end" if number == len(ticks) - 1 else "middle"  # inside the canvas
        out.append(f'<path d="M{x} {bottom} v5" stroke="#57606a"/>')
        out.append(f'<text x="{x}" y="{bottom + 18}" font-size="10" text-anchor="{anchor}">{tick:%Y-%m-%d}</text>')
    return out


def _events(frame: _Frame, trend: Trend) -> list[str]:
    """Each merged proposal: a dashed line at its date, with its title."""
    out = []
    for number, event in enumerate(trend.events):
        x = frame.x(event.date)
        out.append(f'<path d="M{x} {frame.y(100)} V{frame.y(0)}" stroke="{EVENT}" stroke-dasharray="4 3"/>')
        title = escape(event.label.removeprefix("merged: ")[:40])
        y = frame.y(100) + 12 + 11 * (number % 5)
        out.append(f'<text x="{x - 4}" y="{y}" font-size="8" fill="{EVENT}" text-anchor="end">{title}</text>')
    return out


def _legend(trend: Trend) -> list[str]:
    entries = [(LINE, "unmet needs, from history")]
    entries += [(SEEN, "as scanned")] if trend.scans else []
    entries += [(SECURE, "security coverage")] if trend.security else []
    out = []
    for number, (colour, text) in enumerate(entries):
        y = HEIGHT - BOTTOM - 12 - 14 * (len(entries) - 1 - number)
        out.append(f'<path d="M{LEFT + 8} {y} h18" stroke="{colour}" stroke-width="2.2"/>')
        out.append(f'<text x="{LEFT + 32}" y="{y + 4}" font-size="10">{text}</text>')
    return out


def _path(points: list[tuple[float, float]]) -> str:
    return "M" + " L".join(f"{x} {y}" for x, y in points)
