"""A change's fingerprint: what similar-change detection compares, made from its diff lines.

A fingerprint is a sorted tuple of 64-bit tokens of five kinds, each kind in the low three
bits so weights can tell them apart:

- ``LINE_ADDED`` / ``LINE_REMOVED``: a changed line with all whitespace, comments and quote
  style taken out, so the same line typed again gives the same token;
- ``WORD_ADDED`` / ``WORD_REMOVED``: the identifiers, numbers and words of the changed lines,
  so a renamed variable still leaves most of a change's words in common;
- ``PATH``: a touched path (a weak signal: busy files are touched by unrelated changes);
- ``CONTEXT``: where in a file a change lies: the path with the nearest unchanged line above
  and below each run of changed lines, so two changes made at the same place share it even
  when the lines around have moved (line numbers would not survive that).

Tokens are stable hashes (BLAKE2b), so fingerprints can be cached and compared across runs.
"""

from __future__ import annotations

import hashlib
import re
from array import array

LINE_ADDED, LINE_REMOVED, WORD_ADDED, WORD_REMOVED, PATH, CONTEXT = range(6)
KIND_MASK = 0b111

_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]+|[0-9]+(?:\.[0-9]+)?")
_SPACE = re.compile(rb"\s+")
_TRAILING_COMMENT = re.compile(rb"\s(?:#|//)\s.*$")
_COMMENT_LINE = re.compile(rb"^\s*(?:#|//|/\*|\*|--)")
_KEYWORDS = frozenset(
    b"""and as assert async await break case catch class const continue def del elif else except export
    false final finally for from function if import in is lambda let new none not null or pass raise
    return self static switch this throw true try var while with yield""".split()
)


def fingerprint(diff_lines: list[bytes]) -> tuple[int, ...]:
    """The fingerprint of a diff in git's format (``diff --git`` headers, hunks).

    A line removed and added again with only whitespace, quotes or comments changed is no
    change at all, so it leaves no token; the same goes for a word on both sides.
    """
    paths: set[bytes] = set()
    lines: tuple[set[bytes], set[bytes]] = (set(), set())  # added, removed
    words: tuple[set[bytes], set[bytes]] = (set(), set())
    places: set[bytes] = set()
    where = b""  # the path the current hunk's places are in
    hunk: list[tuple[bytes, bytes]] = []  # (" ", "+" or "-", the line's code without whitespace)
    for line in diff_lines:
        sign = line[:1]
        boundary = line.startswith((b"diff ", b"@@", b"--- ", b"+++ "))
        if boundary:
            _hunk_places(where, hunk, places)
            hunk = []
            if line.startswith(b"+++ b/"):
                where = line[6:].rstrip(b"\n")
        if line.startswith((b"+++ b/", b"--- a/")):
            paths.add(line[6:].rstrip(b"\n"))
        changed = sign in (b"+", b"-") and not line.startswith((b"+++", b"---"))
        in_hunk = not boundary and sign in (b" ", b"+", b"-")
        if not in_hunk:
            continue
        code = _normalised(line[1:])
        if code is None:
            continue
        bare = _SPACE.sub(b"", code)
        if changed:
            side = 0 if sign == b"+" else 1
            lines[side].add(bare)
            words[side].update(word for word in _WORD.findall(code) if word.lower() not in _KEYWORDS)
        hunk.append((sign, bare))
    _hunk_places(where, hunk, places)
    tokens = {_token(PATH, path) for path in paths}
    tokens.update(_token(CONTEXT, place) for place in places)
    for kinds, (added, removed) in (((LINE_ADDED, LINE_REMOVED), lines), ((WORD_ADDED, WORD_REMOVED), words)):
        tokens.update(_token(kinds[0], text) for text in added - removed)
        tokens.update(_token(kinds[1], text) for text in removed - added)
    return tuple(sorted(tokens))


def _hunk_places(path: bytes, hunk: list[tuple[bytes, bytes]], places: set[bytes]) -> None:
    """Each run of changed lines of one hunk as its path and the telling unchanged lines just
    above and below it.

    A line removed and added again the same but for whitespace, quotes or comments counts as
    unchanged, so a change typed again with the lines around it re-indented lies at the same place.
    """
    retyped = {code for sign, code in hunk if sign == b"-"} & {code for sign, code in hunk if sign == b"+"}
    above: bytes | None = None
    changing = False
    for sign, code in hunk:
        if sign == b" " or code in retyped:
            if changing:
                places.add(path + b"\0" + code)
            above, changing = code, False
        elif not changing:
            if above is not None:
                places.add(path + b"\0" + above)
            changing = True


def _normalised(text: bytes) -> bytes | None:
    """The code of a changed line without comments and with one quote style; None when it says nothing."""
    if _COMMENT_LINE.match(text):
        return None  # a comment says little about what the code does, and re-typed fixes reword them
    code = _TRAILING_COMMENT.sub(b"", text).replace(b"'", b'"')
    if not any(word.lower() not in _KEYWORDS for word in _WORD.findall(code)):
        return None  # brackets, "else:", blank lines: nothing that tells one change from another
    return code


def _token(kind: int, text: bytes) -> int:
    digest = int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little")
    return (digest & ~KIND_MASK) | kind


def kind(token: int) -> int:
    return token & KIND_MASK


def pack(tokens: tuple[int, ...]) -> bytes:
    """The fingerprint as bytes, for the store."""
    return array("Q", tokens).tobytes()


def unpack(data: bytes) -> tuple[int, ...]:
    packed = array("Q")
    packed.frombytes(data)
    return tuple(packed)
