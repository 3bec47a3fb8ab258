"""Which forkflow computed a cached result: its version, a digest of its own source, the git
library it read the repository with, and the git binary of its bulk passes (if any).

Every cache the store keeps is a function of the repository's objects and of the code that
read them.  A cache made by other code (a new release, a local edit, another libgit2) may
disagree with what this code computes, so it is never read: the caches carry this id in their
keys, and a store written by other code forgets its cached rows (:meth:`Store.adopt_code`).
Deriving the id from the files themselves means no release can forget to bump a number.
"""

from __future__ import annotations

import hashlib
import sys
from functools import cache
from pathlib import Path

from forkflow import __version__
from forkflow.gitrepo import library_versions
from forkflow.gitrepo.engine import engine_name

_PACKAGE = Path(__file__).resolve().parent


@cache
def code_id() -> str:
    """A hex digest of forkflow's version, every ``.py`` file of the package, pygit2's and libgit2's
    versions, the git binary's (:func:`forkflow.gitrepo.engine.engine_name`) and Python's (its
    ``tomllib`` parses the manifest); the same on every machine that runs the same release.
    About a millisecond, and ``git --version`` once: the package is some 60 small files."""
    digest = hashlib.sha256()
    for part in (__version__, library_versions(), engine_name(), sys.version.split()[0]):
        digest.update(part.encode() + b"\0")
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
