"""``forkflow trend``: the unmet-needs figure over time, rebuilt from git history alone.

A need is born at its first commit's author date in the node that carries it, and met at the
date the parent's equivalent commit was committed (the cherry-pick, the merge, the similar
change: the commit ``met_by`` names).  At the end of every period the figure is the weight of
the needs born and not yet met over the weight of every need born so far.  Proposals merged
(parent commits with a ``Forkflow-Change:`` trailer) are the events that moved it.  Scans the
store recorded are shown beside it, as the refs were seen then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from forkflow.model import ScanReport
from forkflow.needs.figure import Weight

CHANGE_TRAILER = "Forkflow-Change"


class Period(StrEnum):
    WEEK = "week"
    MONTH = "month"


class Need(BaseModel):
    model_config = ConfigDict(frozen=True)

    node: str
    key: str  # the shared change's id, or the commit
    born: datetime
    met: datetime | None
    weight: int


class Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    date: datetime
    label: str
    commit: str


class Point(BaseModel):
    model_config = ConfigDict(frozen=True)

    end: datetime
    unmet: int
    met: int
    percent: float
    events: list[str] = []


class SecurityPoint(BaseModel):
    """Security coverage at the end of a period: of the fix x node pairs published by then, those
    covered by then (or not affected), from history."""

    model_config = ConfigDict(frozen=True)

    end: datetime
    covered: int
    total: int
    percent: float


class Trend(BaseModel):
    model_config = ConfigDict(frozen=True)

    network: str
    period: Period
    weight: str
    points: list[Point]
    events: list[Event]
    scans: list[tuple[datetime, float]] = []
    security: list[SecurityPoint] = []


def needs_over_time(report: ScanReport, weight: Weight = Weight.CHANGES) -> list[Need]:
    """Every need the report observes, with when it was born and when (if ever) it was met."""
    change_of = {cid: change.id for change in report.shared for cid in change.commits}
    out = []
    for node in report.nodes:
        if node.parent is None:
            continue
        local, similar = set(node.local), set(node.similar_met)
        grouped: dict[str, list[str]] = defaultdict(list)
        for cid in node.carried:
            if cid not in local and cid not in similar:
                grouped[change_of.get(cid, cid)].append(cid)
        for key, cids in grouped.items():
            out.append(
                Need(node=node.name, key=key, born=_born(report, cids), met=None, weight=_weight(report, cids, weight))
            )
        for cid in [*node.upstreamed, *node.merged, *node.similar_met]:
            parent_commit = report.commits.get(node.met_by.get(cid, ""))
            met = _date(parent_commit.committed or parent_commit.date) if parent_commit else None
            out.append(
                Need(node=node.name, key=cid, born=_born(report, [cid]), met=met, weight=_weight(report, [cid], weight))
            )
    return out


def proposal_events(report: ScanReport) -> list[Event]:
    """Parent commits that a bubble-up proposal brought (they carry a Forkflow-Change trailer)."""
    seen: dict[str, Event] = {}
    for node in report.nodes:
        for parent_commit in node.met_by.values():
            info = report.commits.get(parent_commit)
            if info is None or CHANGE_TRAILER not in info.trailers or parent_commit in seen:
                continue
            seen[parent_commit] = Event(
                date=_date(info.committed or info.date), label=f"merged: {info.summary}", commit=parent_commit
            )
    return sorted(seen.values(), key=lambda event: (event.date, event.commit))


def build_trend(
    report: ScanReport,
    *,
    period: Period = Period.MONTH,
    weight: Weight = Weight.CHANGES,
    scans: list[dict[str, Any]] | None = None,
    kept: Callable[[list[Need], list[Event], datetime], list[Point]] | None = None,
) -> Trend:
    """The figure at the end of every period from the first need's birth to the scan.

    ``kept``: the points computed before that still hold for these needs and events, up to
    this last moment (:meth:`forkflow.needs.kept.KeptTrend.points`); only the others are computed.
    """
    needs = needs_over_time(report, weight)
    events = proposal_events(report)
    points: list[Point] = []
    if needs:
        moments = [need.born for need in needs] + [need.met for need in needs if need.met is not None]
        last = max([_date(report.scanned_at), *moments])  # commit dates can lie ahead of the scan's clock
        known = {point.end: point for point in (kept(needs, events, last) if kept is not None else [])}
        for end in period_ends(min(moments), last, period):
            points.append(known.get(end) or point_at(needs, events, end, period))
    seen = [(_date(s["scanned_at"]), float(s["unmet_needs"]["percent"])) for s in scans or [] if "unmet_needs" in s]
    return Trend(network=report.network, period=period, weight=weight.value, points=points, events=events, scans=seen)


def point_at(needs: list[Need], events: list[Event], end: datetime, period: Period) -> Point:
    """The figure at ``end``: the needs born by then, those met by then, the events of its period."""
    born = [need for need in needs if need.born <= end]
    met = sum(need.weight for need in born if need.met is not None and need.met <= end)
    unmet = sum(need.weight for need in born) - met
    start = _previous_end(end, period)
    moved = [event.label for event in events if start < event.date <= end]
    percent = round(100.0 * unmet / (unmet + met), 1) if unmet + met else 0.0
    return Point(end=end, unmet=unmet, met=met, percent=percent, events=moved)


def period_ends(first: datetime, last: datetime, period: Period) -> list[datetime]:
    """The end of every period that holds a moment from ``first`` to ``last``; the last one is ``last``."""
    ends = []
    end = _end_of(first, period)
    while end < last:
        ends.append(end)
        end = _end_of(end + timedelta(seconds=1), period)
    ends.append(last)
    return ends


def _end_of(moment: datetime, period: Period) -> datetime:
    if period == Period.WEEK:
        sunday = moment + timedelta(days=6 - moment.weekday())
        return sunday.replace(hour=23, minute=59, second=59, microsecond=0)
    first_next = (moment.replace(day=28) + timedelta(days=4)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return first_next - timedelta(seconds=1)


def _previous_end(end: datetime, period: Period) -> datetime:
    if period == Period.WEEK:
        return _end_of(end - timedelta(days=7), period)
    return end.replace(day=1, hour=0, minute=0, second=0, microsecond=0) - timedelta(seconds=1)


def _born(report: ScanReport, cids: list[str]) -> datetime:
    return min(_date(report.commits[cid].date) for cid in cids)


def _weight(report: ScanReport, cids: list[str], weight: Weight) -> int:
    if weight == Weight.CHANGES:
        return 1
    return sum(report.commits[cid].insertions + report.commits[cid].deletions for cid in cids)


def _date(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
