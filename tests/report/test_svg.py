"""The chart the HTML report embeds: drawn without matplotlib, well-formed, the same bytes each time."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from forkflow.needs.trend import Event, Period, Point, SecurityPoint, Trend, build_trend
from forkflow.report.svg import BOTTOM, HEIGHT, LEFT, RIGHT, WIDTH, trend_svg
from tests.gitcli import Git
from tests.needs.test_trend import dated, scan

__all__ = ["dated"]  # the fixture, shared with the trend's tests
SVG = "{http://www.w3.org/2000/svg}"


def day(n: int) -> datetime:
    return datetime(2026, 1, 1 + n, tzinfo=UTC)


def test_the_chart_of_a_real_history_is_well_formed_and_the_same_each_time(dated: Git) -> None:
    trend = build_trend(scan(dated), period=Period.MONTH)
    drawn = trend_svg(trend)
    assert drawn == trend_svg(trend)
    root = ET.fromstring(drawn)
    assert root.tag == f"{SVG}svg"
    markers = [c for c in root.iter(f"{SVG}circle") if c.get("fill") == "#1f6feb"]
    assert len(markers) == len(trend.points) >= 2


def test_every_series_is_drawn_where_it_belongs() -> None:
    trend = Trend(
        network="net <&> co",
        period=Period.WEEK,
        weight="changes",
        points=[Point(end=day(0), unmet=4, met=0, percent=100.0), Point(end=day(14), unmet=0, met=4, percent=0.0)],
        events=[Event(date=day(7), label="merged: Fix <script> & more", commit="a" * 40)],
        scans=[(day(14), 0.0)],
        security=[SecurityPoint(end=day(14), covered=1, total=2, percent=50.0)],
    )
    root = ET.fromstring(trend_svg(trend))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "net <&> co: unmet needs by week" in texts and "Fix <script> & more" in texts
    assert {"unmet needs, from history", "as scanned", "security coverage", "percent"} <= set(texts)
    line = [c for c in root.iter(f"{SVG}circle") if c.get("fill") == "#1f6feb"]
    assert [(float(c.get("cx", 0)), float(c.get("cy", 0))) for c in line] == [
        (LEFT, float(next(t.get("y", 0) for t in root.iter(f"{SVG}text") if t.text == "100")) - 4),
        (WIDTH - RIGHT, HEIGHT - BOTTOM),
    ]
    dashed = [p for p in root.iter(f"{SVG}path") if p.get("stroke-dasharray")]
    assert len(dashed) == 1 and dashed[0].get("d", "").startswith(f"M{(LEFT + WIDTH - RIGHT) / 2} ")
    assert any(p.get("stroke") == "#8250df" for p in root.iter(f"{SVG}path"))


def test_the_html_chart_needs_no_matplotlib() -> None:
    code = (
        "import sys; from forkflow.cli.reports import report; import forkflow.report.svg; "
        "print('matplotlib' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
