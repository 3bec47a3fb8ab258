"""The trend's points, kept in the store so that no command computes one twice.

A point is a sum over what history says up to its end: the needs born and met by then, and
the proposals merged in its period.  Beside its points the store keeps that history, as the
sorted list of its dated contributions.  The next trend compares the history the report
gives now with the one kept, and takes every kept point that ends before the first
difference: a kept point can never be stale, and when history moved only the points after
the move are computed again.  The point at the scan's own moment is never kept (the next
scan is at another moment).  One row per network, period and weight, among the store's
caches: other code never reads it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from forkflow.needs.figure import Weight
from forkflow.needs.trend import Event, Need, Period, Point, Trend
from forkflow.store.store import Store

KIND = "trend"
KEEP = 16
"""Rows of this kind the store keeps (network x period x weight)."""

Contribution = list[str]
"""[when, in UTC, ISO 8601; "born", "met" or "event"; the weight or the event's label]."""


class KeptTrend:
    """The points one (network, period, weight) had in the store, and the saving of new ones."""

    def __init__(self, store: Store | None, network: str, period: Period, weight: Weight):
        self._store = store
        self._key = f"{KIND}:{json.dumps([network, period.value, weight.value])}"
        self._history: list[Contribution] = []
        self._stored: dict[str, Any] | None = None
        self.reused = 0

    def points(self, needs: list[Need], events: list[Event], last: datetime) -> list[Point]:
        """The kept points that still hold for this history (for :func:`build_trend`)."""
        self._history = history(needs, events)
        text = self._store.cached_report(self._key) if self._store is not None else None
        if text is None:
            return []
        try:
            stored = json.loads(text)
            kept_history = [[str(part) for part in contribution] for contribution in stored["history"]]
            kept_points = [Point.model_validate(point) for point in stored["points"]]
            cut = first_difference(kept_history, self._history)
        except (ValueError, KeyError, TypeError, IndexError):
            return []  # a row this code cannot read is computed again, and replaced
        self._stored = stored
        valid = [point for point in kept_points if (cut is None or point.end < cut) and point.end < last]
        self.reused = len(valid)
        return valid

    def save(self, trend: Trend) -> bool:
        """Keep the trend's points but the last (the scan's moment); whether anything was written
        (nothing is when the store holds these already)."""
        if self._store is None or not trend.points:
            return False
        row = {"history": self._history, "points": [point.model_dump(mode="json") for point in trend.points[:-1]]}
        if row == self._stored:
            return False
        self._store.save_report(self._key, json.dumps(row), keep=KEEP)
        return True


def history(needs: list[Need], events: list[Event]) -> list[Contribution]:
    """What the points are sums of, sorted: each need's birth and meeting, each event."""
    out = [[_utc(need.born), "born", str(need.weight)] for need in needs]
    out += [[_utc(need.met), "met", str(need.weight)] for need in needs if need.met is not None]
    out += [[_utc(event.date), "event", event.label] for event in events]
    return sorted(out)


def first_difference(before: list[Contribution], now: list[Contribution]) -> datetime | None:
    """The earliest moment at which two histories differ (None: they do not)."""
    for old, new in zip(before, now, strict=False):
        if old != new:
            return min(_moment(old), _moment(new))
    if len(before) == len(now):
        return None
    return _moment((before if len(before) > len(now) else now)[min(len(before), len(now))])


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _moment(contribution: Contribution) -> datetime:
    return datetime.fromisoformat(contribution[0])
