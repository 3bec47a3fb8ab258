"""The trend's points kept in the store: a second trend computes none again, and when history
moves only the points after the move are computed; each is the point a trend built afresh has."""

from __future__ import annotations

from pathlib import Path

import pytest

from forkflow.needs.figure import Weight
from forkflow.needs.kept import KIND, KeptTrend, first_difference
from forkflow.needs.trend import Period, Trend, build_trend
from forkflow.store.store import Store
from tests.gitcli import Git
from tests.needs.dated import at, make_dated, scan

APRIL = "2024-04-30T12:00:00+00:00"
MAY = "2024-05-31T12:00:00+00:00"


@pytest.fixture
def dated(tmp_path: Path) -> Git:
    return make_dated(tmp_path)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store.sqlite")


def kept_trend(store: Store, git: Git, now: str, period: Period = Period.MONTH) -> tuple[Trend, KeptTrend, bool]:
    """A trend built through the store as the commands build it: (trend, what was reused, written?)."""
    kept = KeptTrend(store, "dated", period, Weight.CHANGES)
    trend = build_trend(scan(git, now), period=period, kept=kept.points)
    return trend, kept, kept.save(trend)


def test_a_second_trend_computes_no_point_again_and_writes_nothing(dated: Git, store: Store) -> None:
    first, kept, written = kept_trend(store, dated, APRIL)
    assert kept.reused == 0 and written
    second, kept, written = kept_trend(store, dated, APRIL)
    assert kept.reused == len(first.points) - 1 == 3  # all but the scan's own moment
    assert not written
    assert second == first == build_trend(scan(dated, APRIL), period=Period.MONTH)


def test_a_later_scan_of_the_same_history_reuses_every_point_before_its_moment(dated: Git, store: Store) -> None:
    kept_trend(store, dated, APRIL)
    later, kept, _ = kept_trend(store, dated, MAY)
    assert kept.reused == 3  # January to March; April's point ended at the first scan's moment
    assert later == build_trend(scan(dated, MAY), period=Period.MONTH)
    assert [point.end.date().isoformat() for point in later.points][-2:] == ["2024-04-30", "2024-05-31"]


def test_when_history_moves_only_the_points_after_the_move_are_computed(dated: Git, store: Store) -> None:
    kept_trend(store, dated, APRIL, Period.WEEK)
    dated.checkout("a")
    at(dated, "2024-03-20T09:00:00")
    dated.commit("Export the report", {"export.py": "def export():\n    return 'csv'\n"})
    moved, kept, written = kept_trend(store, dated, APRIL, Period.WEEK)
    assert written
    fresh = build_trend(scan(dated, APRIL), period=Period.WEEK)
    assert moved == fresh
    before_move = [point for point in fresh.points if point.end.date().isoformat() < "2024-03-20"]
    assert kept.reused == len(before_move) == 10  # the Sundays from 2024-01-14 to 2024-03-17
    assert moved.points[-1].unmet == 2 and moved.points[len(before_move)].unmet == 2


def test_a_row_it_cannot_read_is_computed_again_and_replaced(dated: Git, store: Store) -> None:
    store.save_report(f'{KIND}:["dated", "month", "changes"]', "{not json")
    trend, kept, written = kept_trend(store, dated, APRIL)
    assert kept.reused == 0 and written
    assert trend == build_trend(scan(dated, APRIL), period=Period.MONTH)
    assert kept_trend(store, dated, APRIL)[1].reused == 3


def test_each_period_and_weight_has_points_of_its_own(dated: Git, store: Store) -> None:
    kept_trend(store, dated, APRIL, Period.MONTH)
    weekly, kept, written = kept_trend(store, dated, APRIL, Period.WEEK)
    assert weekly == build_trend(scan(dated, APRIL), period=Period.WEEK)
    assert kept.reused == 0 and written
    lines = KeptTrend(store, "dated", Period.MONTH, Weight.LINES)
    by_lines = build_trend(scan(dated, APRIL), period=Period.MONTH, weight=Weight.LINES, kept=lines.points)
    assert lines.reused == 0
    assert by_lines == build_trend(scan(dated, APRIL), period=Period.MONTH, weight=Weight.LINES)


def test_the_first_difference_is_the_earliest_moment_either_history_has_that_the_other_lacks() -> None:
    one = [["2024-01-10T09:00:00+00:00", "born", "1"], ["2024-03-15T09:00:00+00:00", "met", "1"]]
    two = [*one[:1], ["2024-02-05T09:00:00+00:00", "born", "1"], *one[1:]]
    assert first_difference(one, one) is None
    assert first_difference(one, two) is not None and first_difference(one, two).isoformat().startswith("2024-02-05")
    assert first_difference(two, one) == first_difference(one, two)
    assert first_difference(one[:1], one) is not None and first_difference(one[:1], one).month == 3
    assert first_difference([], one) is not None and first_difference([], one).month == 1
