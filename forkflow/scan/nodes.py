"""Every node against its parent: the heads, the comparisons (cached by both heads), each node's report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from forkflow import faultpoints
from forkflow.changes.similar import upstream_threshold
from forkflow.errors import GitError, StoreError, UnreadableError
from forkflow.gitrepo import GitRepo
from forkflow.gitrepo.bulk import NO_FINGERPRINTS
from forkflow.model import (
    NodeReport,
    Problem,
)
from forkflow.network.tree import Network
from forkflow.scan.commit_graph import CommitGraph
from forkflow.scan.compare import (
    PAIR_VERSION,
    PairResult,
    build_index,
    candidates,
    compare_heads,
    fingerprints_wanted,
    own_commits,
    parent_sides,
    planned_merges,
    read_paths,
)
from forkflow.scan.facts import CommitFacts
from forkflow.scan.parallel import Merge, Prediction
from forkflow.scan.work import tally
from forkflow.store.store import Store

SEEN_INCOMPLETE = -1
"""The version under which a shard keeps a comparison it made with objects missing (a partial
clone): never read as a cache, since the objects may come later, only by the collecting machine,
so that it reports those nodes as the shard saw them, as one machine would."""


Progress = Callable[[str, int, int], None]
"""Called with (what is being done, how much of it is done, how much there is)."""


def resolve_heads(
    network: Network, repo: GitRepo, names: list[str] | None = None
) -> tuple[dict[str, str | None], list[Problem]]:
    """The heads of ``names`` (default: every node), and a problem for each that cannot be resolved."""
    heads: dict[str, str | None] = {}
    problems = []
    for name in network.tree_order() if names is None else names:
        spec = network.spec(name)
        try:
            head = repo.resolve(spec.head_ref)
        except GitError as err:
            head = None
            problems.append(Problem(node=name, field="ref", message=str(err)))
        else:
            if head is None:
                field = "ref" if spec.ref is not None else "url"
                hint = (
                    f"{spec.head_ref} does not exist in {repo.git_dir}; fetch it or fix the ref"
                    if spec.ref is not None
                    else f"not fetched yet ({spec.head_ref} is missing); run `forkflow fetch`"
                )
                problems.append(Problem(node=name, field=field, message=hint))
        heads[name] = head
    return heads, problems


def compare_all(
    network: Network,
    repo: GitRepo,
    store: Store | None,
    facts: CommitFacts,
    heads: dict[str, str | None],
    progress: Progress | None,
    *,
    only: set[str] | None = None,
    collect: bool = False,
) -> Comparisons:
    """Every node compared with its parent, but for the conflicts, which :meth:`Comparisons.predict`
    starts and :meth:`Comparisons.finish` takes, keeping the comparisons in the store."""
    keys = {}
    for name in network.tree_order():
        if only is not None and name not in only:
            continue
        parent = network.parent(name)
        head = heads[name]
        if parent is not None and head is not None and heads[parent] is not None:
            keys[name] = (str(heads[parent]), head)
    # Keyed by the two heads and the code (the store forgets other code's rows).  Not by the
    # abbreviation length: it changes the text of a binary file's patch-id on both sides of a
    # comparison alike, so never which commits are carried; and the collecting machine of
    # shards, which has no objects, must find what the shards' repositories computed.
    cached = _stored_pairs(store, list(keys.values()), collect)
    todo = {key: name for name, key in keys.items() if key not in cached}
    work = tally()
    if work is not None:
        work.pairs_read += len(keys) - len(todo)
        work.pairs_compared += len(todo)
    if collect and todo:
        missing = ", ".join(sorted(todo.values()))
        raise StoreError(f"no shard has compared these nodes with their parents yet: {missing}; run their shards first")
    compared = Comparisons(repo, store, facts, keys, cached, only, progress)
    if todo:
        _compare_pairs(compared, todo)
    return compared


class Comparisons:
    """Every pair's comparison, the conflicts of the pairs to merge still to come: :meth:`predict`
    starts them (in worker processes, so the caller may go on meanwhile), :meth:`finish` takes
    them and keeps the comparisons in the store."""

    def __init__(
        self,
        repo: GitRepo,
        store: Store | None,
        facts: CommitFacts,
        keys: dict[str, tuple[str, str]],
        cached: dict[tuple[str, str], PairResult],
        only: set[str] | None,
        progress: Progress | None,
    ):
        self.repo, self.store, self.facts, self.progress = repo, store, facts, progress
        self.keys, self.cached, self.only = keys, cached, only
        self.fresh: dict[tuple[str, str], PairResult] = {}
        self.merges: dict[tuple[str, str], Merge] = {}  # of the fresh pairs that were compared

    def results(self) -> dict[str, PairResult]:
        return {name: self.cached[key] if key in self.cached else self.fresh[key] for name, key in self.keys.items()}

    def predict(self, *, beside: bool = False) -> Prediction:
        """Start predicting; ``beside``: the caller works meanwhile, so leave it a core."""
        if self.progress is not None and self.merges:
            self.progress("predicting conflicts", 0, len(self.merges))
        return Prediction(self.repo, list(self.merges.values()), workers=self.facts.workers, beside=beside)

    def finish(self, prediction: Prediction) -> dict[str, PairResult]:
        for key, found in zip(self.merges, prediction.results(), strict=True):
            if isinstance(found, str):
                self.fresh[key].problems.append(found)
            else:
                self.fresh[key].conflicts = found
        self.facts.flush()
        if self.store is not None:
            # Only complete answers are cached: objects that are missing now may be fetched later.
            # A shard keeps the others too, apart, for the machine that collects this run.
            complete = {key: result.as_row() for key, result in self.fresh.items() if result.complete}
            self.store.save_pairs(complete, PAIR_VERSION)
            if self.only is not None:
                incomplete = {key: result.as_row() for key, result in self.fresh.items() if key not in complete}
                self.store.save_pairs(incomplete, SEEN_INCOMPLETE, replace=True)
            faultpoints.reached("scan.pairs-saved")
        return self.results()


def _stored_pairs(store: Store | None, keys: list[tuple[str, str]], collect: bool) -> dict[tuple[str, str], PairResult]:
    """The comparisons the store holds; collecting, also what a shard saw with objects missing, as it saw it."""
    if store is None:
        return {}
    rows = store.pairs(keys, PAIR_VERSION)
    if collect:
        rows |= store.pairs([key for key in keys if key not in rows], SEEN_INCOMPLETE)
    return {key: PairResult.from_row(row) for key, row in rows.items()}


def _compare_pairs(compared: Comparisons, todo: dict[tuple[str, str], str]) -> None:
    """Compare every pair of heads not in the store: one graph, one index per parent head."""
    repo, facts, progress = compared.repo, compared.facts, compared.progress
    if progress is not None:
        progress("loading the history", 0, len(todo))
    try:
        graph = CommitGraph(*repo.load_graph(sorted({head for key in todo for head in key})))
    except UnreadableError as err:
        compared.fresh = {key: PairResult.unreadable_history(str(err)) for key in todo}
        return
    spans = graph.compare_many(list(todo))  # tree order: a parent node is compared before its children
    sides = parent_sides(graph, spans)

    def reading(done: int, total: int) -> None:
        if progress is not None:
            progress("reading commits", done, total)

    read_paths(graph, facts, spans, sides, reading)
    index = build_index(graph, facts, sides)
    merged = {key: graph.merged_upstream(*key) for key in spans}
    # The commits the parents merged and their merges are in the report too: read in the same pass.
    reached = {commit for found in merged.values() for pair in found.items() for commit in pair}
    wanted = {*candidates(graph, facts, spans, sides, index), *reached}
    facts.prefetch(sorted(wanted, key=graph.times.__getitem__), fingerprints=NO_FINGERPRINTS, on_progress=reading)
    # Then the nodes' own commits, fingerprinted where they stay carried, and the parent commits
    # those are compared with for similarity: no other commit needs a fingerprint.
    fingerprints = fingerprints_wanted(facts, spans, sides, index)
    facts.prefetch(own_commits(spans), fingerprints=fingerprints, on_progress=reading)
    facts.prefetch(candidates(graph, facts, spans, sides, index, carried_only=True), on_progress=reading)
    merges = planned_merges(spans)
    for done, (key, span) in enumerate(spans.items()):
        if progress is not None:
            progress(f"comparing {todo[key]}", done, len(spans))
        side = sides.get(key, graph.nothing())
        try:
            found = compare_heads(repo, facts, span, key[0], key[1], side, index, merged[key])
        except UnreadableError as err:
            compared.fresh[key] = PairResult.unreadable_history(str(err))
            continue
        compared.fresh[key] = found
        if key in merges:
            compared.merges[key] = merges[key]


def node_report(
    network: Network,
    facts: CommitFacts,
    name: str,
    heads: dict[str, str | None],
    pairs: dict[str, PairResult],
    now: datetime,
    threshold: float,
) -> NodeReport:
    spec = network.spec(name)
    base: dict[str, Any] = {
        "name": name,
        "parent": spec.parent,
        "tier": spec.tier,
        "ref": spec.head_ref,
        "head": heads[name],
    }
    pair = pairs.get(name)
    if pair is None:
        if spec.parent is not None and heads[name] is not None:
            base["problems"] = [f"parent {spec.parent!r} could not be read, so this node was not compared"]
        return NodeReport(**base)
    if pair.merge_base is not None:
        when = datetime.fromtimestamp(facts.info(pair.merge_base).commit_time, UTC)
        base["merge_base_date"] = when.isoformat(timespec="seconds")
        base["days_since_merge_base"] = max(0, (now - when).days)
    needed = upstream_threshold(threshold)
    similar = {cid: found for cid, found in pair.similar.items() if found[1] >= needed}
    met_by = {**pair.met_by, **{cid: found[0] for cid, found in similar.items()}}
    return NodeReport(
        **base,
        merge_base=pair.merge_base,
        ahead=pair.ahead,
        behind=pair.behind,
        carried=pair.carried,
        upstreamed=pair.upstreamed,
        unreadable=pair.unreadable,
        conflicts=pair.conflicts,
        problems=pair.problems,
        merged=pair.merged,
        similar_met=[cid for cid in pair.carried if cid in similar],
        met_by=dict(sorted(met_by.items())),
    )
