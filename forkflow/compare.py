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
from typing import Any

from forkflow.errors import UnreadableError
from forkflow.facts import CommitFacts
from forkflow.gitrepo import GitRepo

PAIR_VERSION = 1
"""Bumped whenever the meaning of a cached comparison changes."""


class ParentIndex:
    """The non-merge commits of a parent's history, grouped by the paths they touch."""

    def __init__(self, repo: GitRepo, facts: CommitFacts, head: str):
        history = repo.commits_between(head, None, merges=False)
        facts.load(history)
        self.by_paths: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for commit_id in history:
            paths = facts.paths(commit_id)
            if paths is not None:
                self.by_paths[paths].append(commit_id)


def compare_heads(
    repo: GitRepo,
    facts: CommitFacts,
    parent_head: str,
    node_head: str,
    index_for: Any,
) -> dict[str, Any]:
    """Everything the scan says about one pair of heads; plain data, cached by the caller.

    ``index_for(parent_head)`` returns the :class:`ParentIndex` of the parent's history; it is
    only called when the node has commits of its own and is behind.
    """
    ahead, behind = repo.ahead_behind(node_head, parent_head)
    base = repo.merge_base(node_head, parent_head)
    result: dict[str, Any] = {
        "ahead": ahead,
        "behind": behind,
        "merge_base": base,
        "carried": [],
        "upstreamed": [],
        "unreadable": [],
        "conflicts": [],
        "problems": [],
    }
    if ahead == 0:
        return result
    own = repo.commits_between(node_head, parent_head, merges=False)
    facts.load(own)
    index = index_for(parent_head) if behind else None
    for commit_id in own:
        key = facts.match_key(commit_id)
        if key is None:
            result["unreadable"].append(commit_id)
        elif index is not None and _parent_has(repo, facts, index, commit_id, key, node_head):
            result["upstreamed"].append(commit_id)
        else:
            result["carried"].append(commit_id)
    if behind:
        try:
            result["conflicts"] = repo.merge_conflicts(node_head, parent_head)
        except UnreadableError as err:
            result["problems"].append(f"conflicts could not be predicted: {err}")
    return result


def _parent_has(
    repo: GitRepo, facts: CommitFacts, index: ParentIndex, commit_id: str, key: str, node_head: str
) -> bool:
    paths = facts.paths(commit_id)
    for candidate in index.by_paths.get(paths or (), ()):
        if facts.match_key(candidate) == key and not repo.is_ancestor(candidate, node_head):
            return True
    return False
