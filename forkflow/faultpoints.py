"""Named points where a test can stop a running forkflow: a seam for the fault tests only.

A test that must interrupt a command at a precise moment (between fetching two nodes, after
a proposal was opened, between two steps of a merge) sets, for one forkflow process:

- ``FORKFLOW_PAUSE_AT=<point>`` or ``<point>#<k>``: the point's name, and which arrival at it
  (the first when ``#k`` is left out);
- ``FORKFLOW_PAUSE_FILE=<path>``: where the process writes one line when it gets there.

The process then sleeps until a signal ends the sleep (SIGINT or SIGTERM: the test's), or
until the test deletes that file (the command then goes on, in a world the test changed
meanwhile: a full disk, say), or for :data:`LONGEST_PAUSE` seconds at most.  :func:`arm`
reads the environment once, at the command line's entry point; when ``FORKFLOW_PAUSE_AT`` is
unset, :func:`reached` returns at once and costs one comparison.  The points are listed in
:data:`POINTS`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

LONGEST_PAUSE = 60.0
"""A pause that no signal ends lets the command go on after this long (a test that forgot it)."""

POINTS = {
    "fetch.node-done": "a node was fetched; the next one is not yet",
    "scan.pairs-saved": "the comparisons of the pairs of heads are in the store; the report is not",
    "scan.report-saved": "the report is cached in the store; the scan is not in the history yet",
    "scan.recorded": "the scan is in the history; the report is not printed yet",
    "forge.branch-written": "a proposal's branch is written; the forge has no record of it yet",
    "propose.applied": "one action of the proposal plan is done; the next is not",
    "sync.half-moved": "one of a node's two refs (its repository's branch, forkflow's ref) is moved",
    "sync.node-done": "one node is synced; the next is not",
    "lifecycle.repository-begun": "a new node's repository is made, its branch not pushed yet",
    "lifecycle.step-done": "one step of a lifecycle plan is done; the next is not",
    "init.temporary-written": "the first manifest is written to its temporary file, not at its path yet",
}

_wanted: str | None = None
_arrival = 1
_seen = 0
_file: str | None = None


def arm(environ: Mapping[str, str]) -> None:
    """Read ``FORKFLOW_PAUSE_AT`` and ``FORKFLOW_PAUSE_FILE`` (once per process)."""
    global _wanted, _arrival, _seen, _file  # noqa: PLW0603 (one pause per process, set once)
    point = environ.get("FORKFLOW_PAUSE_AT") or None
    _seen, _file = 0, environ.get("FORKFLOW_PAUSE_FILE") or None
    if point is None:
        _wanted = None
        return
    name, _, arrival = point.partition("#")
    if name not in POINTS:
        raise ValueError(f"FORKFLOW_PAUSE_AT={point}: no such point; the points are {', '.join(sorted(POINTS))}")
    _wanted, _arrival = name, int(arrival) if arrival.isdigit() else 1


def reached(name: str) -> None:
    """Forkflow is at the point ``name``: pause here when the test asked for it."""
    global _seen  # noqa: PLW0603
    if _wanted is None or name != _wanted:
        return
    _seen += 1
    if _seen != _arrival:
        return
    if _file is not None:
        with open(_file, "a", encoding="utf-8") as out:
            out.write(f"{name}#{_seen} {os.getpid()}\n")
    until = time.monotonic() + LONGEST_PAUSE
    while time.monotonic() < until and (_file is None or os.path.exists(_file)):
        time.sleep(0.05)  # short sleeps: a signal's handler runs (and raises) at the latest after one
