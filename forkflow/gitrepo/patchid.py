"""The stable patch-id, computed exactly as ``git patch-id --stable`` computes it.

This is a line-for-line port of git's ``get_one_patchid`` (builtin/patch-id.c, git 2.39+)
over the lines of one commit's diff in git's own format: whitespace is removed from every
line, hunk headers and ``index`` lines are skipped, each file's lines are hashed on their own
and the per-file SHA-1s are added as 160-bit little-endian numbers, so the order of files does
not matter.  A binary file enters as the two abbreviated blob ids of its ``index`` line (git
2.39 and later), and git's quirks are kept: a file that has only a header (an empty new file,
a mode change) is hashed together with the file after it, and the ``diff --git`` line that
follows a binary file is not hashed at all.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

_HUNK = re.compile(rb"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))?")
_MOD = 1 << 160


def stable_patch_id(lines: Iterable[bytes]) -> str | None:
    """Return the stable patch-id of one commit's diff lines, or None when git prints none.

    ``lines`` are the lines of ``git diff-tree -p`` output for the commit (each may end in a
    newline).  Git prints no patch-id for an empty diff; neither does this.
    """
    state = _PatchId()
    for line in lines:
        if not state.feed(line):
            break
    return state.result()


class _PatchId:
    """git's ``get_one_patchid`` (builtin/patch-id.c), one line at a time, stable flavour.

    ``before``/``after`` count the lines left in the current hunk (-1: in a file's header, 0 and
    0: between hunks); each file's hash is summed into ``total`` (git's ``flush_one_hunk``).
    """

    def __init__(self) -> None:
        self.total = 0
        self.ctx = hashlib.sha1(usedforsecurity=False)
        self.before = self.after = -1
        self.binary = False
        self.pre = self.post = b""
        self.patchlen = 0

    def feed(self, line: bytes) -> bool:
        """Take one line; False where git stops reading this commit's patch."""
        if line.startswith(b"\\ ") and len(line) > 12:
            return True  # "\ No newline at end of file"
        if not self.patchlen and not line.startswith(b"diff "):
            return True
        if self.before == -1:
            header = self._header(line)
            if header is not None:
                return header
        if self.binary:
            if line.startswith(b"diff "):
                self.binary = False
                self.before = -1
            return True
        if self.before == 0 and self.after == 0:
            between = self._between_hunks(line)
            if between is not None:
                return between
        self._content(line)
        return True

    def result(self) -> str | None:
        self._flush()
        if self.patchlen == 0:
            return None
        return self.total.to_bytes(20, "little").hex()

    def _header(self, line: bytes) -> bool | None:
        """A line of a file's header: True when it is taken, False to stop, None to go on reading it as content."""
        if line.startswith((b"GIT binary patch", b"Binary files")):
            self.binary = True
            self.before = 0
            self.ctx.update(self.pre)
            self.ctx.update(self.post)
            self._flush()
            return True
        if line.startswith(b"index "):
            self.pre, self.post = _index_ids(line)
            return True
        if line.startswith(b"--- "):
            self.before = self.after = 1
        elif not line[:1].isalpha():
            return False
        return None

    def _between_hunks(self, line: bytes) -> bool | None:
        if line.startswith(b"@@ -"):
            self.before, self.after = _hunk_sizes(line)
            return True
        if not line.startswith(b"diff "):
            return False
        self._flush()  # the next file
        self.before = self.after = -1
        return None

    def _content(self, line: bytes) -> None:
        first = line[:1]
        if first in (b"-", b" "):
            self.before -= 1
        if first in (b"+", b" "):
            self.after -= 1
        stripped = b"".join(line.split())
        self.patchlen += len(stripped)
        self.ctx.update(stripped)

    def _flush(self) -> None:
        self.total = _add(self.total, self.ctx)
        self.ctx = hashlib.sha1(usedforsecurity=False)


def _add(total: int, ctx: hashlib._Hash) -> int:
    """git's flush_one_hunk: add a SHA-1 to the running 20-byte little-endian sum."""
    return (total + int.from_bytes(ctx.digest(), "little")) % _MOD


def _index_ids(line: bytes) -> tuple[bytes, bytes]:
    body = line[len(b"index ") :]
    dots = body.find(b"..")
    if dots < 0:
        return b"", b""
    rest = body[dots + 2 :]
    space = rest.find(b" ")
    end = space if space >= 0 else len(rest) - 1  # git drops the last character (the newline)
    return body[:dots], rest[:end]


def _hunk_sizes(line: bytes) -> tuple[int, int]:
    match = _HUNK.match(line)
    if match is None:
        return 0, 0
    old, new = match.groups()
    return int(old) if old is not None else 1, int(new) if new is not None else 1
