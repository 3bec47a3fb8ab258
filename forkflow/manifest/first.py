"""A first forkflow.toml, as ``forkflow init`` writes it: plain data in, the file's text out.

The nodes come from the remotes of a clone or from a forge's fork network (:mod:`forkflow.init`);
what forkflow could only guess (a tier, the owners, a default branch) carries a comment that
says so and why, so the person who commits the file knows which lines to check.  The file is
written whole or not at all, and never over an existing one.
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from forkflow import faultpoints
from forkflow.errors import ManifestError
from forkflow.manifest.edit import check_manifest_text, mode_of, toml_value
from forkflow.manifest.refname import ref_component_problem
from forkflow.manifest.spec import Manifest
from forkflow.wholefile import synced_temporary

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]")
FIELDS = ("name", "parent", "tier", "url", "branch", "owners")


@dataclass(frozen=True)
class FirstNode:
    """One node of a first manifest; ``notes`` holds the comment of each guessed field (by field name)."""

    name: str
    source: str  # where it was found ("remote 'eng'", "GitHub eng/video"), the comment above its table
    url: str
    parent: str | None = None
    tier: str | None = None
    branch: str | None = None
    owners: tuple[str, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FirstManifest:
    """What ``forkflow init`` would write: the network's name, where the nodes came from, the nodes, and warnings."""

    network: str
    origin: str  # "the remotes of /path/to/clone", "GitHub uni/video and its forks"
    nodes: tuple[FirstNode, ...]
    warnings: tuple[str, ...] = ()


def valid_name(text: str, taken: set[str]) -> str:
    """``text`` made a node name (a valid ref component, lower case) that is not in ``taken``; added to it."""
    base = _SAFE.sub("-", text.lower()).strip(".-") or "node"
    if ref_component_problem(base):  # dots where git refuses them ("..", ".lock"): no dots at all
        base = base.replace(".", "-").strip("-") or "node"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def comment(text: str) -> str:
    """``text`` as one TOML comment's text: no line breaks or control characters (each becomes ``?``)."""
    return _UNPRINTABLE.sub("?", text)


def render(first: FirstManifest) -> str:
    """The text of the manifest: a header, the ``[network]`` table, one ``[[node]]`` table per node."""
    lines = [
        f"# forkflow.toml, first written by forkflow init from {comment(first.origin)}.",
        '# Lines marked "guessed" are guesses: check them (tiers: central, decentralized, developer), then commit.',
        "",
        "[network]",
        f"name = {toml_value(first.network)}",
        f"policy = {toml_value('default')}",
    ]
    for node in first.nodes:
        lines += ["", f"# {comment(node.source)}", "[[node]]"]
        for key in FIELDS:
            value = getattr(node, key)
            if value is None or value == ():
                continue
            note = node.notes.get(key)
            lines.append(f"{key} = {toml_value(value)}" + (f"  # guessed: {comment(note)}" if note else ""))
    return "\n".join(lines) + "\n"


def write_new_manifest(path: Path, text: str) -> Manifest:
    """Check ``text`` as the manifest at ``path`` and create the file with it, whole, never over another file.

    The text goes to a temporary file beside ``path`` first, which is then linked at ``path``:
    the link fails when a file is there (made in the meantime too), and an interruption leaves
    no ``path`` at all rather than half of one.
    """
    manifest = check_manifest_text(path, text)
    refuse_existing(path)
    try:
        with synced_temporary(
            path, text.encode("utf-8"), mode_of(path), prefix=".forkflow-", suffix=".toml"
        ) as temporary:
            faultpoints.reached("init.temporary-written")
            _link_or_rename(temporary, path)
    except FileExistsError:
        refuse_existing(path)
        raise
    except OSError as err:
        raise ManifestError(str(path), f"cannot be written: {err}; nothing was written") from err
    return manifest


def _link_or_rename(temporary: str, path: Path) -> None:
    """``temporary`` at ``path``, failing when a file is there; a rename where the file system has no hard links."""
    try:
        os.link(temporary, path)
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        refuse_existing(path)  # checked, then renamed: only a file made in between would be replaced
        os.rename(temporary, path)


def refuse_existing(path: Path) -> None:
    """A :class:`ManifestError` when ``path`` exists: ``forkflow init`` never replaces a manifest."""
    if path.exists() or path.is_symlink():
        raise ManifestError(
            str(path), "already exists; forkflow init never replaces a manifest (edit it, or move it away first)"
        )
