"""The commit graph of a whole network, in memory, for the answers git's graph walks give.

libgit2 walks the history again for every question (ahead/behind, merge base, a range), and a
network asks the same questions of the same parent history hundreds of times.  Here the graph
is loaded once (one walk from every head) and each answer is a walk over Python sets that
stops where the node meets its parent's history; ancestor sets are computed once and shared.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Range:
    """A node compared with its parent, as git would compare them."""

    own: list[str]  # parent..node, in git's order reversed (oldest first), merges included
    merges: set[str]  # the merge commits among them
    boundary: frozenset[str]  # where the node meets the parent's history
    ahead: int
    behind: int
    merge_bases: list[str]  # the best common ancestors (one, unless histories criss-cross)


@dataclass
class CommitGraph:
    parents: dict[str, tuple[str, ...]]
    times: dict[str, int]
    _ancestors: dict[frozenset[str], frozenset[str]] = field(default_factory=dict)
    _ranges: dict[str, tuple[frozenset[str], frozenset[str]]] = field(default_factory=dict)
    _merged: dict[str, dict[str, str]] = field(default_factory=dict)
    _lines: dict[str, frozenset[str]] = field(default_factory=dict)

    def ancestors(self, starts: frozenset[str]) -> frozenset[str]:
        """Every commit reachable from ``starts`` (themselves included); kept for reuse.

        The walk stops at commits whose ancestors are already known and takes their set
        whole, so the ancestor sets of commits along one history cost about one walk.
        """
        known = self._ancestors.get(starts)
        if known is not None:
            return known
        if len(starts) == 1:
            (head,) = starts
            own, boundary = self._ranges.get(head, (frozenset(), frozenset([head])))
            if head not in boundary:  # a node already compared: its own commits and its base
                result = own | self.ancestors(boundary) if boundary else own
                self._ancestors[starts] = result
                return result
        seen: set[str] = set()
        stack = list(starts)
        while stack:
            commit = stack.pop()
            if commit in seen:
                continue
            single = self._ancestors.get(frozenset([commit])) if commit not in starts else None
            if single is not None:
                seen |= single
                continue
            seen.add(commit)
            stack.extend(p for p in self.parents[commit] if p not in seen)
        result = frozenset(seen)
        self._ancestors[starts] = result
        return result

    def compare(self, parent_head: str, node_head: str) -> Range:
        """``git rev-list --left-right --count``, the range ``parent..node`` and the merge base."""
        theirs = self.ancestors(frozenset([parent_head]))
        own: set[str] = set()
        boundary: set[str] = set()
        stack = [node_head]
        while stack:
            commit = stack.pop()
            if commit in own:
                continue
            if commit in theirs:
                boundary.add(commit)
                continue
            own.add(commit)
            stack.extend(self.parents[commit])
        frozen = frozenset(boundary)
        self._ranges[node_head] = (frozenset(own), frozen)
        for commit in sorted(frozen, key=self.times.__getitem__):  # oldest first: each reuses the last
            self.ancestors(frozenset([commit]))
        common = self.ancestors(frozen) if boundary else frozenset()
        return Range(
            own=self._in_git_order(node_head, own),
            merges={c for c in own if len(self.parents[c]) > 1},
            boundary=frozen,
            ahead=len(own),
            behind=len(theirs) - len(common),
            merge_bases=self._best(boundary),
        )

    def parent_side(self, parent_head: str, boundary: frozenset[str]) -> frozenset[str]:
        """``node..parent``: the parent's commits the node does not have."""
        theirs = self.ancestors(frozenset([parent_head]))
        return theirs - self.ancestors(boundary) if boundary else theirs

    def first_parents(self, head: str) -> Iterator[str]:
        """``head``, its first parent, that one's first parent ... (``git log --first-parent``)."""
        current: str | None = head
        while current is not None:
            yield current
            parents = self.parents[current]
            current = parents[0] if parents else None

    def merged_upstream(self, parent_head: str, node_head: str) -> dict[str, str]:
        """The node's own commits that reached the parent through a merge, each with that merge.

        The node's own commits are those of its first-parent line until it meets the parent's
        first-parent line; a merge on the parent's line brings in the first-parent line of its
        other parents.  (Commits that reached the parent as cherry-picks are found by patch-id.)
        """
        brought = self._merged_into(parent_head)
        line = self._parent_line(parent_head)
        found = {}
        for commit in self.first_parents(node_head):
            if commit in brought:
                if len(self.parents[commit]) < 2:
                    found[commit] = brought[commit]
            elif commit in line:
                break
        return found

    def _parent_line(self, head: str) -> frozenset[str]:
        known = self._lines.get(head)
        if known is None:
            known = self._lines[head] = frozenset(self.first_parents(head))
        return known

    def _merged_into(self, head: str) -> dict[str, str]:
        """Every commit a merge on ``head``'s first-parent line brought in, with the merge (oldest wins)."""
        known = self._merged.get(head)
        if known is not None:
            return known
        line = self._parent_line(head)
        brought: dict[str, str] = {}
        for merge in reversed(list(self.first_parents(head))):  # oldest first
            for side in self.parents[merge][1:]:
                for commit in self.first_parents(side):
                    if commit in line or commit in brought:
                        break
                    brought[commit] = merge
        self._merged[head] = brought
        return brought

    def _best(self, boundary: set[str]) -> list[str]:
        """The boundary commits that are not ancestors of another one: the merge bases."""
        if len(boundary) <= 1:
            return sorted(boundary)
        best = []
        for commit in boundary:
            others = frozenset(boundary - {commit})
            if commit not in self.ancestors(others):
                best.append(commit)
        return sorted(best)

    def _in_git_order(self, head: str, members: set[str]) -> list[str]:
        """The order git rev-list gives (newest commit date first, parents after their
        children are reached), reversed so the oldest comes first, as git cherry prints."""
        if not members:
            return []
        order: list[str] = []
        queued = {head}
        counter = 0
        heap = [(-self.times[head], counter, head)]
        while heap:
            _, _, commit = heapq.heappop(heap)
            order.append(commit)
            for parent in self.parents[commit]:
                if parent in members and parent not in queued:
                    queued.add(parent)
                    counter += 1
                    heapq.heappush(heap, (-self.times[parent], counter, parent))
        order.reverse()
        return order
