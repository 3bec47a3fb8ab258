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


def stable_patch_id(lines: Iterable[bytes]) -> str | None:  # noqa: PLR0912, PLR0915 (kept whole, like git's)
    """Return the stable patch-id of one commit's diff lines, or None when git prints none.

    ``lines`` are the lines of ``git diff-tree -p`` output for the commit (each may end in a
    newline).  Git prints no patch-id for an empty diff; neither does this.
    """
    total = 0
    ctx = hashlib.sha1(usedforsecurity=False)
    before = after = -1
    binary = False
    pre = post = b""
    patchlen = 0
    for line in lines:
        if line.startswith(b"\\ ") and len(line) > 12:
            continue  # "\ No newline at end of file"
        if not patchlen and not line.startswith(b"diff "):
            continue
        if before == -1:
            if line.startswith((b"GIT binary patch", b"Binary files")):
                binary = True
                before = 0
                ctx.update(pre)
                ctx.update(post)
                total = _add(total, ctx)
                ctx = hashlib.sha1(usedforsecurity=False)
                continue
            if line.startswith(b"index "):
                pre, post = _index_ids(line)
                continue
            if line.startswith(b"--- "):
                before = after = 1
            elif not line[:1].isalpha():
                break
        if binary:
            if line.startswith(b"diff "):
                binary = False
                before = -1
            continue
        if before == 0 and after == 0:
            if line.startswith(b"@@ -"):
                before, after = _hunk_sizes(line)
                continue
            if not line.startswith(b"diff "):
                break
            total = _add(total, ctx)
            ctx = hashlib.sha1(usedforsecurity=False)
            before = after = -1
        first = line[:1]
        if first in (b"-", b" "):
            before -= 1
        if first in (b"+", b" "):
            after -= 1
        stripped = b"".join(line.split())
        patchlen += len(stripped)
        ctx.update(stripped)
    total = _add(total, ctx)
    if patchlen == 0:
        return None
    return total.to_bytes(20, "little").hex()


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
