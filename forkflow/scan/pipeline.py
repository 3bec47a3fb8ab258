"""``forkflow scan``: how far every node has drifted from its parent, and what it carries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic_core import from_json

from forkflow import faultpoints
from forkflow.changes.shared import find_shared_changes
from forkflow.codeid import code_id
from forkflow.collector import collector_paused
from forkflow.errors import StoreError
from forkflow.gitrepo import GitRepo
from forkflow.model import (
    CommitReport,
    NodeReport,
    Problem,
    ScanReport,
    SharedChange,
)
from forkflow.needs.figure import measure
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy
from forkflow.scan.cached import (
    CachedReport,
    ScanDocument,
    ScanInputs,
    days_since,
    refreshed,
    report_json,
    restamped,
)
from forkflow.scan.commits import commit_reports
from forkflow.scan.compare import PairResult
from forkflow.scan.declared import declared_in, stored_declared
from forkflow.scan.facts import CommitFacts
from forkflow.scan.nodes import Progress, compare_all, node_report, resolve_heads
from forkflow.scan.shards import DEFAULT_RUN, collected_heads
from forkflow.scan.work import tally
from forkflow.store.store import Store


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
    work = tally()
    if work is not None:
        work.reports_read += 1
    stamp = now.isoformat(timespec="seconds")
    summary = cached.summary.model_copy(update={"scanned_at": stamp})
    then = datetime.fromisoformat(cached.summary.scanned_at)
    if all(days_since(now, date) == days_since(then, date) for date in cached.dates):
        return ScanDocument(text=restamped(cached.text, stamp), summary=summary)
    with collector_paused():
        text = report_json(refreshed(from_json(cached.text), now))
    store.save_report(start.key, CachedReport(text, summary, cached.dates).encode())
    return ScanDocument(text=text, summary=summary)


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
        heads, problems = collected_heads(network, store, run_id)
    else:
        heads, problems = resolve_heads(network, repo)
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
    compared = compare_all(network, repo, store, facts, heads, progress, collect=collect)
    pairs = compared.results()
    threshold = policy.similarity.threshold
    nodes = [node_report(network, facts, name, heads, pairs, now, threshold) for name in network.tree_order()]
    facts.flush()
    # The conflicts are predicted in worker processes while this one describes the commits and
    # groups the shared changes: neither needs the other.
    prediction = compared.predict(beside=True)
    try:
        commits, fingerprints = commit_reports(facts, nodes, policy)
        shared, unsaved = _shared(inputs, nodes, commits, fingerprints, store)
        pairs = compared.finish(prediction)
    finally:
        prediction.close()
    nodes = [_with_conflicts(node, pairs) for node in nodes]
    if unsaved is not None and store is not None and not any(node.unreadable or node.problems for node in nodes):
        store.save_report(unsaved, json.dumps([change.model_dump(mode="json") for change in shared]))
    nodes, figure = measure(nodes, commits, shared)
    central = heads.get(network.root)
    if central is not None:
        declared = stored_declared(store, central) if collect and store is not None else declared_in(repo, central)
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


def _shared(
    inputs: ScanInputs,
    nodes: list[NodeReport],
    commits: dict[str, CommitReport],
    fingerprints: dict[str, tuple[int, ...]],
    store: Store | None,
) -> tuple[list[SharedChange], str | None]:
    """Shared changes, read from the store when every node carries what it carried last time;
    and the key to keep them under when they were computed here (None when read).

    The grouping depends on who carries which commits (the unreadable ones too) and on the
    scan's inputs but its heads (a commit's patch-id and fingerprint are fixed by its id and
    the code); a new upstream commit moves every head but seldom what the nodes carry, so
    this is what makes the scan after it cheap.
    """
    carried = [[node.name, node.parent, node.carried, node.unreadable] for node in nodes]
    key = "shared:" + inputs.key("shared", heads=False, extra=carried)
    cached = store.cached_report(key) if store is not None else None
    work = tally()
    if work is not None:
        work.groups_read += cached is not None
        work.groups_computed += cached is None
    if cached is not None:
        return [SharedChange.model_validate(change) for change in json.loads(cached)], None
    network, similarity = inputs.network, inputs.policy.similarity
    return find_shared_changes(network, nodes, commits, fingerprints, similarity), key


def _with_conflicts(node: NodeReport, pairs: dict[str, PairResult]) -> NodeReport:
    """The node's report with its comparison's predicted conflicts (and the problems predicting met)."""
    pair = pairs.get(node.name)
    if pair is None or (pair.conflicts == node.conflicts and pair.problems == node.problems):
        return node
    return node.model_copy(update={"conflicts": pair.conflicts, "problems": pair.problems})
