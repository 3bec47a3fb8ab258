"""Commit facts (touched paths, patch-id, line counts, fingerprint; author, dates, message) read
through the store's cache.

Touched paths come from a tree-to-tree comparison and need no file contents; the patch-id
needs the full diff.  None of it ever changes for a commit, so each is computed once and kept.
The fingerprint is made only for the commits similar-change detection compares (a row without
one has it made when it is asked for: :meth:`CommitFacts.full`).
A shard keeps what its report needs of every commit (``record_infos``), so the machine that
collects the shards' results reads it all from the store, without the commits' objects
(``stored_only``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

from forkflow.errors import StoreError, UnreadableError
from forkflow.gitrepo import CommitInfo, GitRepo, PatchFacts
from forkflow.gitrepo.bulk import EVERY, Fingerprints
from forkflow.scan.parallel import compute_in_parallel, facts_of_many, worker_count, worth_parallel
from forkflow.scan.work import tally
from forkflow.store.store import CachedPatch, Store
from forkflow.types import CommitId

EMPTY_KEY = "empty"
"""git cherry treats every commit with an empty diff as the same patch; so does forkflow."""


class CommitFacts:
    """Patch facts for many commits, cached in memory and in the store; saved with :meth:`flush`."""

    def __init__(self, repo: GitRepo, store: Store | None, *, record_infos: bool = False, stored_only: bool = False):
        self._repo = repo
        self._store = store
        self._known: dict[str, CachedPatch] = {}
        self._new: dict[str, CachedPatch] = {}
        self._infos: dict[str, CommitInfo] = {}
        self._new_infos: dict[str, CommitInfo] = {}
        self._record_infos = record_infos and store is not None
        self._stored_only = stored_only and store is not None
        self.unreadable: set[str] = set()
        self._abbrev = repo.abbrev_length()
        self.workers = worker_count()

    def load(self, commit_ids: Iterable[str]) -> None:
        """Read what the store knows about these commits, in one query."""
        if self._store is None:
            return
        ids = list(commit_ids)
        if self._stored_only:
            missing_infos = [cid for cid in ids if cid not in self._infos]
            for cid, info in self._store.commit_infos(missing_infos).items():
                self._infos[cid] = _info_from_row(cid, info)
        missing = [cid for cid in ids if cid not in self._known]
        for cid, row in self._store.patches(missing).items():
            if row.abbrev and row.abbrev != self._abbrev and not self._stored_only:
                continue  # a binary patch-id made with a shorter abbreviation than git uses now
            self._known[cid] = row

    def prefetch(
        self,
        full: Iterable[str],
        paths: Iterable[str] = (),
        *,
        fingerprints: Fingerprints = EVERY,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Compute what is not known yet for many commits at once, on every core.

        ``full`` need patch-ids (and the fingerprints ``fingerprints`` wants), ``paths`` only
        touched paths; both oldest first.
        """
        want_full = [c for c in dict.fromkeys(full) if not self._is_full(c, fingerprints)]
        chosen = set(want_full)
        want_paths = [c for c in dict.fromkeys(paths) if c not in self._known and c not in chosen]
        total = len(want_full) + len(want_paths)
        if self._stored_only:  # the store has it, or the error names what to run
            for commit_id in want_full:
                row = self.patch(commit_id)
                if row is not None and fingerprints.wanted(commit_id, row.patch_id):
                    self.full(commit_id)
            for commit_id in want_paths:
                self.paths(commit_id)
            return
        if worth_parallel(total, self.workers):
            results = compute_in_parallel(
                self._repo.git_dir, want_full, want_paths, workers=self.workers, fingerprints=fingerprints
            )
        else:
            results = itertools.chain(
                (
                    (cid, True, found)
                    for cid, found in facts_of_many(self._repo, want_full, full=True, fingerprints=fingerprints)
                ),
                ((cid, False, found) for cid, found in facts_of_many(self._repo, want_paths, full=False)),
            )
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

    def _is_full(self, commit_id: str, fingerprints: Fingerprints) -> bool:
        """Whether the commit's patch facts are known, with its fingerprint when that is wanted."""
        if commit_id in self.unreadable:
            return True
        row = self._known.get(commit_id)
        if row is None or not row.full:
            return False
        return row.features is not None or not fingerprints.wanted(commit_id, row.patch_id)

    def info(self, commit_id: str) -> CommitInfo:
        """Author, dates and message of a commit."""
        info = self._infos.get(commit_id)
        if info is None:
            if self._stored_only:
                self.load([commit_id])
                info = self._infos.get(commit_id)
                if info is None:
                    raise _not_stored(commit_id)
                return info
            info = self._infos[commit_id] = self._repo.commit_info(commit_id)
            if self._record_infos:
                self._new_infos[commit_id] = info
        return info

    def full(self, commit_id: str) -> CachedPatch | None:
        """Patch-id, line counts and fingerprint, or None when the commit's objects are missing."""
        return self._patch(commit_id, fingerprint=True)

    def patch(self, commit_id: str) -> CachedPatch | None:
        """Patch-id and line counts (the fingerprint only when known already), or None when the
        commit's objects are missing."""
        return self._patch(commit_id, fingerprint=False)

    def _patch(self, commit_id: str, *, fingerprint: bool) -> CachedPatch | None:
        row = self._known.get(commit_id)
        if row is not None and row.full and (row.features is not None or not fingerprint):
            return row
        if commit_id in self.unreadable:
            return None
        if self._stored_only:
            raise _not_stored(commit_id, "fingerprint" if row is not None and row.full else "")
        try:
            facts = self._repo.patch_facts(commit_id, None if fingerprint else lambda _: False)
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
        row = self.patch(commit_id)
        if row is None:
            return None
        return row.patch_id if row.patch_id is not None else EMPTY_KEY

    def flush(self) -> None:
        """Write what was computed since the last flush, in one transaction."""
        if self._store is not None and self._new:
            self._store.save_patches(self._new)
        if self._store is not None and self._new_infos:
            self._store.save_commit_infos({cid: _info_row(info) for cid, info in self._new_infos.items()})
        self._new = {}
        self._new_infos = {}

    def _remember(self, commit_id: str, row: CachedPatch) -> None:
        self._known[commit_id] = row
        work = tally()
        if work is not None:
            work.commits_read.add(commit_id)
        self._new[commit_id] = row
        if len(self._new) >= 2000:
            self.flush()


def _full_row(facts: PatchFacts) -> CachedPatch:
    return CachedPatch(
        facts.paths, True, facts.patch_id, facts.insertions, facts.deletions, facts.abbrev, facts.fingerprint
    )


def _info_row(info: CommitInfo) -> dict[str, object]:
    return {
        "parents": list(info.parents),
        "author_name": info.author_name,
        "author_email": info.author_email,
        "author_time": info.author_time,
        "commit_time": info.commit_time,
        "message": info.message,
    }


def _info_from_row(commit_id: str, row: dict[str, Any]) -> CommitInfo:
    message = str(row["message"])
    return CommitInfo(
        id=CommitId(commit_id),
        parents=tuple(CommitId(p) for p in row["parents"]),
        author_name=row["author_name"],
        author_email=row["author_email"],
        author_time=int(row["author_time"]),
        commit_time=int(row["commit_time"]),
        summary=(message.splitlines() or [""])[0],
        message=message,
    )


def _not_stored(commit_id: str, what: str = "") -> StoreError:
    known = (
        f"the store has no {what} of commit {commit_id[:12]}"
        if what
        else f"the store knows nothing of commit {commit_id[:12]}"
    )
    return StoreError(
        f"{known}: no shard recorded it; run every shard (forkflow scan --shard K/N) with this run id before collecting"
    )
