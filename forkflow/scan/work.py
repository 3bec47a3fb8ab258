"""What a scan computed, and what it read from the store: the proof that a warm run is warm.

A scheduled run on a fresh CI runner is warm only when the store it restored holds what the
run before computed.  :func:`counting` collects, for the scans within it, how many comparisons
and commits were worked out from git, and how many were read from the store; the bot prints it
in its log, so a cache that failed to restore shows as a cold scan, not as a slow day.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class ScanWork:
    reports_read: int = 0
    """Scans whose whole report came from the store (nothing the report depends on had moved)."""
    pairs_compared: int = 0
    pairs_read: int = 0
    commits_read: set[str] = field(default_factory=set)
    """Commits whose facts (paths, patch-id, fingerprint, summary) were read from git."""
    groups_computed: int = 0
    groups_read: int = 0

    @property
    def cold(self) -> bool:
        """Whether anything was worked out from git rather than read from the store."""
        return bool(self.pairs_compared or self.commits_read or self.groups_computed)

    def line(self) -> str:
        """One line for the log: ``scan: ...``."""
        if not self.cold:
            return "scan: everything read from the store (nothing computed from git)"
        parts = [
            f"{self.pairs_compared} node comparisons computed and {self.pairs_read} read from the store",
            f"{len(self.commits_read)} commits read from git",
            "shared changes grouped anew" if self.groups_computed else "shared changes read from the store",
        ]
        return "scan: " + ", ".join(parts)


_CURRENT: ContextVar[ScanWork | None] = ContextVar("forkflow_scan_work", default=None)


@contextmanager
def counting() -> Iterator[ScanWork]:
    """Count the work of every scan made within."""
    work = ScanWork()
    token = _CURRENT.set(work)
    try:
        yield work
    finally:
        _CURRENT.reset(token)


def tally() -> ScanWork | None:
    """The count in progress (None outside :func:`counting`: nothing is counted)."""
    return _CURRENT.get()
