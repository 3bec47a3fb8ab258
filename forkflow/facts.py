"""Commit facts (touched paths, patch-id, line counts) read through the store's cache.

Touched paths come from a tree-to-tree comparison and need no file contents; the patch-id
needs the full diff.  Both never change for a commit, so each is computed once and kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from forkflow.errors import UnreadableError
from forkflow.gitrepo import GitRepo, PatchFacts
from forkflow.parallel import compute_in_parallel, worker_count, worth_parallel
from forkflow.store import CachedPatch, Store

EMPTY_KEY = "empty"
"""git cherry treats every commit with an empty diff as the same patch; so does forkflow."""


class CommitFacts:
    """Patch facts for many commits, cached in memory and in the store; saved with :meth:`flush`."""

    def __init__(self, repo: GitRepo, store: Store | None):
        self._repo = repo
        self._store = store
        self._known: dict[str, CachedPatch] = {}
        self._new: dict[str, CachedPatch] = {}
        self.unreadable: set[str] = set()
        self._abbrev = repo.abbrev_length()
        self.workers = worker_count()

    def load(self, commit_ids: Iterable[str]) -> None:
        """Read what the store knows about these commits, in one query."""
        if self._store is None:
            return
        missing = [cid for cid in commit_ids if cid not in self._known]
        for cid, row in self._store.patches(missing).items():
            if row.abbrev and row.abbrev != self._abbrev:
                continue  # a binary patch-id made with a shorter abbreviation than git uses now
            stale = row.full and row.features is None  # written before fingerprints: recompute
            self._known[cid] = CachedPatch(row.paths, False, None, 0, 0, 0) if stale else row

    def prefetch(
        self, full: Iterable[str], paths: Iterable[str] = (), *, on_progress: Callable[[int, int], None] | None = None
    ) -> None:
        """Compute what is not known yet for many commits at once, on every core.

        ``full`` need patch-ids, ``paths`` only touched paths; both oldest first.
        """
        want_full = [c for c in dict.fromkeys(full) if not self._is_full(c)]
        chosen = set(want_full)
        want_paths = [c for c in dict.fromkeys(paths) if c not in self._known and c not in chosen]
        total = len(want_full) + len(want_paths)
        if not worth_parallel(total, self.workers):
            for done, commit_id in enumerate(want_full):  # in the order given, so tree reads are shared
                self.full(commit_id)
                if on_progress is not None and done % 100 == 0:
                    on_progress(done, total)
            for commit_id in want_paths:
                self.paths(commit_id)
            return
        results = compute_in_parallel(self._repo.git_dir, want_full, want_paths, workers=self.workers)
        for done, (commit_id, is_full, result) in enumerate(results):
            if on_progress is not None and done % 100 == 0:
                on_progress(done, total)
            if result is None:
                if is_full:
                    self.unreadable.add(commit_id)
            elif isinstance(result, PatchFacts):
                self._remember(commit_id, _full_row(result))
            else:
                self._remember(commit_id, CachedPatch(result, False, None, 0, 0, 0))

    def _is_full(self, commit_id: str) -> bool:
        row = self._known.get(commit_id)
        return (row is not None and row.full) or commit_id in self.unreadable

    def full(self, commit_id: str) -> CachedPatch | None:
        """Patch-id and line counts, or None when the commit's objects are missing."""
        row = self._known.get(commit_id)
        if row is not None and row.full:
            return row
        if commit_id in self.unreadable:
            return None
        try:
            facts = self._repo.patch_facts(commit_id)
        except UnreadableError:
            self.unreadable.add(commit_id)
            return None
        row = _full_row(facts)
        self._remember(commit_id, row)
        return row

    def paths(self, commit_id: str) -> tuple[str, ...] | None:
        """Touched paths (cheap: no file contents needed), or None when trees are missing."""
        row = self._known.get(commit_id)
        if row is not None:
            return row.paths
        try:
            paths = self._repo.touched_paths(commit_id)
        except UnreadableError:
            return None
        self._remember(commit_id, CachedPatch(paths, False, None, 0, 0, 0))
        return paths

    def match_key(self, commit_id: str) -> str | None:
        """What git cherry compares: the patch-id, or one shared key for every empty diff."""
        row = self.full(commit_id)
        if row is None:
            return None
        return row.patch_id if row.patch_id is not None else EMPTY_KEY

    def flush(self) -> None:
        """Write what was computed since the last flush, in one transaction."""
        if self._store is not None and self._new:
            self._store.save_patches(self._new)
        self._new = {}

    def _remember(self, commit_id: str, row: CachedPatch) -> None:
        self._known[commit_id] = row
        self._new[commit_id] = row
        if len(self._new) >= 2000:
            self.flush()


def _full_row(facts: PatchFacts) -> CachedPatch:
    return CachedPatch(
        facts.paths, True, facts.patch_id, facts.insertions, facts.deletions, facts.abbrev, facts.fingerprint
    )
