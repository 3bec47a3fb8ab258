"""Writing the forks GitHub knows into forkflow.toml, keeping what the file already says.

New nodes are appended as ``[[node]]`` tables at the end of the file (forkflow/manifest/edit.py),
so its comments, order and hand-written fields stay as they are; a repository already in the
manifest (by url) is left alone.  What GitHub says is untrusted: an owner that cannot be a node
name is made one, and a repository whose url or default branch cannot be written is left out
with a line that says why (and so are the forks under it); the others are added.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from forkflow.manifest.edit import append_node, toml_value
from forkflow.manifest.first import valid_name
from forkflow.manifest.refname import branch_problem
from forkflow.manifest.spec import NodeSpec

FOUND_NOTE = "# found by forkflow discover"

Found = tuple[str, str | None, str, str | None]
"""A repository GitHub listed: its full name, its parent's full name, its url, its default branch."""


@dataclass
class ForksAdded:
    """The manifest's text with the new nodes appended, their names, and the repositories left out."""

    text: str
    start: int  # where the appended tables begin in ``text``
    added: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # one line each: which repository, and why

    @property
    def tables(self) -> str:
        """The ``[[node]]`` tables appended (what ``discover`` prints without --write)."""
        return self.text[self.start :]


def network_header(name: str) -> str:
    """The ``[network]`` table of a new manifest."""
    return f"[network]\nname = {toml_value(name)}\npolicy = {toml_value('default')}\n"


def node_name(full_name: str, taken: set[str]) -> str:
    """A node name for ``owner/repo``: the owner, made a valid ref component and unique."""
    return valid_name(full_name.split("/", 1)[0], taken)


def add_forks(text: str, existing: Sequence[NodeSpec], found: Sequence[Found], tier: str) -> ForksAdded:
    """``text`` with a ``[[node]]`` table for each repository of ``found`` (parents first) not among ``existing``."""
    known_urls = {_url_key(spec.url or ""): spec.name for spec in existing}
    taken = {spec.name for spec in existing}
    names: dict[str, str] = {}
    left_out: set[str] = set()
    base = text.rstrip("\n") + "\n"
    done = ForksAdded(base, len(base))
    for full_name, parent, url, branch in found:
        if isinstance(url, str) and _url_key(url) in known_urls:  # already there, as the file says it
            names[full_name] = known_urls[_url_key(url)]
            continue
        problem = _problem(full_name, parent, url, branch, left_out)
        if problem is not None:
            left_out.add(str(full_name))
            done.refused.append(f"repository {full_name!r}: {problem}; it was not added")
            continue
        names[full_name] = node_name(full_name, taken)
        fields = {
            "name": names[full_name],
            "parent": names.get(parent) if parent is not None else None,
            "tier": tier if parent is not None else None,
            "url": url,
            "branch": branch,
        }
        done.text = append_node(done.text, fields) + FOUND_NOTE + "\n"
        done.added.append(names[full_name])
    return done


def _url_key(url: str) -> str:
    return url.rstrip("/").removesuffix(".git").lower()


def _problem(full_name: str, parent: str | None, url: str, branch: str | None, left_out: set[str]) -> str | None:
    """Why this repository cannot be written into the manifest, or None."""
    if not isinstance(full_name, str) or "/" not in full_name:
        return "GitHub gave no owner/name for it"
    if parent is not None and parent in left_out:
        return f"its parent {parent!r} was left out"
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("https", "http") or not parts.netloc or _unprintable(url):
        return f"its url {url!r} is not a web address (https://...)"
    if branch is not None:
        problem = branch_problem(branch) if isinstance(branch, str) else "is not text"
        if problem:
            return f"its default branch {branch!r} {problem}"
    return None


def _unprintable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which no file can hold
        return True
    return any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in text)
