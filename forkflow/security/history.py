"""Security coverage over time, from history: at the end of every period, of the fix x node
pairs whose fix was published by then, those the node had by then.

A node has a fix from the moment the coverage report says (:attr:`Coverage.since`: the commit
of its first-parent line that brought the fix, or its own equal or similar commit); a node not
affected counts as covered from the fix's publication; a node that lacks it, as not covered.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from forkflow.needs.trend import SecurityPoint, Trend, period_ends
from forkflow.security.coverage import SecurityReport


def with_security(trend: Trend, report: SecurityReport | None, now: datetime) -> Trend:
    """The trend with security coverage at the end of each of its periods since the first fix."""
    if report is None or not report.fixes:
        return trend
    first = min(fix.published for fix in report.fixes)
    ends = period_ends(first, max(now, first), trend.period)
    return trend.model_copy(update={"security": security_points(report, ends)})


def security_points(report: SecurityReport, ends: Sequence[datetime]) -> list[SecurityPoint]:
    """The coverage at each of ``ends`` from the first fix's publication on (none before)."""
    published = {fix.id: fix.published for fix in report.fixes}
    points = []
    for end in ends:
        due = [c for c in report.coverage if published[c.fix] <= end]
        if not due:
            continue
        covered = sum(
            1
            for c in due
            if c.status == "not-affected" or (c.status == "covered" and c.since is not None and c.since <= end)
        )
        percent = round(100.0 * covered / len(due), 1)
        points.append(SecurityPoint(end=end, covered=covered, total=len(due), percent=percent))
    return points
