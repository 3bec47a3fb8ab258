"""The facts of many commits at once: git's binary reads their diffs in one pass when there is
one (:mod:`forkflow.gitrepo.engine`), pygit2 commit by commit otherwise and for every commit
git could not read.  Either way the answers are :meth:`GitRepo.patch_facts` and
:meth:`GitRepo.touched_paths` would give; None where objects are missing.

Not in a partial clone: there git would fetch each missing blob from the promisor remote, one
request at a time, with whatever credentials it finds; pygit2 reads what is there and says
what is missing, which the scan reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from forkflow.changes.fingerprint import diff_files, fingerprint, fingerprint_of_text
from forkflow.errors import UnreadableError
from forkflow.gitrepo.engine import Item, PatchIds, diffs, git_binary
from forkflow.gitrepo.patch import ESCAPES
from forkflow.gitrepo.patchid import stable_patch_id
from forkflow.gitrepo.repo import GitRepo, PatchFacts, commit_at

MERGE = PatchFacts(None, 0, 0, ())
"""A merge has no patch-id (git cherry skips merges), and no facts of its own."""
_IN_HUNK = frozenset((b" ", b"@", b"\\"))
_UNESCAPES = {escaped[1:]: bytes([code]) for code, escaped in ESCAPES.items()}


def many_patch_facts(repo: GitRepo, commit_ids: Iterable[str]) -> Iterator[tuple[str, PatchFacts | None]]:
    """(commit, :meth:`GitRepo.patch_facts`) once for each commit; None where objects are missing.

    With the git engine, ``git patch-id --stable`` reads the same diffs beside this process and
    the answers come when the pass is over.
    """
    items, early = _items(repo, commit_ids, merges=False)
    yield from early.items()
    if not _engine(repo) or not items:
        yield from ((commit_id, _facts_by_pygit2(repo, commit_id)) for commit_id, _ in items)
        return
    abbrev = repo.abbrev_length()
    patch_ids = PatchIds()
    ours = not patch_ids.running  # no git patch-id recent enough: computed here
    read: list[tuple[str, PatchFacts | None]] = []
    for commit_id, text in diffs(repo.git_dir, items, patch=True):
        if text is not None and not ours:
            patch_ids.feed(commit_id, text)
        read.append((commit_id, None if text is None else facts_of_diff(text, abbrev, patch_id=ours)))
    found = patch_ids.results()
    for commit_id, facts in read:
        if facts is None or (found is None and not ours):  # unreadable, or git patch-id failed
            yield commit_id, _facts_by_pygit2(repo, commit_id)
        else:
            yield commit_id, facts if found is None else replace(facts, patch_id=found.get(commit_id))


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


def _facts_by_pygit2(repo: GitRepo, commit_id: str) -> PatchFacts | None:
    try:
        return repo.patch_facts(commit_id)
    except UnreadableError:
        return None


def _paths_by_pygit2(repo: GitRepo, commit_id: str) -> tuple[str, ...] | None:
    try:
        return repo.touched_paths(commit_id)
    except UnreadableError:
        return None


def facts_of_diff(text: bytes, abbrev: int, *, patch_id: bool = True) -> PatchFacts:
    """A commit's patch facts from its diff as ``git diff-tree -p`` prints it.

    ``abbrev`` is the repository's abbreviation length, which a binary file's ``index`` line
    (and so its patch-id) uses.  ``patch_id=False``: leave the patch-id out (git computes it).
    Each file's lines are counted, not read one by one: a hunk's lines all start with their sign.
    """
    files = diff_files(text)
    if files is None:
        return _facts_of_lines(text.splitlines(keepends=True), abbrev, patch_id)
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
    tokens = fingerprint_of_text(text, files)
    return PatchFacts(found, insertions, deletions, tuple(sorted(paths)), abbrev if binary else 0, tokens)


def _facts_of_lines(lines: list[bytes], abbrev: int, patch_id: bool) -> PatchFacts:
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
    return PatchFacts(found, insertions, deletions, tuple(sorted(paths)), abbrev if binary else 0, fingerprint(lines))


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
