"""Commit facts computed on every core: the work is per commit and independent.

Each worker opens the repository itself (no libgit2 object crosses a process) and returns
plain data.  Small batches stay in the calling process, where starting workers would cost
more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from forkflow.errors import UnreadableError
from forkflow.gitrepo import GitRepo, PatchFacts

MIN_PARALLEL = 400
"""Below this many commits, one process is faster than starting workers."""

_worker_repo: GitRepo | None = None

Result = PatchFacts | tuple[str, ...] | None


def _start(git_dir: str) -> None:
    global _worker_repo  # noqa: PLW0603 (one repository per worker process)
    _worker_repo = GitRepo(git_dir)


def _facts(batch: tuple[list[str], bool]) -> list[tuple[str, Result]]:
    assert _worker_repo is not None
    ids, full = batch
    out: list[tuple[str, Result]] = []
    for commit_id in ids:
        try:
            out.append(
                (commit_id, _worker_repo.patch_facts(commit_id) if full else _worker_repo.touched_paths(commit_id))
            )
        except UnreadableError:
            out.append((commit_id, None))
    return out


def worker_count() -> int:
    """How many processes to use: FORKFLOW_JOBS, else the cores this process may run on."""
    wanted = os.environ.get("FORKFLOW_JOBS", "")
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def worth_parallel(count: int, workers: int) -> bool:
    """Whether starting worker processes pays for itself."""
    return workers > 1 and count >= MIN_PARALLEL


def compute_in_parallel(
    git_dir: Path, full: list[str], paths: list[str], *, workers: int
) -> Iterator[tuple[str, bool, Result]]:
    """Yield (commit, full?, facts) for every commit given; None where objects are missing.

    Commits should come in an order where neighbours share trees (a node's commits oldest
    first): each worker takes runs of neighbouring commits.
    """
    batches = [(chunk, True) for chunk in _chunks(full, workers)] + [
        (chunk, False) for chunk in _chunks(paths, workers)
    ]
    context = multiprocessing.get_context(_start_method())
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start, initargs=(str(git_dir),)) as pool:
        for (_, is_full), results in zip(batches, pool.map(_facts, batches), strict=True):
            for commit_id, result in results:
                yield commit_id, is_full, result


def _start_method() -> str:
    """fork is the quickest start, but is only safe while this process runs no other thread
    (a progress bar's refresh thread may hold a lock at the moment of the fork)."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return "fork"
    return "forkserver" if sys.platform != "win32" else "spawn"


def _chunks(ids: list[str], workers: int) -> list[list[str]]:
    size = max(50, len(ids) // (workers * 4) + 1)
    return [ids[start : start + size] for start in range(0, len(ids), size)]
