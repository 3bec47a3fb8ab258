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
    change at all, so it leaves no token; the same goes for a word on both sides.  Of a diff
    longer than ``LINE_BUDGET`` lines, only the smaller files' hunks are read (:func:`within_budget`).
    """
    if len(diff_lines) > LINE_BUDGET:  # headers and all: the hunks may still fit
        diff_lines = within_budget(diff_lines)
    return _tokens_of(diff_lines)


def fingerprint_of_text(text: bytes, files: list[bytes] | None = None) -> tuple[int, ...]:
    """``fingerprint(text.splitlines(keepends=True))``, splitting only the lines it reads: of a
    vendored commit's diff, the small files' hunks and the big files' headers.  ``files``: the
    text's :func:`diff_files`, when the caller has them already."""
    files = diff_files(text) if files is None else files
    if files is None:
        return fingerprint(text.splitlines(keepends=True))
    if text.count(b"\n") + (not text.endswith(b"\n")) <= LINE_BUDGET:
        return _tokens_of(text.splitlines(keepends=True))
    hunks = [block.find(b"\n@@") + 1 or len(block) for block in files]  # where each file's hunks start
    kept = _smallest_that_fit([_lines_from(block, start) for block, start in zip(files, hunks, strict=True)])
    lines: list[bytes] = []
    for number, block in enumerate(files):
        lines.extend((block if number in kept else block[: hunks[number]]).splitlines(keepends=True))
    return _tokens_of(lines)


def diff_files(text: bytes) -> list[bytes] | None:
    """git's diff text cut into its files (each from its ``diff`` line, with its line ends), or
    None when it cannot be cut as ``bytes.splitlines`` would read it: a lone CR ends a line
    there too, and text that does not start with a ``diff`` line is no such diff."""
    if b"\r" in text or (text and not text.startswith(b"diff ")):
        return None
    if not text:
        return []
    files = [b"diff " + block for block in text[len(b"diff ") :].split(b"\ndiff ")]
    return [block + b"\n" for block in files[:-1]] + files[-1:]


def _lines_from(block: bytes, start: int) -> int:
    """``len(block[start:].splitlines())`` for a block without a lone CR, without splitting it."""
    return block.count(b"\n", start) + (start < len(block) and not block.endswith(b"\n"))


def _tokens_of(diff_lines: list[bytes]) -> tuple[int, ...]:
    paths: set[bytes] = set()
    lines: tuple[set[bytes], set[bytes]] = (set(), set())  # added, removed
    words: tuple[set[bytes], set[bytes]] = (set(), set())
    places: set[bytes] = set()
    where = b""  # the path the current hunk's places are in
    hunk: list[tuple[bytes, bytes]] = []  # (" ", "+" or "-", the line's code without whitespace)
    known = _LINES
    for line in diff_lines:
        sign = line[:1]
        if sign == b" " or (sign in _CHANGED and not line.startswith((b"+++ ", b"--- "))):
            text = line[1:]
            facts = known.get(text, _UNSEEN)
            if facts is _UNSEEN:
                facts = _line_facts(text)
            if facts is None:
                continue
            bare, said = facts
            if sign != b" " and not line.startswith((b"+++", b"---")):  # "+++x": in the hunk, yet no change
                side = 0 if sign == b"+" else 1
                lines[side].add(bare)
                words[side].update(said)
            hunk.append((sign, bare))
            continue
        if line.startswith((b"diff ", b"@@", b"--- ", b"+++ ")):
            _hunk_places(where, hunk, places)
            hunk = []
            if line.startswith(b"+++ b/"):
                where = line[6:].rstrip(b"\n")
            if line.startswith((b"+++ b/", b"--- a/")):
                paths.add(line[6:].rstrip(b"\n"))
    _hunk_places(where, hunk, places)
    tokens = {_token(PATH, path) for path in paths}
    tokens.update(_token(CONTEXT, place) for place in places)
    for kinds, (added, removed) in (((LINE_ADDED, LINE_REMOVED), lines), ((WORD_ADDED, WORD_REMOVED), words)):
        tokens.update(_token(kinds[0], text) for text in added - removed)
        tokens.update(_token(kinds[1], text) for text in removed - added)
    return tuple(sorted(tokens))


LINE_BUDGET = 10000
"""The most lines of one commit's diff a fingerprint reads.  A vendored library or a lock file
regenerated is tens of thousands of lines that say nothing of what the change does, and would
cost more than all the other commits of a network together; the patch-id still reads every line.
At 4,000 one real duplicate of symfony-docs (9,000 to 10,000 lines of documentation) was lost
(README, "Speed on real networks")."""


def within_budget(diff_lines: list[bytes]) -> list[bytes]:
    """The diff with its files' hunks taken smallest first while they fit in ``LINE_BUDGET`` lines;
    the files that do not fit keep their headers (so their paths still count), not their hunks.

    A file's size is the lines of its hunks, which git's diff and forkflow's own write alike
    (their headers differ: git writes every ``index`` line).
    """
    starts = [index for index, line in enumerate(diff_lines) if line.startswith(b"diff ")]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    files = [diff_lines[start:end] for start, end in zip(starts, [*starts[1:], len(diff_lines)], strict=True)]
    headers = [_header_length(lines) for lines in files]
    kept = _smallest_that_fit([len(lines) - header for lines, header in zip(files, headers, strict=True)])
    out: list[bytes] = []
    for number, lines in enumerate(files):
        out.extend(lines if number in kept else lines[: headers[number]])
    return out


def _smallest_that_fit(sizes: list[int]) -> set[int]:
    """The files (by number) taken smallest first while their hunks fit in ``LINE_BUDGET`` lines."""
    kept = set()
    left = LINE_BUDGET
    for number in sorted(range(len(sizes)), key=lambda n: (sizes[n], n)):
        if sizes[number] > left:
            break
        kept.add(number)
        left -= sizes[number]
    return kept


def _header_length(lines: list[bytes]) -> int:
    for index, line in enumerate(lines):
        if line.startswith(b"@@"):
            return index
    return len(lines)


_UNSEEN: tuple[bytes, tuple[bytes, ...]] = (b"", ())  # a sentinel, told by its identity
_CHANGED = frozenset((b"+", b"-"))
_LINES: dict[bytes, tuple[bytes, tuple[bytes, ...]] | None] = {}
"""What each line's text (after its sign) gives, remembered: a network's diffs repeat their lines
(the same patch in many branches, a file vendored twice), about seven times each on a real one."""
_LINES_KEPT = 1 << 18


def _line_facts(text: bytes) -> tuple[bytes, tuple[bytes, ...]] | None:
    """A line's code without whitespace and its telling words; None when it says nothing (remembered)."""
    found = _normalised(text)
    if found is not None:
        found = (b"".join(found[0].split()), found[1])
    if len(_LINES) >= _LINES_KEPT:
        _LINES.clear()
    _LINES[text] = found
    return found


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


def _normalised(text: bytes) -> tuple[bytes, tuple[bytes, ...]] | None:
    """The code of a changed line without comments and with one quote style, and its words but
    keywords; None when it says nothing."""
    if _COMMENT_LINE.match(text):
        return None  # a comment says little about what the code does, and re-typed fixes reword them
    code = _TRAILING_COMMENT.sub(b"", text).replace(b"'", b'"')
    words = tuple(word for word in _WORD.findall(code) if word.lower() not in _KEYWORDS)
    if not words:
        return None  # brackets, "else:", blank lines: nothing that tells one change from another
    return code, words


def _token(kind: int, text: bytes) -> int:
    known = _TOKENS.get((kind, text))
    if known is not None:
        return known
    if len(_TOKENS) >= _LINES_KEPT:
        _TOKENS.clear()
    token = _TOKENS[(kind, text)] = _hashed(kind, text)
    return token


_TOKENS: dict[tuple[int, bytes], int] = {}


def _hashed(kind: int, text: bytes) -> int:
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
