"""A commit's diff in git's own text format, built in process with libgit2.

libgit2 writes the hunks (with git's indent heuristic, three lines of context, no rename
detection, exactly what ``git diff-tree -p`` shows and what ``git cherry`` compares); the
file headers are written here the way git writes them, because libgit2's differ from git's
in ways that change a patch-id (the abbreviation of blob ids, the quoting of paths).
"""

from __future__ import annotations

import struct
from pathlib import Path

import pygit2
from pygit2.enums import DeltaStatus, DiffOption

_DIFF_FLAGS = DiffOption.INDENT_HEURISTIC
_NULL = "0" * 40
_ESCAPES = {7: b"\\a", 8: b"\\b", 9: b"\\t", 10: b"\\n", 11: b"\\v", 12: b"\\f", 13: b"\\r",
            34: b'\\"', 92: b"\\\\"}


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
    if not any(b < 0x20 or b in (34, 92) or b >= 0x7F for b in path):
        return prefix + path
    out = bytearray(b'"' + prefix)
    for byte in path:
        if byte in _ESCAPES:
            out += _ESCAPES[byte]
        elif byte < 0x20 or byte >= 0x7F:
            out += b"\\%03o" % byte
        else:
            out.append(byte)
    out += b'"'
    return bytes(out)


def commit_diff(repo: pygit2.Repository, commit: pygit2.Commit) -> pygit2.Diff:
    """The commit's diff against its first parent (or the empty tree), as git diff-tree makes it."""
    if commit.parent_ids:
        return repo.diff(commit.parents[0].tree, commit.tree, flags=_DIFF_FLAGS, context_lines=3,
                         interhunk_lines=0)
    return commit.tree.diff_to_tree(swap=True, flags=_DIFF_FLAGS, context_lines=3, interhunk_lines=0)


def commit_diff_lines(
    repo: pygit2.Repository, commit: pygit2.Commit, abbreviate: Abbreviator
) -> tuple[list[bytes], pygit2.Diff, int]:
    """The lines of ``git diff-tree -p <commit>`` and the diff they came from.

    Also returns the abbreviation length used for binary files (0 when there were none).
    """
    diff = commit_diff(repo, commit)
    lines: list[bytes] = []
    used = 0
    for patch in diff:
        delta = patch.delta
        data = patch.data
        lines.extend(_header(delta))
        if delta.is_binary:
            used = abbreviate.minimum
            lines.append(_index_line(delta, abbreviate))
            lines.append(b"Binary files %s and %s differ\n" % _names(delta))
            continue
        start = data.find(b"\n@@ -")
        if start < 0:
            continue  # an empty file, or a mode change alone: the header is all there is
        old, new = _names(delta)
        lines.append(b"--- " + old + _tab(old) + b"\n")
        lines.append(b"+++ " + new + _tab(new) + b"\n")
        lines.extend(data[start + 1 :].splitlines(keepends=True))
    return lines, diff, used


def diff_facts(diff: pygit2.Diff) -> tuple[int, int, tuple[str, ...]]:
    """Inserted and deleted lines, and touched paths, of a diff whose patches were made."""
    stats = diff.stats
    return int(stats.insertions), int(stats.deletions), diff_paths(diff)


def diff_paths(diff: pygit2.Diff) -> tuple[str, ...]:
    paths = {
        delta.old_file.path if delta.status == DeltaStatus.DELETED else delta.new_file.path
        for delta in diff.deltas
    }
    return tuple(sorted(paths))


def _header(delta: pygit2.DiffDelta) -> list[bytes]:
    old, new = delta.old_file, delta.new_file
    lines = [b"diff --git %s %s\n" % (quote_path(b"a/", old.raw_path), quote_path(b"b/", new.raw_path))]
    if delta.status == DeltaStatus.ADDED:
        lines.append(b"new file mode %o\n" % new.mode)
    elif delta.status == DeltaStatus.DELETED:
        lines.append(b"deleted file mode %o\n" % old.mode)
    elif old.mode != new.mode:
        lines.append(b"old mode %o\n" % old.mode)
        lines.append(b"new mode %o\n" % new.mode)
    return lines


def _index_line(delta: pygit2.DiffDelta, abbreviate: Abbreviator) -> bytes:
    old, new = delta.old_file, delta.new_file
    ids = b"index %s..%s" % (abbreviate(str(old.id)).encode(), abbreviate(str(new.id)).encode())
    if delta.status == DeltaStatus.MODIFIED and old.mode == new.mode:
        ids += b" %o" % new.mode
    return ids + b"\n"


def _names(delta: pygit2.DiffDelta) -> tuple[bytes, bytes]:
    old = b"/dev/null" if delta.status == DeltaStatus.ADDED else quote_path(b"a/", delta.old_file.raw_path)
    new = b"/dev/null" if delta.status == DeltaStatus.DELETED else quote_path(b"b/", delta.new_file.raw_path)
    return old, new


def _tab(name: bytes) -> bytes:
    """git ends a ---/+++ line with a tab when the name holds a space."""
    return b"\t" if b" " in name else b""
