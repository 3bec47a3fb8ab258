"""The trend chart as a PNG or SVG file, drawn with matplotlib: the only module that imports it.
(The HTML report embeds the SVG :mod:`forkflow.report.svg` draws.)"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from forkflow.needs.trend import Trend

LINE = "#1f6feb"
EVENT = "#2da44e"
SEEN = "#bf8700"
SECURE = "#8250df"


def _figure(trend: Trend) -> Any:
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure  # not pyplot: no backend chosen for the process, no figure kept

    figure = Figure(figsize=(9, 3.6), dpi=110)
    axes = figure.subplots()
    dates = _days([point.end for point in trend.points])
    values = [point.percent for point in trend.points]
    axes.plot(dates, values, color=LINE, linewidth=2.2, marker="o", markersize=3, label="unmet needs, from history")
    axes.fill_between(dates, values, color=LINE, alpha=0.08)
    if trend.scans:
        axes.scatter(
            _days([when for when, _ in trend.scans]),
            [value for _, value in trend.scans],
            color=SEEN,
            s=18,
            zorder=3,
            label="as scanned",
        )
    _events(axes, trend)
    if trend.security:
        security = [point.percent for point in trend.security]
        axes.plot(
            _days([p.end for p in trend.security]), security, color=SECURE, linewidth=1.6, label="security coverage"
        )
    axes.set_ylim(0, 105)
    axes.set_ylabel("percent" if trend.security else "unmet needs (%)")
    axes.set_title(f"{trend.network}: unmet needs by {trend.period.value}", loc="left", fontsize=11)
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    axes.xaxis_date()
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    axes.legend(loc="lower left", fontsize=8, frameon=False)
    figure.tight_layout()
    return figure


def _events(axes: Any, trend: Trend) -> None:
    """Each merged proposal: a dashed line at its date, with its title."""
    for number, event in enumerate(trend.events):
        when = _days([event.date])[0]
        axes.axvline(when, color=EVENT, linewidth=1, linestyle="--", alpha=0.8)
        axes.annotate(
            event.label.removeprefix("merged: ")[:40],
            (when, 100),
            xytext=(-4, -12 - 11 * (number % 5)),
            textcoords="offset points",
            fontsize=7,
            color=EVENT,
            ha="right",
        )


def _days(moments: list[datetime]) -> list[float]:
    """Dates as matplotlib's day numbers (typed here once: matplotlib.dates is not)."""
    import matplotlib.dates as mdates

    return [float(day) for day in mdates.date2num(moments)]  # type: ignore[no-untyped-call]


def write_chart(trend: Trend, path: Path) -> None:
    """Write the chart to ``path``: PNG or SVG, by its suffix."""
    from matplotlib import rc_context

    figure = _figure(trend)
    with rc_context({"svg.hashsalt": "forkflow"}):  # fixed SVG ids: the same history, the same bytes
        figure.savefig(path, format=path.suffix.lstrip(".").lower(), metadata=_metadata(path))


def _metadata(path: Path) -> dict[str, Any]:
    # No creation date in the file, so the same history gives the same bytes.
    return {"Date": None} if path.suffix.lower() == ".svg" else {"Software": "forkflow"}
