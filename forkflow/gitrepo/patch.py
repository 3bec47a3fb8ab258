"""A commit's diff in git's own text format, built in process with libgit2.

Which files changed is found here by comparing tree listings (equal subtrees are skipped,
and listings are remembered, so a commit and its parent share the work: libgit2's
tree-to-tree diff reads every entry of both trees).  libgit2 then writes each file's hunks
(git's indent heuristic, three lines of context, no rename detection: exactly what
``git diff-tree -p`` shows and what ``git cherry`` compares), and the file headers are
written here the way git writes them, because libgit2's differ in ways that change a
patch-id (the abbreviation of blob ids, the quoting of paths).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

import pygit2
from pygit2.enums import DiffOption

_DIFF_FLAGS = DiffOption.INDENT_HEURISTIC
_NULL = "0" * 40
ESCAPES = {7: b"\\a", 8: b"\\b", 9: b"\\t", 10: b"\\n", 11: b"\\v", 12: b"\\f", 13: b"\\r", 34: b'\\"', 92: b"\\\\"}


class Abbreviator:
    """Abbreviates object ids the way git does in ``index`` lines.

    git's default abbreviation grows with the repository (seven hex digits, eight from 16,384
    packed objects on, ...) and is lengthened until unique, and a binary file's patch-id is
    made of these abbreviations, so forkflow must abbreviate exactly as git would.
    """

    def __init__(self, repo: pygit2.Repository):
        self._repo = repo
        self._minimum: int | None = None

    @property
    def minimum(self) -> int:
        if self._minimum is None:
            self._minimum = _configured_abbrev(self._repo) or _automatic_abbrev(Path(self._repo.path))
        return self._minimum

    def __call__(self, oid: str) -> str:
        length = self.minimum
        if oid == _NULL:
            return oid[:length]
        while length < 40:
            try:
                self._repo.expand_id(oid[:length])
                return oid[:length]
            except (ValueError, pygit2.GitError, KeyError):
                length += 1
        return oid


def _configured_abbrev(repo: pygit2.Repository) -> int | None:
    try:
        value = str(repo.config["core.abbrev"]).strip().lower()
    except KeyError:
        return None
    if value in ("no", "false", "off"):
        return 40
    if value.isdigit():
        return min(40, max(4, int(value)))
    return None  # "auto"


def _automatic_abbrev(git_dir: Path) -> int:
    """git's rule: about half the bits of the packed object count, in hex digits, at least 7."""
    count = sum(_pack_object_count(idx) for idx in _pack_indexes(git_dir))
    bits = count.bit_length()  # git's msb(count) + 1
    return max(7, (bits + 1) // 2)


def _pack_indexes(git_dir: Path) -> list[Path]:
    objects = git_dir / "objects"
    dirs = [objects / "pack"]
    alternates = objects / "info" / "alternates"
    if alternates.exists():
        for line in alternates.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                alt = Path(line.strip())
                dirs.append((alt if alt.is_absolute() else objects / alt) / "pack")
    return [idx for folder in dirs if folder.is_dir() for idx in sorted(folder.glob("*.idx"))]


def _pack_object_count(idx: Path) -> int:
    try:
        with idx.open("rb") as handle:
            header = handle.read(8 + 256 * 4)
    except OSError:
        return 0
    if header[:4] == b"\xfftOc":  # version 2: magic, version, then the fan-out table
        return int(struct.unpack(">I", header[8 + 255 * 4 : 8 + 256 * 4])[0])
    return int(struct.unpack(">I", header[255 * 4 : 256 * 4])[0])  # version 1


def quote_path(prefix: bytes, path: bytes) -> bytes:
    """``prefix + path`` quoted as git quotes names (core.quotePath on, the default)."""
    if _NEEDS_QUOTING.search(path) is None:
        return prefix + path
    out = bytearray(b'"' + prefix)
    for byte in path:
        if byte in ESCAPES:
            out += ESCAPES[byte]
        elif byte < 0x20 or byte >= 0x7F:
            out += b"\\%03o" % byte
        else:
            out.append(byte)
    out += b'"'
    return bytes(out)


TREE = 0o040000
GITLINK = 0o160000
_NEEDS_QUOTING = re.compile(rb'[\x00-\x1f"\\\x7f-\xff]')


@dataclass(frozen=True)
class FileDelta:
    """One file's change in a commit, as ``git diff-tree`` lists it (no rename detection)."""

    status: str  # "A" added, "D" deleted, "M" modified
    path: bytes
    old_mode: int
    new_mode: int
    old_raw: bytes  # 20-byte object ids; all zero on the missing side
    new_raw: bytes

    @property
    def old_id(self) -> str:
        return self.old_raw.hex()

    @property
    def new_id(self) -> str:
        return self.new_raw.hex()


_ZERO = bytes(20)
_ENTRY = re.compile(rb"([0-7]+) ([^\0]*)\0(.{20})", re.DOTALL)
Listing = frozenset[tuple[bytes, bytes, bytes]]


class TreeReader:
    """Reads and remembers tree listings, so that a commit and its parent share the work."""

    def __init__(self, repo: pygit2.Repository, keep: int = 8192):
        self._odb = repo.odb
        self._keep = keep
        self._trees: dict[bytes, Listing] = {}

    def listing(self, tree: bytes) -> Listing:
        """A tree's entries as (octal mode as written in the tree, name, 20-byte object id)."""
        known = self._trees.get(tree)
        if known is not None:
            return known
        listing = frozenset(_ENTRY.findall(self._odb.read(pygit2.Oid(raw=tree))[1]))
        if len(self._trees) >= self._keep:  # forget the older half (a dict keeps insertion order)
            for old in list(self._trees)[: self._keep // 2]:
                del self._trees[old]
        self._trees[tree] = listing
        return listing

    def changes(self, old_tree: bytes | None, new_tree: bytes) -> list[FileDelta]:
        """The files that differ between two trees, in git's order; equal subtrees are skipped."""
        out: list[FileDelta] = []
        self._compare(old_tree, new_tree, b"", out)
        return out

    def _compare(self, old_tree: bytes | None, new_tree: bytes | None, prefix: bytes, out: list[FileDelta]) -> None:
        old = self.listing(old_tree) if old_tree else frozenset()
        new = self.listing(new_tree) if new_tree else frozenset()
        # The entries that differ, found by set arithmetic in C rather than entry by entry.
        before = {name: (int(mode, 8), oid) for mode, name, oid in old - new}
        after = {name: (int(mode, 8), oid) for mode, name, oid in new - old}
        for name in sorted(before.keys() | after.keys(), key=lambda n: _sort_key(n, before, after)):
            self._entry(before.get(name), after.get(name), prefix + name, out)

    def _entry(
        self, before: tuple[int, bytes] | None, after: tuple[int, bytes] | None, path: bytes, out: list[FileDelta]
    ) -> None:
        old_is_tree = before is not None and before[0] == TREE
        new_is_tree = after is not None and after[0] == TREE
        if old_is_tree or new_is_tree:
            if before is not None and not old_is_tree:
                out.append(FileDelta("D", path, before[0], 0, before[1], _ZERO))
            self._compare(
                before[1] if before is not None and old_is_tree else None,
                after[1] if after is not None and new_is_tree else None,
                path + b"/",
                out,
            )
            if after is not None and not new_is_tree:
                out.append(FileDelta("A", path, 0, after[0], _ZERO, after[1]))
        elif before is None:
            out.append(FileDelta("A", path, 0, after[0], _ZERO, after[1]))  # type: ignore[index]
        elif after is None:
            out.append(FileDelta("D", path, before[0], 0, before[1], _ZERO))
        elif _kind(before[0]) != _kind(after[0]):  # a type change is a deletion and an addition
            out.append(FileDelta("D", path, before[0], 0, before[1], _ZERO))
            out.append(FileDelta("A", path, 0, after[0], _ZERO, after[1]))
        else:
            out.append(FileDelta("M", path, before[0], after[0], before[1], after[1]))


def _kind(mode: int) -> int:
    return mode & 0o170000


def _sort_key(name: bytes, before: dict[bytes, tuple[int, bytes]], after: dict[bytes, tuple[int, bytes]]) -> bytes:
    """git orders a tree's entries as if a subtree's name ended in '/'."""
    entry = after.get(name) or before.get(name)
    return name + b"/" if entry is not None and entry[0] == TREE else name


def commit_changes(reader: TreeReader, commit: pygit2.Commit) -> list[FileDelta]:
    """The commit's changes against its first parent (or the empty tree)."""
    old = commit.parents[0].tree_id.raw if commit.parent_ids else None
    return reader.changes(old, commit.tree_id.raw)


def commit_diff_lines(
    repo: pygit2.Repository, deltas: list[FileDelta], abbreviate: Abbreviator
) -> tuple[list[bytes], int, int, int]:
    """The lines of ``git diff-tree -p`` for these changes, with line counts.

    Returns the lines, insertions, deletions, and the abbreviation length used for binary
    files (0 when there were none).
    """
    lines: list[bytes] = []
    used = insertions = deletions = 0
    for delta in deltas:
        lines.extend(_header(delta))
        body, added, removed, binary = _file_body(repo, delta, abbreviate)
        lines.extend(body)
        insertions += added
        deletions += removed
        used = abbreviate.minimum if binary else used
    return lines, insertions, deletions, used


def _file_body(
    repo: pygit2.Repository, delta: FileDelta, abbreviate: Abbreviator
) -> tuple[list[bytes], int, int, bool]:
    """One file's lines after its header: (lines, insertions, deletions, is binary)."""
    if _kind(delta.old_mode) == GITLINK or _kind(delta.new_mode) == GITLINK:
        body = _gitlink_body(delta)
        added = sum(1 for line in body if line.startswith(b"+S"))
        return body, added, sum(1 for line in body if line.startswith(b"-S")), False
    # The blobs must outlive the patch: libgit2 reads their buffers while writing it.
    old_blob = _blob(repo, delta.old_raw) if delta.status != "A" else None
    new_blob = _blob(repo, delta.new_raw) if delta.status != "D" else None
    path = delta.path.decode("utf-8", "surrogateescape")
    patch = pygit2.Patch.create_from(
        old_blob, new_blob, old_as_path=path, new_as_path=path, flag=_DIFF_FLAGS, context_lines=3, interhunk_lines=0
    )
    if patch.delta.is_binary:
        mode = b" %o" % delta.new_mode if delta.status == "M" and delta.old_mode == delta.new_mode else b""
        index = b"index %s..%s%s\n" % (abbreviate(delta.old_id).encode(), abbreviate(delta.new_id).encode(), mode)
        return [index, b"Binary files %s and %s differ\n" % _names(delta)], 0, 0, True
    data = patch.data
    del old_blob, new_blob
    start = data.find(b"\n@@ -")
    if start < 0:
        return [], 0, 0, False  # an empty file, or a mode change alone: the header is all there is
    _, added, removed = patch.line_stats
    old, new = _names(delta)
    head = [b"--- " + old + _tab(old) + b"\n", b"+++ " + new + _tab(new) + b"\n"]
    return head + data[start + 1 :].splitlines(keepends=True), added, removed, False


def _blob(repo: pygit2.Repository, raw: bytes) -> pygit2.Blob:
    obj = repo[pygit2.Oid(raw=raw)]
    if not isinstance(obj, pygit2.Blob):
        raise KeyError(f"{raw.hex()} is not a blob")
    return obj


def delta_paths(deltas: list[FileDelta]) -> tuple[str, ...]:
    return tuple(sorted({delta.path.decode("utf-8", "surrogateescape") for delta in deltas}))


def _gitlink_body(delta: FileDelta) -> list[bytes]:
    old, new = _names(delta)
    body = [b"--- " + old + b"\n", b"+++ " + new + b"\n"]
    if delta.status == "A":
        return [*body, b"@@ -0,0 +1 @@\n", b"+Subproject commit %s\n" % delta.new_id.encode()]
    if delta.status == "D":
        return [*body, b"@@ -1 +0,0 @@\n", b"-Subproject commit %s\n" % delta.old_id.encode()]
    return [
        *body,
        b"@@ -1 +1 @@\n",
        b"-Subproject commit %s\n" % delta.old_id.encode(),
        b"+Subproject commit %s\n" % delta.new_id.encode(),
    ]


def _header(delta: FileDelta) -> list[bytes]:
    lines = [b"diff --git %s %s\n" % (quote_path(b"a/", delta.path), quote_path(b"b/", delta.path))]
    if delta.status == "A":
        lines.append(b"new file mode %o\n" % delta.new_mode)
    elif delta.status == "D":
        lines.append(b"deleted file mode %o\n" % delta.old_mode)
    elif delta.old_mode != delta.new_mode:
        lines.append(b"old mode %o\n" % delta.old_mode)
        lines.append(b"new mode %o\n" % delta.new_mode)
    return lines


def _names(delta: FileDelta) -> tuple[bytes, bytes]:
    old = b"/dev/null" if delta.status == "A" else quote_path(b"a/", delta.path)
    new = b"/dev/null" if delta.status == "D" else quote_path(b"b/", delta.path)
    return old, new


def _tab(name: bytes) -> bytes:
    """git ends a ---/+++ line with a tab when the name holds a space."""
    return b"\t" if b" " in name else b""
