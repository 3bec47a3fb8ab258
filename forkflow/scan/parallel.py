"""Commit facts computed on every core: the work is per commit and independent.

Each worker opens the repository itself (no libgit2 object crosses a process) and returns
plain data.  Small batches stay in the calling process, where starting workers would cost
more than it saves.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

from forkflow.errors import UnreadableError
from forkflow.gitrepo import GitRepo, PatchFacts
from forkflow.gitrepo.bulk import EVERY, NO_FINGERPRINTS, Fingerprints, many_patch_facts, many_touched_paths

MIN_PARALLEL = 400
"""Below this many commits, one process is faster than starting workers."""

MIN_PARALLEL_MERGES = 48
"""Below this many merges, likewise."""

MERGE_CHUNKS = 8
"""Merges go to the workers in chunks this many times smaller than a pass's chunks of commits:
the caller, free before the workers are done, takes the last chunks none has begun."""

Merge = tuple[str, str, str | None]
"""(ours, theirs, merge base or None to let libgit2 find it)."""

_worker_repo: GitRepo | None = None

Result = PatchFacts | tuple[str, ...] | None
T = TypeVar("T")


def _start(git_dir: str) -> None:
    global _worker_repo  # noqa: PLW0603 (one repository per worker process)
    # What a forked worker inherits is never collected here: left out of the collector, the
    # scan's objects are neither walked nor copied page by page into every worker.
    gc.freeze()
    _worker_repo = GitRepo(git_dir)


def _facts(batch: tuple[list[str], bool, Fingerprints]) -> list[tuple[str, Result]]:
    assert _worker_repo is not None
    ids, full, fingerprints = batch
    return list(facts_of_many(_worker_repo, ids, full=full, fingerprints=fingerprints))


def facts_of_many(
    repo: GitRepo, commit_ids: list[str], *, full: bool, fingerprints: Fingerprints = EVERY
) -> Iterator[tuple[str, Result]]:
    """Patch facts (``full``, with the fingerprints wanted) or touched paths of many commits, in
    one pass of the git engine when there is one."""
    if full:
        yield from many_patch_facts(repo, commit_ids, fingerprints)
    else:
        yield from many_touched_paths(repo, commit_ids)


def _merges(batch: list[Merge]) -> list[list[str] | str]:
    assert _worker_repo is not None
    return [_conflicts(_worker_repo, merge) for merge in batch]


def _conflicts(repo: GitRepo, merge: Merge) -> list[str] | str:
    """The conflicting paths, or why they could not be predicted."""
    ours, theirs, base = merge
    try:
        return repo.merge_conflicts(ours, theirs, base)
    except UnreadableError as err:
        return f"conflicts could not be predicted: {err}"


class Prediction:
    """:meth:`GitRepo.merge_conflicts` for many merges, under way in worker processes (when there
    are enough) while the caller goes on with work that needs none of it; :meth:`results` waits
    for it, and meanwhile does the merges no worker has begun (few merges: all of them)."""

    def __init__(self, repo: GitRepo, merges: list[Merge], *, workers: int, beside: bool = False):
        self._repo = repo
        self._merges = merges
        self._pool: ProcessPoolExecutor | None = None
        self._chunks: list[list[Merge]] = []
        self._futures: list[Future[list[list[str] | str]]] = []
        if workers >= 2 and len(merges) >= MIN_PARALLEL_MERGES:
            # beside: this process works meanwhile, on a core of its own
            self._pool = _pool(repo.git_dir, workers - 1 if beside else workers)
            # Small chunks: the workers take them from the front, results() from the back.
            self._chunks = _chunks(merges, workers * MERGE_CHUNKS, smallest=2)
            self._futures = [self._pool.submit(_merges, chunk) for chunk in self._chunks]

    def results(self) -> list[list[str] | str]:
        if self._pool is None:
            return [_conflicts(self._repo, merge) for merge in self._merges]
        try:
            here: dict[int, list[list[str] | str]] = {}
            for index in reversed(range(len(self._futures))):
                if not self._futures[index].cancel():  # begun or done: so are all before it
                    break
                here[index] = [_conflicts(self._repo, merge) for merge in self._chunks[index]]
            return [
                result
                for index, future in enumerate(self._futures)
                for result in (here[index] if index in here else future.result())
            ]
        finally:
            self.close()

    def close(self) -> None:
        """Stop the workers (what they have not done is not done)."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


def _pool(git_dir: Path, workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context(_start_method())
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_start, initargs=(str(git_dir),))


def worker_count() -> int:
    """How many processes to use: FORKFLOW_JOBS, else the cores this process may run on."""
    if multiprocessing.current_process().daemon:
        return 1  # a daemonic process (a Dask worker's, say) may not start processes of its own
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
    git_dir: Path, full: list[str], paths: list[str], *, workers: int, fingerprints: Fingerprints = EVERY
) -> Iterator[tuple[str, bool, Result]]:
    """Yield (commit, full?, facts) for every commit given; None where objects are missing.

    Commits should come in an order where neighbours share trees (a node's commits oldest
    first): each worker takes runs of neighbouring commits.
    """
    batches = [(chunk, True, fingerprints.of(chunk)) for chunk in _chunks(full, workers)] + [
        (chunk, False, NO_FINGERPRINTS) for chunk in _chunks(paths, workers)
    ]
    with _pool(git_dir, workers) as pool:
        for (_, is_full, _), results in zip(batches, pool.map(_facts, batches), strict=True):
            for commit_id, result in results:
                yield commit_id, is_full, result


def _start_method() -> str:
    """fork is the quickest start, but is only safe while this process runs no other thread
    (a progress bar's refresh thread may hold a lock at the moment of the fork)."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return "fork"
    return "forkserver" if sys.platform != "win32" else "spawn"


def _chunks(items: list[T], workers: int, smallest: int = 8) -> list[list[T]]:
    size = max(smallest, len(items) // (workers * 4) + 1)
    return [items[start : start + size] for start in range(0, len(items), size)]
