"""The figure over time, rebuilt from a network built with known dates."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from forkflow.cli import main
from forkflow.needs.trend import Period, build_trend
from tests.gitcli import Git
from tests.needs.dated import make_dated, scan


@pytest.fixture
def dated(tmp_path: Path) -> Git:
    return make_dated(tmp_path)


def test_the_trend_by_month(dated: Git) -> None:
    trend = build_trend(scan(dated), period=Period.MONTH)
    assert [(p.end.isoformat(), p.unmet, p.met, p.percent, p.events) for p in trend.points] == [
        ("2024-01-31T23:59:59+00:00", 1, 0, 100.0, []),
        ("2024-02-29T23:59:59+00:00", 2, 0, 100.0, []),
        ("2024-03-31T23:59:59+00:00", 1, 1, 50.0, ["merged: Reject empty saves"]),
        ("2024-04-30T12:00:00+00:00", 1, 1, 50.0, []),
    ]
    assert [(e.date.isoformat(), e.label) for e in trend.events] == [
        ("2024-03-15T09:00:00+00:00", "merged: Reject empty saves")
    ]


def test_the_trend_by_week(dated: Git) -> None:
    trend = build_trend(scan(dated, "2024-03-20T00:00:00+00:00"), period=Period.WEEK)
    ends = [p.end.date().isoformat() for p in trend.points]
    assert ends[0] == "2024-01-14" and ends[-1] == "2024-03-20"  # Sundays, then the scan
    assert len(ends) == 11
    by_end = {p.end.date().isoformat(): (p.unmet, p.met) for p in trend.points}
    assert by_end["2024-02-04"] == (1, 0) and by_end["2024-02-11"] == (2, 0) and by_end["2024-03-17"] == (1, 1)


def test_recorded_scans_sit_beside_the_history(dated: Git, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(datetime(2024, 4, 30, tzinfo=UTC).timestamp())))
    runner = CliRunner()
    assert runner.invoke(main, ["scan", "--repo", str(dated.path)]).exit_code == 0
    result = runner.invoke(main, ["trend", "--repo", str(dated.path), "--json"])
    trend = json.loads(result.stdout)
    assert trend["scans"] == [["2024-04-30T00:00:00Z", 50.0]]
    assert [p["percent"] for p in trend["points"]] == [100.0, 100.0, 50.0, 50.0]


def test_trend_table_and_charts(dated: Git, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(datetime(2024, 4, 30, tzinfo=UTC).timestamp())))
    png, svg = tmp_path / "trend.png", tmp_path / "trend.svg"
    result = CliRunner().invoke(main, ["trend", "--repo", str(dated.path), "--chart", str(png), "--chart", str(svg)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "dated: unmet needs by month (weight: changes)",
        "period ending   unmet    met  unmet %  events",
        "2024-01-31          1      0   100.0%",
        "2024-02-29          2      0   100.0%",
        "2024-03-31          1      1    50.0%  merged: Reject empty saves",
        "2024-04-30          1      1    50.0%",
    ]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = svg.read_text()
    assert "<svg" in text and "Reject empty saves" in text
    bad = CliRunner().invoke(main, ["trend", "--repo", str(dated.path), "--chart", str(tmp_path / "x.gif")])
    assert bad.exit_code == 2 and "give a .png or .svg file" in bad.output
