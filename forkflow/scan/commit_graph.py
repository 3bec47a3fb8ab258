"""The commit graph of a whole network, in memory, for the answers git's graph walks give.

libgit2 walks the history again for every question (ahead/behind, merge base, a range), and a
network asks the same questions of the same parent history hundreds of times.  Here the graph
is loaded once (one walk from every head) and each answer is a walk that stops where the
node meets its parent's history; ancestor sets are computed once, kept as bits, and shared.
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


class CommitSet:
    """A set of one graph's commits, as the bits of an int (bit i: the graph's i-th commit).

    A network's nodes each lack most of their parent's history; as Python sets, telling each
    node's share apart costs time and memory in proportion to nodes x history.  As bits, a
    union, a difference or a count is a few machine words per 64 commits, done in C.
    """

    __slots__ = ("_graph", "bits")

    def __init__(self, graph: CommitGraph, bits: int):
        self._graph = graph
        self.bits = bits

    def __contains__(self, commit: object) -> bool:
        return isinstance(commit, str) and self._graph._has(self.bits, commit)

    def __len__(self) -> int:
        return self.bits.bit_count()

    def __bool__(self) -> bool:
        return self.bits != 0

    def __iter__(self) -> Iterator[str]:
        commits = self._graph._commits
        return (commits[i] for i, bit in enumerate(reversed(bin(self.bits))) if bit == "1")

    def __or__(self, other: CommitSet) -> CommitSet:
        return CommitSet(self._graph, self.bits | other.bits)


@dataclass
class CommitGraph:
    parents: dict[str, tuple[str, ...]]
    times: dict[str, int]
    _ancestors: dict[frozenset[str], int] = field(default_factory=dict)
    _single: dict[str, int] = field(default_factory=dict)  # one commit's ancestors
    _generation: dict[str, int] = field(default_factory=dict)  # made once, when ancestors are first walked
    _ranges: dict[str, tuple[int, frozenset[str]]] = field(default_factory=dict)
    _segments: list[tuple[int, int] | None] = field(default_factory=list)  # where each segment's line goes on
    _on_line: dict[str, tuple[int, int]] = field(default_factory=dict)  # a commit's (segment, depth)
    _lines: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    _bringers: dict[str, list[str]] = field(default_factory=dict)  # a commit -> merges that brought it in
    _index: dict[str, int] = field(default_factory=dict)  # a commit's bit in a CommitSet, given when first met
    _commits: list[str] = field(default_factory=list)  # and back
    _children: dict[str, list[str]] = field(default_factory=dict)  # made once, when descendants are first asked
    _descendants: dict[str, set[str]] = field(default_factory=dict)

    def nothing(self) -> CommitSet:
        return CommitSet(self, 0)

    def _bit(self, commit: str) -> int:
        index = self._index.get(commit)
        if index is None:
            index = self._index[commit] = len(self._commits)
            self._commits.append(commit)
        return index

    def _has(self, bits: int, commit: str) -> bool:
        index = self._index.get(commit)
        return index is not None and (bits >> index) & 1 == 1

    def _ancestor_bits(self, starts: frozenset[str]) -> int:
        """Every commit reachable from ``starts`` (themselves included), as bits; kept for reuse."""
        known = self._ancestors.get(starts)
        if known is None:
            known = 0
            for start in starts:
                known |= self._ancestors_of(start)
            self._ancestors[starts] = known
        return known

    def _ancestors_of(self, head: str) -> int:
        """The ancestors of one commit, itself included, as bits; kept for reuse.

        The walk takes the deepest commits first (by generation: a commit's is one more than
        its parents' greatest), so it meets any commit whose ancestors are known before it
        meets one of their ancestors, and takes those bits whole.  Asked oldest first along
        one history, the ancestor sets of its commits cost about one walk in all (depth first,
        a merge's older side could walk past them down to the root, every time).
        """
        known = self._single.get(head)
        if known is not None:
            return known
        own, boundary = self._ranges.get(head, (0, frozenset([head])))
        if head not in boundary:  # a node already compared: its own commits and its base
            result = own | self._ancestor_bits(boundary) if boundary else own
            self._single[head] = result
            return result
        generation = self._generations()
        bits = 0
        walked: list[int] = []
        queued = {head}
        heap = [(-generation[head], head)]
        while heap:
            _, commit = heapq.heappop(heap)
            if self._has(bits, commit):
                continue
            single = self._single.get(commit) if commit != head else None
            if single is not None:
                bits |= single
                continue
            walked.append(self._bit(commit))
            for parent in self.parents[commit]:
                if parent not in queued:
                    queued.add(parent)
                    heapq.heappush(heap, (-generation[parent], parent))
        result = self._single[head] = bits | _bits_of(walked)
        return result

    def _generations(self) -> dict[str, int]:
        """Each commit's generation: 1 for a root, else one more than its parents' greatest (made once)."""
        if self._generation:
            return self._generation
        generation = self._generation
        for root in self.parents:
            stack = [root]
            while stack:
                commit = stack[-1]
                if commit in generation:
                    stack.pop()
                    continue
                waiting = [p for p in self.parents[commit] if p not in generation]
                if waiting:
                    stack.extend(waiting)
                    continue
                stack.pop()
                generation[commit] = 1 + max((generation[p] for p in self.parents[commit]), default=0)
        return generation

    def compare(self, parent_head: str, node_head: str) -> Range:
        """``git rev-list --left-right --count``, the range ``parent..node`` and the merge base."""
        return self.compare_many([(parent_head, node_head)])[(parent_head, node_head)]

    def compare_many(self, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], Range]:
        """:meth:`compare` for many (parent head, node head) pairs, a parent node's pair before its children's.

        In waves: the pairs whose parent head is no other pair's node head first, then their
        children, and so on.  Within a wave, every pair's own commits are walked first, and
        then the ancestors of all the places where nodes meet their parents, oldest first,
        so that each of those walks stops at the one below it.
        """
        waves: dict[tuple[str, str], int] = {}
        by_node = {pair[1]: pair for pair in pairs}
        for pair in pairs:
            above = by_node.get(pair[0])
            waves[pair] = waves.get(above, -1) + 1 if above is not None and above != pair else 0
        found: dict[tuple[str, str], Range] = {}
        for wave in sorted(set(waves.values())):
            walks = {pair: self._own_walk(*pair) for pair in pairs if waves[pair] == wave}
            meeting = {commit for _, boundary in walks.values() for commit in boundary}
            for commit in sorted(meeting, key=self._generations().__getitem__):
                self._ancestors_of(commit)
            for pair, (own, boundary) in walks.items():
                found[pair] = self._range(pair, own, boundary)
        return {pair: found[pair] for pair in pairs}

    def _own_walk(self, parent_head: str, node_head: str) -> tuple[set[str], frozenset[str]]:
        """``parent..node``, and the parent's commits where it stops (kept for the node's children)."""
        theirs = self._ancestors_of(parent_head)
        own: set[str] = set()
        boundary: set[str] = set()
        stack = [node_head]
        while stack:
            commit = stack.pop()
            if commit in own:
                continue
            if self._has(theirs, commit):
                boundary.add(commit)
                continue
            own.add(commit)
            stack.extend(self.parents[commit])
        frozen = frozenset(boundary)
        self._ranges[node_head] = (_bits_of([self._bit(c) for c in own]), frozen)
        return own, frozen

    def _range(self, pair: tuple[str, str], own: set[str], boundary: frozenset[str]) -> Range:
        parent_head, node_head = pair
        common = self._ancestor_bits(boundary) if boundary else 0
        return Range(
            own=self._in_git_order(node_head, own),
            merges={c for c in own if len(self.parents[c]) > 1},
            boundary=boundary,
            ahead=len(own),
            behind=self._ancestors_of(parent_head).bit_count() - common.bit_count(),
            merge_bases=self._best(set(boundary)),
        )

    def parent_side(self, parent_head: str, boundary: frozenset[str]) -> CommitSet:
        """``node..parent``: the parent's commits the node does not have."""
        theirs = self._ancestor_bits(frozenset([parent_head]))
        return CommitSet(self, theirs & ~self._ancestor_bits(boundary) if boundary else theirs)

    def descendants(self, commit: str) -> set[str]:
        """The graph's commits that have ``commit`` in their history, itself included (kept for reuse)."""
        known = self._descendants.get(commit)
        if known is not None:
            return known
        if not self._children:
            for child, parents in self.parents.items():
                for parent in parents:
                    self._children.setdefault(parent, []).append(child)
        found = {commit}
        stack = [commit]
        while stack:
            for child in self._children.get(stack.pop(), ()):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        self._descendants[commit] = found
        return found

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
        other parents (the oldest merge wins).  (Commits that reached the parent as
        cherry-picks are found by patch-id.)
        """
        line = self._line(parent_head)
        found = {}
        for commit in self.first_parents(node_head):
            merge = next((m for m in self._bringers.get(commit, ()) if self._in_line(m, line)), None)
            if merge is not None:
                if len(self.parents[commit]) < 2:
                    found[commit] = merge
            elif self._in_line(commit, line):
                break
        return found

    def _line(self, head: str) -> list[tuple[int, int]]:
        """``head``'s first-parent line, as the segments it runs through: (segment, from depth), newest first.

        First-parent lines form a tree, so the lines of many heads share their lower parts:
        each commit is walked once, in the one segment it belongs to, however many nodes'
        parents run through it (a line per parent would cost nodes x history).
        """
        known = self._lines.get(head)
        if known is not None:
            return known
        line = self._lines[head] = self._below(self._on_line.get(head) or self._add_segment(head))
        return line

    def _in_line(self, commit: str, line: list[tuple[int, int]]) -> bool:
        where = self._on_line.get(commit)
        return where is not None and any(where[0] == segment and where[1] >= depth for segment, depth in line)

    def _add_segment(self, head: str) -> tuple[int, int]:
        """A segment from ``head`` down to the first commit already in one; and what its merges bring in."""
        commits: list[str] = []
        below = None
        for commit in self.first_parents(head):
            below = self._on_line.get(commit)
            if below is not None:
                break
            commits.append(commit)
        number = len(self._segments)
        self._segments.append(below)
        for depth, commit in enumerate(commits):
            self._on_line[commit] = (number, depth)
        for depth in reversed(range(len(commits))):  # oldest merge first: it wins
            merge = commits[depth]
            if len(self.parents[merge]) < 2:
                continue
            under = [(number, depth + 1), *(self._below(below) if below is not None else [])]  # the line under it
            for side in self.parents[merge][1:]:
                for commit in self.first_parents(side):
                    if self._in_line(commit, under):
                        break
                    bringers = self._bringers.setdefault(commit, [])
                    if any(self._in_line(older, under) for older in bringers):
                        break  # an older merge on this line brought it, and what lies under it
                    bringers.append(merge)
        return (number, 0)

    def _below(self, place: tuple[int, int]) -> list[tuple[int, int]]:
        """The first-parent line from ``place`` down, as the segments it runs through."""
        line = []
        current: tuple[int, int] | None = place
        while current is not None:
            line.append(current)
            current = self._segments[current[0]]
        return line

    def _best(self, boundary: set[str]) -> list[str]:
        """The boundary commits that are not ancestors of another one: the merge bases."""
        if len(boundary) <= 1:
            return sorted(boundary)
        best = []
        for commit in boundary:
            others = frozenset(boundary - {commit})
            if not self._has(self._ancestor_bits(others), commit):
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


def _bits_of(indexes: list[int]) -> int:
    """The int whose bits ``indexes`` are set (in one pass, not one shift per commit)."""
    if not indexes:
        return 0
    bitmap = bytearray(max(indexes) // 8 + 1)
    for index in indexes:
        bitmap[index >> 3] |= 1 << (index & 7)
    return int.from_bytes(bitmap, "little")
