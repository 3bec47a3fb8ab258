"""git's own binary as the engine of the bulk passes over commits' diffs.

pygit2 is the git layer; for the passes that read the diffs of thousands of commits (their
touched paths, their patches for patch-ids and fingerprints), one ``git diff-tree --stdin``
is several times faster than building each diff in process (README, "Speed on real
networks").  It is asked each commit against its first parent (``<commit> <parent>``: given a
commit alone, ``--stdin`` diffs a merge against every parent), a root commit against the empty
tree, with git's defaults forced whatever the configuration says: what :mod:`forkflow.gitrepo.patch`
writes, so both engines give the same facts, and tests check that they do.

The binary is found and its version checked once per process; without one (or with one too
old, or with ``FORKFLOW_GIT_ENGINE=pygit2``) the callers use pygit2.  A commit whose objects
git cannot read stops ``diff-tree``: that commit is left to pygit2 (which says what is
missing), and a new pass goes on from the next one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO

MIN_VERSION = (2, 28)
"""``--no-relative`` came with git 2.28; every other option used here is older."""
MAX_RESTARTS = 16
"""After this many commits git could not read, the rest of a pass is left to pygit2."""
ENGINE_VARIABLE = "FORKFLOW_GIT_ENGINE"

_VERSION = re.compile(rb"git version (\d+)\.(\d+)(?:\.(\d+))?")
_HEX = re.compile(rb"[0-9a-f]{40}(?:[0-9a-f]{24})?")
# git's defaults for every setting that changes what diff-tree prints (a user's configuration
# or a repository's may say otherwise): the diff pygit2's side writes, and git cherry compares.
_FORCED = ["-c", "core.quotePath=true", "-c", "diff.suppressBlankEmpty=false", "-c", "diff.noprefix=false"]
_OPTIONS = ["-r", "--no-renames", "--root", "--always", "--no-ext-diff", "--no-textconv", "--no-color"]
_PATCH = ["-p", "-U3", "--inter-hunk-context=0", "--indent-heuristic", "--diff-algorithm=myers"]
_PATCH += ["--src-prefix=a/", "--dst-prefix=b/", "--no-relative", "-O/dev/null"]


@dataclass(frozen=True)
class GitBinary:
    path: str
    version: str

    @property
    def numbers(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.version.split("."))


@lru_cache(maxsize=1)
def git_binary() -> GitBinary | None:
    """The git binary for bulk passes, or None (none found, too old, or FORKFLOW_GIT_ENGINE=pygit2)."""
    if os.environ.get(ENGINE_VARIABLE, "").strip().lower() == "pygit2":
        return None
    found = shutil.which("git")
    if found is None:
        return None
    try:
        done = subprocess.run([found, "--version"], capture_output=True, check=True, timeout=30, env=_env())
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.match(done.stdout)
    if match is None or (int(match.group(1)), int(match.group(2))) < MIN_VERSION:
        return None
    return GitBinary(found, ".".join(part.decode() for part in match.groups() if part is not None))


def engine_name() -> str:
    """What computes the bulk passes here: ``git 2.39.5``, or ``pygit2`` (part of the code id)."""
    binary = git_binary()
    return f"git {binary.version}" if binary is not None else "pygit2"


Item = tuple[str, str | None]
"""A commit and the parent to diff it against (None: a root commit, against the empty tree)."""


def diffs(git_dir: Path, items: Sequence[Item], *, patch: bool) -> Iterator[tuple[str, bytes | None]]:
    """Each item's commit with what ``git diff-tree`` prints of it (after its header line), in
    order: the patch, or the touched paths one per line (``-z``: NUL after each); None for a
    commit git could not read.  Without a git binary, every commit gets None."""
    binary = git_binary()
    rest = [(commit, parent) for commit, parent in items if _valid(commit) and (parent is None or _valid(parent))]
    invalid = {commit for commit, _ in items} - {commit for commit, _ in rest}
    yield from ((commit, None) for commit, _ in items if commit in invalid)
    restarts = 0
    while rest:
        if binary is None or restarts > MAX_RESTARTS:
            yield from ((commit, None) for commit, _ in rest)
            return
        answered = 0
        for answer in _one_pass(binary.path, git_dir, rest, patch):
            yield answer
            answered += 1
        if answered == len(rest):
            return
        yield rest[answered][0], None  # the commit git stopped at
        rest = rest[answered + 1 :]
        restarts += 1


def _valid(commit: str) -> bool:
    return _HEX.fullmatch(commit.encode()) is not None


def _one_pass(binary: str, git_dir: Path, items: Sequence[Item], patch: bool) -> Iterator[tuple[str, bytes]]:
    """One ``diff-tree --stdin``: each commit it answered whole, in order, until it ended or stopped."""
    command = [binary, *_FORCED, "--git-dir", str(git_dir), "diff-tree", "--stdin", *_OPTIONS]
    command += _PATCH if patch else ["--name-only", "-z"]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env()
    ) as process:
        assert process.stdin is not None and process.stdout is not None
        feeder = threading.Thread(target=_feed, args=(process.stdin, items), daemon=True)
        feeder.start()
        try:
            answers = _split(process.stdout, [commit for commit, _ in items], b"\n" if patch else b"\0")
            last: tuple[str, bytes] | None = None
            for answer in answers:
                if last is not None:
                    yield last  # whole: the next commit's header came after it
                last = answer
        finally:
            process.stdout.close()
            feeder.join()
        if last is not None and process.wait() == 0:
            yield last


def _feed(stdin: IO[bytes], items: Sequence[Item]) -> None:
    try:
        for start in range(0, len(items), 512):
            chunk = items[start : start + 512]
            stdin.write(b"".join(f"{c} {p}\n".encode() if p else f"{c}\n".encode() for c, p in chunk))
        stdin.close()
    except (BrokenPipeError, OSError, ValueError):
        pass  # git stopped (a commit it could not read): what it answered is read on the other side


def _split(stdout: IO[bytes], commits: list[str], end: bytes) -> Iterator[tuple[str, bytes]]:
    """(commit, its output) as each header line (the commit id alone) comes, in the order asked."""
    position = 0
    current: str | None = None
    parts: list[bytes] = []
    expected = commits[0].encode() + end if commits else None
    for record in _records(stdout, end):
        if record == expected:
            if current is not None:
                yield current, b"".join(parts)
            current, parts, position = commits[position], [], position + 1
            expected = commits[position].encode() + end if position < len(commits) else None
        elif current is not None:
            parts.append(record)
    if current is not None:
        yield current, b"".join(parts)


def _records(stdout: IO[bytes], end: bytes) -> Iterator[bytes]:
    """The output's lines (or NUL-ended fields), each with its end."""
    if end == b"\n":
        yield from stdout
        return
    pending = b""
    while chunk := stdout.read(1 << 16):
        fields = (pending + chunk).split(end)
        pending = fields.pop()
        yield from (field + end for field in fields)
    if pending:
        yield pending


PATCH_ID_VERSION = (2, 39)
"""The stable patch-id of a binary file is its ``index`` line's blob ids from git 2.39 on, as
:mod:`forkflow.gitrepo.patchid` computes it; an older git's ``patch-id`` is not asked."""


class PatchIds:
    """One ``git patch-id --stable`` for a pass, fed each commit's diff as ``diff-tree`` printed
    it; :meth:`results` gives every commit's patch-id (none for an empty diff), or None when
    there is no git recent enough or it failed, and the caller computes them itself."""

    def __init__(self) -> None:
        binary = git_binary()
        self._process: subprocess.Popen[bytes] | None = None
        self._found: dict[str, str] = {}
        self._failed = binary is None or binary.numbers < PATCH_ID_VERSION
        if self._failed or binary is None:
            return
        command = [binary.path, "-c", "patchid.verbatim=false", "patch-id", "--stable"]
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env()
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def running(self) -> bool:
        return self._process is not None

    def feed(self, commit: str, diff: bytes) -> None:
        if self._process is None or self._process.stdin is None or self._failed:
            return
        try:
            self._process.stdin.write(commit.encode() + b"\n" + diff + (b"" if diff.endswith(b"\n") else b"\n"))
        except (BrokenPipeError, OSError, ValueError):
            self._failed = True

    def results(self) -> dict[str, str] | None:
        if self._process is None:
            return None
        assert self._process.stdin is not None
        try:
            self._process.stdin.close()
        except (BrokenPipeError, OSError):
            self._failed = True
        self._reader.join()
        failed = self._process.wait() != 0 or self._failed
        return None if failed else self._found

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            patch_id, _, commit = line.decode("ascii", "replace").strip().partition(" ")
            self._found[commit] = patch_id
        self._process.stdout.close()


MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=134217728"
"""For a pass's git (with glibc; other C libraries ignore it): the buffers of a big file's diff
come from the heap and stay there for the next file, instead of a fresh mapping each time,
every page of it faulted in anew.  On ember.js, ``diff-tree -p`` of 4,238 commits took 185,000
page faults and 0.56 s of system time before, 34,000 and 0.15 s after (3.76 s to 3.14 s in
all), its peak memory 171 MB to 179 MB.  A user's own GLIBC_TUNABLES is left as it is."""


def _env() -> dict[str, str]:
    """git with no system-wide configuration, no pager, its messages in one language, and never a
    fetch or a prompt (``GIT_NO_LAZY_FETCH``, git 2.44 on; older ones are kept from partial
    clones); its memory kept for reuse (:data:`MALLOC_TUNABLES`)."""
    quiet = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_ATTR_NOSYSTEM": "1", "LC_ALL": "C", "GIT_PAGER": "cat"}
    tuned = {"GLIBC_TUNABLES": os.environ.get("GLIBC_TUNABLES", MALLOC_TUNABLES)}
    return {**os.environ, **quiet, **tuned, "GIT_NO_LAZY_FETCH": "1", "GIT_TERMINAL_PROMPT": "0"}
