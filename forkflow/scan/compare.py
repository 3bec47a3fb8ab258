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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from forkflow.changes.similar import most_similar
from forkflow.gitrepo import GitRepo
from forkflow.gitrepo.bulk import Fingerprints
from forkflow.scan.commit_graph import CommitGraph, CommitSet, Range
from forkflow.scan.facts import CommitFacts
from forkflow.scan.parallel import Merge

PAIR_VERSION = 2
"""Bumped whenever the meaning of a cached comparison changes."""


@dataclass
class PairResult:
    """Everything the scan says about one pair of heads (a node's and its parent's), as cached.

    ``met_by`` names the parent commit that met each upstreamed or merged commit; ``similar``
    the most similar parent commit touching the same paths of each carried commit, and how
    similar (the policy's threshold is applied later, in the node's report).
    """

    ahead: int
    behind: int
    merge_base: str | None
    carried: list[str] = field(default_factory=list)
    upstreamed: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    met_by: dict[str, str] = field(default_factory=dict)
    similar: dict[str, tuple[str, float]] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Every commit was read and nothing failed: an answer that never changes, worth caching."""
        return not self.unreadable and not self.problems

    def as_row(self) -> dict[str, Any]:
        """The JSON the store keeps."""
        return asdict(self)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> PairResult:
        similar = {cid: (str(found[0]), float(found[1])) for cid, found in row.get("similar", {}).items()}
        lists = ("carried", "upstreamed", "unreadable", "conflicts", "problems", "merged")
        return cls(
            ahead=int(row["ahead"]),
            behind=int(row["behind"]),
            merge_base=row["merge_base"],
            **{name: list(row.get(name, [])) for name in lists},
            met_by=dict(row.get("met_by", {})),
            similar=similar,
        )

    @classmethod
    def unreadable_history(cls, message: str) -> PairResult:
        return cls(0, 0, None, problems=[f"history cannot be read: {message}"])


class ParentIndex:
    """Non-merge commits of the parents' histories, grouped by the paths they touch.

    Only the commits some node lacks (the union of the nodes' ``node..parent``) are indexed,
    once for all the parents (each node asks it only of its own ``node..parent``): the cost
    follows what the nodes are missing, not the length of the history times the parents.
    """

    def __init__(self, graph: CommitGraph, facts: CommitFacts, commits: Iterable[str]):
        wanted = sorted((c for c in commits if len(graph.parents[c]) < 2), key=graph.times.__getitem__)
        facts.load(wanted)
        self.by_paths: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for commit_id in wanted:  # oldest first, so a commit and its parent share tree reads
            paths = facts.paths(commit_id)
            if paths is not None:
                self.by_paths[paths].append(commit_id)


def parent_sides(graph: CommitGraph, spans: dict[tuple[str, str], Range]) -> dict[tuple[str, str], CommitSet]:
    """``node..parent`` of every pair where the node has commits of its own and is behind."""
    return {key: graph.parent_side(key[0], span.boundary) for key, span in spans.items() if span.ahead and span.behind}


def own_commits(spans: dict[tuple[str, str], Range]) -> list[str]:
    """The nodes' own non-merge commits, node by node, oldest first (neighbours share most of their trees)."""
    return list(dict.fromkeys(c for span in spans.values() for c in span.own if c not in span.merges))


def read_paths(
    graph: CommitGraph,
    facts: CommitFacts,
    spans: dict[tuple[str, str], Range],
    sides: dict[tuple[str, str], CommitSet],
    on_progress: Callable[[int, int], None] | None = None,
) -> None:
    """The touched paths of the nodes' own commits and of the parents' commits they lack, in one
    pass: all the index and the choice of candidates need (no file contents)."""
    own = own_commits(spans)
    lacked = {c for c in _union(graph, sides) if len(graph.parents[c]) < 2}.difference(own)
    facts.load([*own, *lacked])
    facts.prefetch((), [*own, *sorted(lacked, key=graph.times.__getitem__)], on_progress=on_progress)


def fingerprints_wanted(
    facts: CommitFacts, spans: dict[tuple[str, str], Range], sides: dict[tuple[str, str], CommitSet], index: ParentIndex
) -> Fingerprints:
    """Which own commits get a fingerprint: those some node will carry, once the candidates'
    patch-ids are known (an upstreamed commit is compared with nothing for similarity)."""
    always: set[str] = set()
    unless: dict[str, list[frozenset[str | None]]] = defaultdict(list)
    for key, span in spans.items():
        side = sides.get(key)
        for commit in (c for c in span.own if c not in span.merges):
            found = side_candidates(facts, index, side, commit) if side is not None else []
            met = frozenset(row.patch_id for c in found if (row := facts.patch(c)) is not None)
            if met:
                unless[commit].append(met)
            else:
                always.add(commit)
    return Fingerprints(always=frozenset(always), unless={c: tuple(m) for c, m in unless.items() if c not in always})


def side_candidates(facts: CommitFacts, index: ParentIndex, parent_side: CommitSet, commit_id: str) -> list[str]:
    """The commits of ``node..parent`` touching exactly the commit's paths, oldest first: the only
    ones that can have its patch, or be the similar change."""
    return [c for c in index.by_paths.get(facts.paths(commit_id) or (), ()) if c in parent_side]


def candidates(
    graph: CommitGraph,
    facts: CommitFacts,
    spans: dict[tuple[str, str], Range],
    sides: dict[tuple[str, str], CommitSet],
    index: ParentIndex,
    *,
    carried_only: bool = False,
) -> list[str]:
    """Parent commits touching exactly the paths of some node commit in that node's
    ``node..parent``: the ones whose patch-id the comparisons will need, oldest first.

    ``carried_only``: of the node commits no parent commit has the patch of (every patch-id
    known by then): the ones the carried commits are compared with for similarity.
    """
    wanted: set[str] = set()
    for key, side in sides.items():
        span = spans[key]
        for commit in (c for c in span.own if c not in span.merges):
            if facts.paths(commit) is None:
                continue
            found = side_candidates(facts, index, side, commit)
            mine = facts.match_key(commit) if carried_only else None
            if not carried_only or (mine is not None and all(facts.match_key(c) != mine for c in found)):
                wanted.update(found)
    return sorted(wanted, key=graph.times.__getitem__)


def build_index(graph: CommitGraph, facts: CommitFacts, sides: dict[tuple[str, str], CommitSet]) -> ParentIndex:
    """One index over everything some node lacks of its parent."""
    return ParentIndex(graph, facts, _union(graph, sides))


def _union(graph: CommitGraph, sides: dict[tuple[str, str], CommitSet]) -> CommitSet:
    union = graph.nothing()
    for side in sides.values():
        union = union | side
    return union


def planned_merges(spans: dict[tuple[str, str], Range]) -> dict[tuple[str, str], Merge]:
    """The merge to try for each pair where both sides moved: (node, parent, merge base).

    With more than one merge base (criss-cross histories) the base is left to libgit2, which
    builds a virtual one as git does.
    """
    return {
        (parent, node): (node, parent, span.merge_bases[0] if len(span.merge_bases) == 1 else None)
        for (parent, node), span in spans.items()
        if span.ahead and span.behind and span.merge_bases
    }


def compare_heads(
    repo: GitRepo,
    facts: CommitFacts,
    span: Range,
    parent_head: str,
    node_head: str,
    parent_side: CommitSet,
    index: ParentIndex | None,
    merged: dict[str, str] | None = None,
) -> PairResult:
    """Everything the scan says about one pair of heads but its conflicts (predicted apart, for
    every pair at once), cached by the caller.

    ``merged``: the node's own commits the parent reached through a merge, with that merge
    (:meth:`CommitGraph.merged_upstream`).
    """
    base: str | None
    if len(span.merge_bases) > 1:  # criss-cross histories: let libgit2 pick the base git would
        base = repo.merge_base(node_head, parent_head)
    else:
        base = span.merge_bases[0] if span.merge_bases else None
    result = PairResult(
        span.ahead, span.behind, base, merged=sorted(merged or {}), met_by=dict(sorted((merged or {}).items()))
    )
    if span.ahead == 0:
        return result
    _sort_own_commits(result, facts, span, parent_side, index)
    return result


def _sort_own_commits(
    result: PairResult, facts: CommitFacts, span: Range, parent_side: CommitSet, index: ParentIndex | None
) -> None:
    """Each non-merge commit of ``parent..node`` into unreadable, upstreamed (git cherry's ``-``) or carried."""
    own = [commit for commit in span.own if commit not in span.merges]
    facts.load(own)
    for commit_id in own:
        key = facts.match_key(commit_id)
        match = _parent_has(facts, index, parent_side, commit_id, key) if index is not None and key else None
        if key is None:
            result.unreadable.append(commit_id)
        elif match is not None:
            result.upstreamed.append(commit_id)
            result.met_by[commit_id] = match
        else:
            result.carried.append(commit_id)
            nearest = _most_similar(facts, index, parent_side, commit_id) if index is not None else None
            if nearest is not None:
                result.similar[commit_id] = nearest


def _parent_has(facts: CommitFacts, index: ParentIndex, parent_side: CommitSet, commit_id: str, key: str) -> str | None:
    """The (oldest) commit of ``node..parent`` with the same patch as ``commit_id``, if any."""
    return next((c for c in side_candidates(facts, index, parent_side, commit_id) if facts.match_key(c) == key), None)


SIMILAR_FLOOR = 0.2
"""Below this, a parent commit is not worth remembering as similar to a carried one."""


def _most_similar(
    facts: CommitFacts, index: ParentIndex, parent_side: CommitSet, commit_id: str
) -> tuple[str, float] | None:
    """The parent commit touching the same paths that is most similar to ``commit_id``, and how similar."""
    mine = facts.full(commit_id)
    if mine is None or not mine.features:
        return None
    others = []
    for candidate in side_candidates(facts, index, parent_side, commit_id):
        row = facts.full(candidate)
        if row is not None and row.features:
            others.append((candidate, frozenset(row.features)))
    if not others:
        return None
    best, score = most_similar(commit_id, frozenset(mine.features), others)
    return (best, score) if score >= SIMILAR_FLOOR else None
