"""Compare one node's head with its parent's head, the way git itself would.

ahead/behind are ``git rev-list --left-right --count parent...node``; the carried/upstreamed
split is ``git cherry parent node``: a non-merge commit of ``parent..node`` is upstreamed when
some non-merge commit of ``node..parent`` has the same patch-id, carried otherwise.

To find those equal patches without computing a patch-id for every commit the parent made
since the merge base, the parent's history is indexed once by the set of paths each commit
touches (which needs no file contents): only commits touching exactly the same paths can have
the same patch-id.  It is git's own trick (``git cherry`` compares header-only ids first).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from forkflow.errors import UnreadableError
from forkflow.facts import CommitFacts
from forkflow.gitrepo import GitRepo
from forkflow.graph import CommitGraph

PAIR_VERSION = 1
"""Bumped whenever the meaning of a cached comparison changes."""


class ParentIndex:
    """The non-merge commits of a parent's history, grouped by the paths they touch."""

    def __init__(self, graph: CommitGraph, facts: CommitFacts, head: str):
        history = [c for c in graph.ancestors(frozenset([head])) if len(graph.parents[c]) < 2]
        facts.load(history)
        self.by_paths: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for commit_id in sorted(history):
            paths = facts.paths(commit_id)
            if paths is not None:
                self.by_paths[paths].append(commit_id)


def compare_heads(
    repo: GitRepo,
    facts: CommitFacts,
    graph: CommitGraph,
    parent_head: str,
    node_head: str,
    index_for: Callable[[str], ParentIndex],
) -> dict[str, Any]:
    """Everything the scan says about one pair of heads; plain data, cached by the caller.

    ``index_for(parent_head)`` returns the :class:`ParentIndex` of the parent's history; it is
    only called when the node has commits of its own and is behind.
    """
    span = graph.compare(parent_head, node_head)
    if len(span.merge_bases) > 1:  # criss-cross histories: let libgit2 pick the base git would
        base = repo.merge_base(node_head, parent_head)
    else:
        base = span.merge_bases[0] if span.merge_bases else None
    result: dict[str, Any] = {
        "ahead": span.ahead,
        "behind": span.behind,
        "merge_base": base,
        "carried": [],
        "upstreamed": [],
        "unreadable": [],
        "conflicts": [],
        "problems": [],
    }
    if span.ahead == 0:
        return result
    own = [commit for commit in span.own if commit not in span.merges]
    facts.load(own)
    index = index_for(parent_head) if span.behind else None
    parent_side: frozenset[str] | None = None
    for commit_id in own:
        key = facts.match_key(commit_id)
        if key is None:
            result["unreadable"].append(commit_id)
            continue
        candidates = _same_patch(facts, index, commit_id, key) if index is not None else []
        if candidates and parent_side is None:
            parent_side = graph.parent_side(parent_head, span.boundary)
        if any(candidate in (parent_side or ()) for candidate in candidates):
            result["upstreamed"].append(commit_id)
        else:
            result["carried"].append(commit_id)
    if span.behind and base is not None:
        try:
            single = base if len(span.merge_bases) == 1 else None
            result["conflicts"] = repo.merge_conflicts(node_head, parent_head, single)
        except UnreadableError as err:
            result["problems"].append(f"conflicts could not be predicted: {err}")
    return result


def _same_patch(facts: CommitFacts, index: ParentIndex, commit_id: str, key: str) -> list[str]:
    """Commits of the parent's whole history with the same patch as ``commit_id``."""
    paths = facts.paths(commit_id)
    return [c for c in index.by_paths.get(paths or (), ()) if facts.match_key(c) == key]
