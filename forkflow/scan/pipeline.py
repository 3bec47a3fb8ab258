"""``forkflow scan``: how far every node has drifted from its parent, and what it carries."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic_core import from_json, to_json

from forkflow import faultpoints
from forkflow.changes.shared import SHARED_VERSION, find_shared_changes
from forkflow.changes.similar import upstream_threshold
from forkflow.codeid import code_id
from forkflow.errors import GitError, StoreError, UnreadableError
from forkflow.gitrepo import GitRepo, read_blob_at
from forkflow.model import (
    REPORT_VERSION,
    CommitReport,
    DeclaredNeeds,
    NodeReport,
    Problem,
    ScanReport,
    ScanSummary,
    SharedChange,
    collector_paused,
)
from forkflow.needs.figure import NEED_TRAILER, NEEDS_FILE, declared_needs, measure, parse_register, scan_summary
from forkflow.network.shard import Shard
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy
from forkflow.scan.commit_graph import CommitGraph
from forkflow.scan.commits import commit_reports
from forkflow.scan.compare import (
    PAIR_VERSION,
    build_index,
    candidates,
    compare_heads,
    parent_sides,
    planned_merges,
    prefetch_facts,
)
from forkflow.scan.facts import CommitFacts
from forkflow.scan.parallel import predict_conflicts
from forkflow.store.store import ShardHead, Store

DEFAULT_RUN = "local"
"""The run id of shards and collect when none is given (one machine's shards, one after another)."""

CACHED_FORMAT = 2
"""How the store caches a whole report (:class:`CachedReport`); a cache of another format is never read."""

SEEN_INCOMPLETE = -1
"""The version under which a shard keeps a comparison it made with objects missing (a partial
clone): never read as a cache, since the objects may come later, only by the collecting machine,
so that it reports those nodes as the shard saw them, as one machine would."""

Progress = Callable[[str, int, int], None]
"""Called with (what is being done, how much of it is done, how much there is)."""


def scan_network(
    network: Network,
    repo: GitRepo,
    store: Store | None = None,
    *,
    policy: Policy | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    collect: bool = False,
    run_id: str = DEFAULT_RUN,
) -> ScanReport:
    """Compare every node with its parent, tree order, reusing every cached comparison.

    A node whose ref is missing is reported as a problem and skipped, with its subtree;
    the rest of the network is scanned.  With ``collect``, everything comes from the store,
    as the shards of run ``run_id`` left it (heads, comparisons, commits): nothing is read
    from git, and anything missing is an error naming what to run.
    """
    found = scan_document(
        network, repo, store, policy=policy, now=now, progress=progress, collect=collect, run_id=run_id
    )
    return found.report()


class ScanDocument:
    """A scan's report as ``forkflow scan --json`` prints it, its model, and what the history
    keeps of it: each made only when asked, from what the scan has (the cached text, or the
    model it computed), so a warm scan that only prints builds no model."""

    def __init__(
        self, *, report: ScanReport | None = None, text: bytes | None = None, summary: ScanSummary | None = None
    ):
        self._report, self._text, self._summary = report, text, summary

    @property
    def text(self) -> bytes:
        if self._text is None:
            with collector_paused():
                self._text = report_json(self.report().model_dump(mode="json"))
        return self._text

    def report(self) -> ScanReport:
        if self._report is None:
            with collector_paused():
                self._report = ScanReport.model_validate(from_json(self.text))
        return self._report

    @property
    def summary(self) -> ScanSummary:
        if self._summary is None:
            self._summary = scan_summary(self.report())
        return self._summary

    @property
    def problems(self) -> list[Problem]:
        """What kept part of the network from being scanned (a cached report has nothing of the kind)."""
        return self._report.problems if self._report is not None else []


def scan_document(
    network: Network,
    repo: GitRepo,
    store: Store | None = None,
    *,
    policy: Policy | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    collect: bool = False,
    run_id: str = DEFAULT_RUN,
) -> ScanDocument:
    """:func:`scan_network`, with the report as ``forkflow scan --json`` prints it.

    When nothing changed, this is the cached text with its scan time made ``now``: no model
    and not even a JSON document is built (on a network of 10,000 nodes, either costs more
    than the rest of the scan).  When a day has passed and some node's age moved, the cached
    document is brought to ``now``, printed again and cached so.
    """
    now, policy = now or datetime.now(UTC), policy or Policy()
    start = _start(network, repo, store, policy, collect, run_id)
    cached = start.cached
    if cached is None or store is None:
        report, kept = _scan_and_keep(repo, store, start, now, progress, collect)
        if kept is None:
            return ScanDocument(report=report)
        return ScanDocument(report=report, text=kept.text, summary=kept.summary)
    stamp = now.isoformat(timespec="seconds")
    summary = cached.summary.model_copy(update={"scanned_at": stamp})
    then = datetime.fromisoformat(cached.summary.scanned_at)
    if all(_age(now, date) == _age(then, date) for date in cached.dates):
        return ScanDocument(text=_restamped(cached.text, stamp), summary=summary)
    with collector_paused():
        text = report_json(_refreshed(from_json(cached.text), now))
    store.save_report(start.key, CachedReport(text, summary, cached.dates).encode())
    return ScanDocument(text=text, summary=summary)


def report_json(document: dict[str, Any]) -> bytes:
    """``forkflow scan --json``'s text of a report's document: indented by 2, in UTF-8.

    pydantic-core writes it; json.dumps with an indent runs in pure Python, ten times slower
    (3.3 s against 0.24 s on a 10,000-node report).
    """
    return to_json(document, indent=2)


_STAMP = b'\n  "scanned_at": "'
"""Where the scan time is in a report's text: no string value holds a newline, and no other field is at this indent."""


def _restamped(text: bytes, stamp: str) -> bytes:
    start = text.index(_STAMP) + len(_STAMP)
    return text[:start] + stamp.encode() + text[text.index(b'"', start) :]


def _age(now: datetime, date: str) -> int:
    return max(0, (now - datetime.fromisoformat(date)).days)


@dataclass(frozen=True)
class CachedReport:
    """A report as the store caches it: a line of what the history keeps of it and of the
    merge-base dates its ages count from, then the report as ``forkflow scan --json`` prints it."""

    text: bytes
    summary: ScanSummary
    dates: list[str]

    @classmethod
    def of(cls, report: ScanReport) -> CachedReport:
        with collector_paused():
            text = report_json(report.model_dump(mode="json"))
        dates = sorted({node.merge_base_date for node in report.nodes if node.merge_base_date is not None})
        return cls(text, scan_summary(report), dates)

    def encode(self) -> str:
        head = json.dumps({"summary": self.summary.model_dump(mode="json"), "dates": self.dates})
        return head + "\n" + self.text.decode()

    @classmethod
    def decode(cls, cached: str) -> CachedReport:
        head, _, text = cached.partition("\n")
        kept = json.loads(head)
        return cls(text.encode(), ScanSummary.model_validate(kept["summary"]), kept["dates"])


@dataclass(frozen=True)
class ScanInputs:
    """Everything a scan's report is computed from, besides the repository's objects: the
    manifest (every node, its overrides of the policy included), the whole policy, every
    node's head, the abbreviation length git uses in the repository (binary patch-ids), and
    the code that computes it (:func:`~forkflow.codeid.code_id`).

    The scan reads the network and the policy only from here, and each cache's key is a
    digest of all of it (:meth:`key`), so an input cannot change without changing the key.
    Only the manifest's own path is left out: it says where relative urls point, and what
    they held is in the heads.
    The needs declared in ``needs.toml`` and the ``Need:`` trailers are read at central's
    head, which the heads cover.
    """

    network: Network
    policy: Policy
    heads: dict[str, str | None]
    abbrev: int
    code: str

    def key(self, what: str, *, heads: bool = True, extra: Any = None) -> str:
        """The cache key of ``what`` made from these inputs (without the heads: ``heads=False``),
        and ``extra``, what that cache depends on besides them."""
        versions = [REPORT_VERSION, CACHED_FORMAT, PAIR_VERSION, SHARED_VERSION, self.code, self.abbrev]
        material = [
            what,
            versions,
            self.network.manifest.model_dump(mode="json", exclude={"path"}),
            self.policy.model_dump(mode="json"),
            [[name, self.heads[name]] for name in self.network.tree_order()] if heads else None,
            extra,
        ]
        return hashlib.sha256(to_json(material)).hexdigest()


@dataclass(frozen=True)
class _Start:
    """What a scan knows before comparing anything: its inputs, and the cached report when they did not change."""

    inputs: ScanInputs
    problems: list[Problem]
    key: str
    cached: CachedReport | None


def _start(network: Network, repo: GitRepo, store: Store | None, policy: Policy, collect: bool, run_id: str) -> _Start:
    if collect:
        if store is None:
            raise StoreError("collecting reads the shards' results from the store; it cannot run without one")
        heads, problems = _collected_heads(network, store, run_id)
    else:
        heads, problems = _resolve_heads(network, repo)
    inputs = ScanInputs(network, policy, heads, repo.abbrev_length(), code_id())
    key = inputs.key("report")
    cached = store.cached_report(key) if store is not None and not problems else None
    return _Start(inputs, problems, key, CachedReport.decode(cached) if cached is not None else None)


def _scan_and_keep(
    repo: GitRepo,
    store: Store | None,
    start: _Start,
    now: datetime,
    progress: Progress | None,
    collect: bool,
) -> tuple[ScanReport, CachedReport | None]:
    """The report, and what was cached of it (None when nothing was: no store, or an incomplete report)."""
    report = _scan(start.inputs, repo, store, start.problems, now, progress, collect)
    complete = not start.problems and not any(node.unreadable or node.problems for node in report.nodes)
    if store is None or not complete:
        return report, None
    kept = CachedReport.of(report)
    store.save_report(start.key, kept.encode())
    faultpoints.reached("scan.report-saved")
    return report, kept


def _refreshed(document: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A cached report's document as of ``now``: only the scan time and the ages change (in place)."""
    ages: dict[str, int] = {}  # nodes forked at one point share their merge base's date
    for node in document["nodes"]:
        date = node["merge_base_date"]
        if date is not None:
            age = ages.get(date)
            if age is None:
                age = ages[date] = _age(now, date)
            node["days_since_merge_base"] = age
    document["scanned_at"] = now.isoformat(timespec="seconds")
    return document


def _scan(
    inputs: ScanInputs,
    repo: GitRepo,
    store: Store | None,
    problems: list[Problem],
    now: datetime,
    progress: Progress | None,
    collect: bool = False,
) -> ScanReport:
    network, policy, heads = inputs.network, inputs.policy, inputs.heads
    facts = CommitFacts(repo, store, stored_only=collect)
    pairs = _compare_all(network, repo, store, facts, heads, progress, collect=collect)
    threshold = policy.similarity.threshold
    nodes = [_node_report(network, facts, name, heads, pairs, now, threshold) for name in network.tree_order()]
    facts.flush()
    commits, fingerprints = commit_reports(facts, nodes, policy)
    shared = _shared(inputs, nodes, commits, fingerprints, store)
    nodes, figure = measure(nodes, commits, shared)
    central = heads.get(network.root)
    if central is not None:
        declared = _stored_declared(store, central) if collect and store is not None else declared_in(repo, central)
        figure = figure.model_copy(update={"declared": declared})
    return ScanReport(
        network=network.name,
        scanned_at=now.isoformat(timespec="seconds"),
        nodes=nodes,
        commits=commits,
        shared=shared,
        unmet_needs=figure,
        problems=problems,
    )


def declared_in(repo: GitRepo, central: str) -> DeclaredNeeds | None:
    """The register of declared needs at central's head, against the ``Need:`` trailers central has."""
    text = read_blob_at(repo, central, NEEDS_FILE)
    if text is None:
        return None
    register = parse_register(text.decode("utf-8", "replace"), f"{NEEDS_FILE} at {central[:12]}")
    return declared_needs(register, repo.trailer_values(central, NEED_TRAILER))


def _declared_key(central: str) -> str:
    return f"declared:{central}"


def _stored_declared(store: Store, central: str) -> DeclaredNeeds | None:
    fact = store.fact(_declared_key(central))
    if fact is None:
        raise StoreError(f"no shard recorded the declared needs at central's head {central[:12]}; run the shards first")
    return DeclaredNeeds.model_validate(fact["declared"]) if fact["declared"] is not None else None


def _shared(
    inputs: ScanInputs,
    nodes: list[NodeReport],
    commits: dict[str, CommitReport],
    fingerprints: dict[str, tuple[int, ...]],
    store: Store | None,
) -> list[SharedChange]:
    """Shared changes, read from the store when every node carries what it carried last time.

    The grouping depends on who carries which commits (the unreadable ones too) and on the
    scan's inputs but its heads (a commit's patch-id and fingerprint are fixed by its id and
    the code); a new upstream commit moves every head but seldom what the nodes carry, so
    this is what makes the scan after it cheap.
    """
    carried = [[node.name, node.parent, node.carried, node.unreadable] for node in nodes]
    key = "shared:" + inputs.key("shared", heads=False, extra=carried)
    cached = store.cached_report(key) if store is not None else None
    if cached is not None:
        return [SharedChange.model_validate(change) for change in json.loads(cached)]
    network, similarity = inputs.network, inputs.policy.similarity
    shared = find_shared_changes(network, nodes, commits, fingerprints, similarity)
    if store is not None and not any(node.unreadable or node.problems for node in nodes):
        store.save_report(key, json.dumps([change.model_dump(mode="json") for change in shared]))
    return shared


def scan_shard(
    network: Network,
    repo: GitRepo,
    store: Store,
    shard: Shard,
    *,
    run_id: str = DEFAULT_RUN,
    policy: Policy | None = None,
    progress: Progress | None = None,
) -> list[str]:
    """Compare this shard's nodes with their parents and keep in the (shared) store all that
    the collecting machine needs: the heads seen in run ``run_id``, the comparisons, and what
    the report says of every commit involved.  Running it again adds nothing twice."""
    policy = policy or Policy()
    heads, problems = _resolve_heads(network, repo, shard.fetched(network))  # only the heads it fetched
    why = {problem.node: problem for problem in problems}
    seen = {
        name: ShardHead(head, why[name].field, why[name].message) if name in why else ShardHead(head)
        for name, head in heads.items()
    }
    mine = shard.nodes(network)
    facts = CommitFacts(repo, store, record_infos=True)
    pairs = _compare_all(network, repo, store, facts, heads, progress, only=set(mine))
    epoch = datetime.fromtimestamp(0, UTC)  # ages are the collector's to compute
    nodes = [_node_report(network, facts, name, heads, pairs, epoch, policy.similarity.threshold) for name in mine]
    commit_reports(facts, nodes, policy)  # reads, and so records, every commit the report shows
    facts.flush()
    central = heads[network.root]
    if central is not None and store.fact(_declared_key(central)) is None:
        declared = declared_in(repo, central)
        store.save_fact(_declared_key(central), {"declared": declared.model_dump(mode="json") if declared else None})
    store.save_shard_heads(network.name, run_id, seen)  # last: a shard that fails half-way is not collected
    return mine


def _collected_heads(network: Network, store: Store, run_id: str) -> tuple[dict[str, str | None], list[Problem]]:
    recorded = store.shard_heads(network.name, run_id)
    missing = [name for name in network.tree_order() if name not in recorded]
    if missing:
        raise StoreError(
            f"run {run_id!r}: no shard has recorded {', '.join(missing)}; "
            f"run their shards first (forkflow scan --shard K/N --run-id {run_id})"
        )
    heads = {name: recorded[name].head for name in network.tree_order()}
    problems = [
        Problem(node=name, field=recorded[name].field or "ref", message=recorded[name].problem or "not resolved")
        for name in network.tree_order()
        if recorded[name].head is None
    ]
    return heads, problems


def _resolve_heads(
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


def _compare_all(
    network: Network,
    repo: GitRepo,
    store: Store | None,
    facts: CommitFacts,
    heads: dict[str, str | None],
    progress: Progress | None,
    *,
    only: set[str] | None = None,
    collect: bool = False,
) -> dict[str, dict[str, Any]]:
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
    cached = store.pairs(keys.values(), PAIR_VERSION) if store is not None else {}
    if collect and store is not None:  # what a shard saw with objects missing, as it saw it
        cached |= store.pairs([key for key in keys.values() if key not in cached], SEEN_INCOMPLETE)
    todo = {key: name for name, key in keys.items() if key not in cached}
    if collect and todo:
        missing = ", ".join(sorted(todo.values()))
        raise StoreError(f"no shard has compared these nodes with their parents yet: {missing}; run their shards first")
    fresh = _compare_pairs(repo, facts, todo, progress) if todo else {}
    results = {name: cached[key] if key in cached else fresh[key] for name, key in keys.items()}
    facts.flush()
    if store is not None:
        # Only complete answers are cached: objects that are missing now may be fetched later.
        # A shard keeps the others too, apart, for the machine that collects this run.
        complete = {key: result for key, result in fresh.items() if not result["unreadable"] and not result["problems"]}
        store.save_pairs(complete, PAIR_VERSION)
        if only is not None:
            incomplete = {key: result for key, result in fresh.items() if key not in complete}
            store.save_pairs(incomplete, SEEN_INCOMPLETE, replace=True)
        faultpoints.reached("scan.pairs-saved")
    return results


def _compare_pairs(
    repo: GitRepo, facts: CommitFacts, todo: dict[tuple[str, str], str], progress: Progress | None
) -> dict[tuple[str, str], dict[str, Any]]:
    """Compare every pair of heads not in the store: one graph, one index per parent head."""
    if progress is not None:
        progress("loading the history", 0, len(todo))
    try:
        graph = CommitGraph(*repo.load_graph(sorted({head for key in todo for head in key})))
    except UnreadableError as err:
        return {key: _unreadable_pair(str(err)) for key in todo}
    spans = {key: graph.compare(*key) for key in todo}  # tree order: a parent node is compared before its children
    sides = parent_sides(graph, spans)

    def reading(done: int, total: int) -> None:
        if progress is not None:
            progress("reading commits", done, total)

    prefetch_facts(graph, facts, spans, sides, reading)
    index = build_index(graph, facts, sides)
    facts.prefetch(candidates(graph, facts, spans, sides, index), on_progress=reading)
    if progress is not None:
        progress("predicting conflicts", 0, len(spans))
    merges = planned_merges(spans)
    predicted = dict(zip(merges, predict_conflicts(repo, list(merges.values()), workers=facts.workers), strict=True))
    fresh = {}
    for done, (key, span) in enumerate(spans.items()):
        if progress is not None:
            progress(f"comparing {todo[key]}", done, len(spans))
        try:
            fresh[key] = compare_heads(
                repo,
                facts,
                span,
                key[0],
                key[1],
                sides.get(key, graph.nothing()),
                index,
                predicted.get(key),
                graph.merged_upstream(*key),
            )
        except UnreadableError as err:
            fresh[key] = _unreadable_pair(str(err))
    return fresh


def _unreadable_pair(message: str) -> dict[str, Any]:
    return {
        "ahead": 0,
        "behind": 0,
        "merge_base": None,
        "carried": [],
        "upstreamed": [],
        "unreadable": [],
        "conflicts": [],
        "problems": [f"history cannot be read: {message}"],
        "merged": [],
        "met_by": {},
        "similar": {},
    }


def _node_report(
    network: Network,
    facts: CommitFacts,
    name: str,
    heads: dict[str, str | None],
    pairs: dict[str, dict[str, Any]],
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
    merge_base = pair["merge_base"]
    if merge_base is not None:
        when = datetime.fromtimestamp(facts.info(merge_base).commit_time, UTC)
        base["merge_base_date"] = when.isoformat(timespec="seconds")
        base["days_since_merge_base"] = max(0, (now - when).days)
    needed = upstream_threshold(threshold)
    similar = {cid: found for cid, found in pair.get("similar", {}).items() if found[1] >= needed}
    met_by = {**pair.get("met_by", {}), **{cid: found[0] for cid, found in similar.items()}}
    keys = ("merge_base", "ahead", "behind", "carried", "upstreamed", "unreadable", "conflicts", "problems", "merged")
    return NodeReport(
        **base,
        **{k: pair.get(k, []) for k in keys},
        similar_met=[cid for cid in pair["carried"] if cid in similar],
        met_by=dict(sorted(met_by.items())),
    )
