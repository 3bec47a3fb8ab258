"""Writing the forks GitHub knows into forkflow.toml, keeping what the file already says.

New nodes are appended as ``[[node]]`` tables at the end of the file, so its comments, order and
hand-written fields stay as they are; a repository already in the manifest (by url) is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from forkflow.manifest import NodeSpec
from forkflow.refname import ref_component_problem

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def node_name(full_name: str, taken: set[str]) -> str:
    """A node name for ``owner/repo``: the owner, made a valid ref component and unique."""
    owner = full_name.split("/", 1)[0].lower()
    base = _SAFE.sub("-", owner).strip(".-") or "node"
    if ref_component_problem(base):
        base = f"node-{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def new_nodes_toml(existing: Sequence[NodeSpec], found: Sequence[tuple[str, str | None, str, str]], tier: str) -> str:
    """``[[node]]`` tables for the repositories (full name, parent full name, url, branch) not among ``existing``."""
    known_urls = {(spec.url or "").rstrip("/").removesuffix(".git").lower(): spec.name for spec in existing}
    taken = {spec.name for spec in existing}
    names: dict[str, str] = {}
    out = []
    for full_name, parent, url, branch in found:
        key = url.rstrip("/").removesuffix(".git").lower()
        if key in known_urls:
            names[full_name] = known_urls[key]
            continue
        if parent is None:
            names[full_name] = node_name(full_name, taken)
            out.append(_table(names[full_name], None, None, url, branch))
            continue
        names[full_name] = node_name(full_name, taken)
        out.append(_table(names[full_name], names.get(parent), tier, url, branch))
    return "".join(out)


def _table(name: str, parent: str | None, tier: str | None, url: str, branch: str) -> str:
    lines = ["", "[[node]]", f'name = "{name}"']
    if parent is not None:
        lines.append(f'parent = "{parent}"')
    if tier is not None:
        lines.append(f'tier = "{tier}"')
    lines += [f'url = "{url}"', f'branch = "{branch}"', "# found by forkflow discover"]
    return "\n".join(lines) + "\n"
