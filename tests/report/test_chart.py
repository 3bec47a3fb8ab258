"""The trend chart: drawn without pyplot's process-wide state, the same bytes each time."""

from __future__ import annotations

import sys
from pathlib import Path

from forkflow.needs.trend import Period, build_trend
from forkflow.report.chart import write_chart
from tests.gitcli import Git
from tests.needs.test_trend import dated, scan

__all__ = ["dated"]  # the fixture, shared with the trend's tests


def test_the_chart_is_the_same_bytes_each_time_and_needs_no_pyplot(dated: Git, tmp_path: Path) -> None:
    trend = build_trend(scan(dated), period=Period.MONTH)
    for name in ("a.svg", "b.svg", "a.png", "b.png"):
        write_chart(trend, tmp_path / name)
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert (tmp_path / "a.png").read_bytes().startswith(b"\x89PNG")
    assert "matplotlib.pyplot" not in sys.modules  # no backend chosen, no figure kept for the process
