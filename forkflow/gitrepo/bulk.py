"""The facts of many commits at once: git's binary reads their diffs in one pass when there is
one (:mod:`forkflow.gitrepo.engine`), pygit2 commit by commit otherwise and for every commit
git could not read.  Either way the answers are :meth:`GitRepo.patch_facts` and
:meth:`GitRepo.touched_paths` would give; None where objects are missing.

Not in a partial clone: there git would fetch each missing blob from the promisor remote, one
request at a time, with whatever credentials it finds; pygit2 reads what is there and says
what is missing, which the scan reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from forkflow.changes.fingerprint import diff_files, fingerprint_of_text
from forkflow.changes.fingerprint import fingerprint as tokens_of
from forkflow.errors import UnreadableError
from forkflow.gitrepo.engine import Item, PatchIds, diffs, git_binary
from forkflow.gitrepo.patch import ESCAPES
from forkflow.gitrepo.patchid import stable_patch_id
from forkflow.gitrepo.repo import GitRepo, PatchFacts, commit_at

MERGE = PatchFacts(None, 0, 0, ())
"""A merge has no patch-id (git cherry skips merges), and no facts of its own."""
_IN_HUNK = frozenset((b" ", b"@", b"\\"))
_UNESCAPES = {escaped[1:]: bytes([code]) for code, escaped in ESCAPES.items()}


@dataclass(frozen=True)
class Fingerprints:
    """Which commits of a pass get a fingerprint: similar-change detection compares those of the
    commits nodes carry, and of the parent commits beside them; the rest need only patch-ids.

    ``every``: all of them.  Otherwise each commit in ``always``, and each commit of ``unless``
    whose patch-id is missing from one of its sets (a commit no parent commit has the patch of,
    in one of the nodes carrying it: it stays carried there).  An empty diff's patch-id is None.
    """

    every: bool = False
    always: frozenset[str] = frozenset()
    unless: Mapping[str, tuple[frozenset[str | None], ...]] = field(default_factory=dict)

    def surely(self, commit_id: str) -> bool | None:
        """Whether the commit gets one, or None when that waits on its patch-id."""
        if self.every or commit_id in self.always:
            return True
        return None if commit_id in self.unless else False

    def wanted(self, commit_id: str, patch_id: str | None) -> bool:
        surely = self.surely(commit_id)
        if surely is not None:
            return surely
        return any(patch_id not in met for met in self.unless[commit_id])

    def of(self, commit_ids: Iterable[str]) -> Fingerprints:
        """The same choice, for these commits only (what a worker is sent)."""
        if self.every:
            return self
        ids = set(commit_ids)
        unless = {cid: met for cid, met in self.unless.items() if cid in ids}
        return Fingerprints(always=self.always & ids, unless=unless)


EVERY = Fingerprints(every=True)
NO_FINGERPRINTS = Fingerprints()


def many_patch_facts(
    repo: GitRepo, commit_ids: Iterable[str], fingerprints: Fingerprints = EVERY
) -> Iterator[tuple[str, PatchFacts | None]]:
    """(commit, :meth:`GitRepo.patch_facts`) once for each commit; None where objects are missing.
    The fingerprint is left out (None) of each commit ``fingerprints`` does not want.

    With the git engine, ``git patch-id --stable`` reads the same diffs beside this process and
    the answers come when the pass is over; a fingerprint that waits on its commit's patch-id is
    made then, from the diff kept until that moment.
    """
    items, early = _items(repo, commit_ids, merges=False)
    yield from early.items()
    if not _engine(repo) or not items:
        yield from ((commit_id, _facts_by_pygit2(repo, commit_id, fingerprints)) for commit_id, _ in items)
        return
    abbrev = repo.abbrev_length()
    patch_ids = PatchIds()
    ours = not patch_ids.running  # no git patch-id recent enough: computed here
    read: list[tuple[str, PatchFacts | None, bytes | None]] = []  # with the diff of a fingerprint that waits
    for commit_id, text in diffs(repo.git_dir, items, patch=True):
        if text is None:
            read.append((commit_id, None, None))
            continue
        if not ours:
            patch_ids.feed(commit_id, text)
        surely = fingerprints.surely(commit_id)
        made = facts_of_diff(text, abbrev, patch_id=ours, fingerprint=surely is True)
        if surely is None and ours:
            made = _fingerprinted(made, text, fingerprints.wanted(commit_id, made.patch_id))
        read.append((commit_id, made, text if surely is None and not ours else None))
    found = patch_ids.results()
    for commit_id, facts, text in read:
        if facts is None or (found is None and not ours):  # unreadable, or git patch-id failed
            yield commit_id, _facts_by_pygit2(repo, commit_id, fingerprints)
        else:
            yield commit_id, _finished(commit_id, facts, found, text, fingerprints)


def _finished(
    commit_id: str, facts: PatchFacts, found: dict[str, str] | None, text: bytes | None, fingerprints: Fingerprints
) -> PatchFacts:
    """The facts read in the pass, with git's patch-id, and the fingerprint that waited on it."""
    done = facts if found is None else replace(facts, patch_id=found.get(commit_id))
    return done if text is None else _fingerprinted(done, text, fingerprints.wanted(commit_id, done.patch_id))


def _fingerprinted(facts: PatchFacts, text: bytes, wanted: bool) -> PatchFacts:
    return replace(facts, fingerprint=fingerprint_of_text(text)) if wanted else facts


def many_touched_paths(repo: GitRepo, commit_ids: Iterable[str]) -> Iterator[tuple[str, tuple[str, ...] | None]]:
    """(commit, :meth:`GitRepo.touched_paths`) once for each commit; None where trees are missing."""
    items, early = _items(repo, commit_ids, merges=True)
    yield from ((commit_id, None) for commit_id in early)
    for commit_id, text in diffs(repo.git_dir, items, patch=False) if _engine(repo) else _unanswered(items):
        if text is None:
            yield commit_id, _paths_by_pygit2(repo, commit_id)
        else:
            names = {name.decode("utf-8", "surrogateescape") for name in text.split(b"\0") if name}
            yield commit_id, tuple(sorted(names))


def _engine(repo: GitRepo) -> bool:
    """Whether git's binary may read this repository's diffs: there is one, and no object is promised."""
    if git_binary() is None:
        return False
    for entry in repo.raw.config:
        name = entry.name.lower()
        if name == "extensions.partialclone" or (name.startswith("remote.") and name.endswith(".promisor")):
            return False
    return True


def _items(
    repo: GitRepo, commit_ids: Iterable[str], *, merges: bool
) -> tuple[list[Item], dict[str, PatchFacts | None]]:
    """Each commit with its first parent, and the answers known without a diff (merges, missing commits)."""
    items: list[Item] = []
    early: dict[str, PatchFacts | None] = {}
    for commit_id in dict.fromkeys(commit_ids):
        try:
            parents = commit_at(repo.raw, commit_id).parent_ids
        except UnreadableError:
            early[commit_id] = None
            continue
        if len(parents) > 1 and not merges:
            early[commit_id] = MERGE
        else:
            items.append((commit_id, str(parents[0]) if parents else None))
    return items, early


def _unanswered(items: list[Item]) -> Iterator[tuple[str, bytes | None]]:
    return ((commit_id, None) for commit_id, _ in items)


def _facts_by_pygit2(repo: GitRepo, commit_id: str, fingerprints: Fingerprints = EVERY) -> PatchFacts | None:
    try:
        return repo.patch_facts(commit_id, lambda patch_id: fingerprints.wanted(commit_id, patch_id))
    except UnreadableError:
        return None


def _paths_by_pygit2(repo: GitRepo, commit_id: str) -> tuple[str, ...] | None:
    try:
        return repo.touched_paths(commit_id)
    except UnreadableError:
        return None


def facts_of_diff(text: bytes, abbrev: int, *, patch_id: bool = True, fingerprint: bool = True) -> PatchFacts:
    """A commit's patch facts from its diff as ``git diff-tree -p`` prints it.

    ``abbrev`` is the repository's abbreviation length, which a binary file's ``index`` line
    (and so its patch-id) uses.  ``patch_id=False``: leave the patch-id out (git computes it);
    ``fingerprint=False``: the fingerprint too (None).
    Each file's lines are counted, not read one by one: a hunk's lines all start with their sign.
    """
    files = diff_files(text)
    if files is None:
        return _facts_of_lines(text.splitlines(keepends=True), abbrev, patch_id, fingerprint)
    insertions = deletions = 0
    paths: set[str] = set()
    binary = False
    for block in files:
        end = block.find(b"\n")
        paths.add(header_path(block[: end + 1 if end >= 0 else len(block)]).decode("utf-8", "surrogateescape"))
        hunks = block.find(b"\n@@ ")
        binary = binary or block.find(b"\nBinary files ", 0, hunks if hunks >= 0 else len(block)) >= 0
        if hunks >= 0:
            insertions += block.count(b"\n+", hunks)
            deletions += block.count(b"\n-", hunks)
    found = stable_patch_id(text.splitlines(keepends=True)) if patch_id else None
    tokens = fingerprint_of_text(text, files) if fingerprint else None
    return PatchFacts(found, insertions, deletions, tuple(sorted(paths)), abbrev if binary else 0, tokens)


def _facts_of_lines(lines: list[bytes], abbrev: int, patch_id: bool, fingerprint: bool) -> PatchFacts:
    insertions = deletions = 0
    paths: set[str] = set()
    binary = in_hunk = False
    for line in lines:
        if in_hunk:
            sign = line[:1]
            if sign == b"+":
                insertions += 1
                continue
            if sign == b"-":
                deletions += 1
                continue
            if sign in _IN_HUNK:
                continue
        if line.startswith(b"diff --git "):
            paths.add(header_path(line).decode("utf-8", "surrogateescape"))
            in_hunk = False
        elif line.startswith(b"@@ "):
            in_hunk = True
        elif line.startswith(b"Binary files "):
            binary = True
    found = stable_patch_id(lines) if patch_id else None
    tokens = tokens_of(lines) if fingerprint else None
    return PatchFacts(found, insertions, deletions, tuple(sorted(paths)), abbrev if binary else 0, tokens)


def header_path(line: bytes) -> bytes:
    """The path of a ``diff --git a/PATH b/PATH`` line (no renames: both sides name it), unquoted."""
    rest = line[len(b"diff --git ") :].rstrip(b"\n")
    if rest.startswith(b'"'):
        return unquote(rest)[len(b"a/") :]
    return rest[2 : 2 + (len(rest) - 5) // 2]


def unquote(quoted: bytes) -> bytes:
    """The first C-quoted name of ``quoted`` (it starts with its opening quote), as git quotes names."""
    out = bytearray()
    position = 1
    while position < len(quoted) and quoted[position : position + 1] != b'"':
        byte = quoted[position : position + 1]
        if byte != b"\\":
            out += byte
            position += 1
            continue
        following = quoted[position + 1 : position + 2]
        if following.isdigit():
            out.append(int(quoted[position + 1 : position + 4], 8))
            position += 4
        else:
            out += _UNESCAPES.get(following, following)
            position += 2
    return bytes(out)
