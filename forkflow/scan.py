"""``forkflow scan``: how far every node has drifted from its parent, and what it carries."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from forkflow.compare import (
    PAIR_VERSION,
    build_indexes,
    candidates,
    compare_heads,
    parent_sides,
    planned_merges,
    prefetch_facts,
)
from forkflow.errors import GitError, UnreadableError
from forkflow.facts import CommitFacts
from forkflow.gitrepo import GitRepo
from forkflow.graph import CommitGraph
from forkflow.model import (
    REPORT_VERSION,
    CommitReport,
    Diffstat,
    NodeReport,
    Problem,
    ScanReport,
    SharedChange,
    UnmetNeeds,
)
from forkflow.network import Network
from forkflow.parallel import predict_conflicts
from forkflow.policy import Policy
from forkflow.shared import SHARED_VERSION, find_shared_changes
from forkflow.store import Store

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
) -> ScanReport:
    """Compare every node with its parent, tree order, reusing every cached comparison.

    A node whose ref is missing is reported as a problem and skipped, with its subtree;
    the rest of the network is scanned.
    """
    now = now or datetime.now(UTC)
    policy = policy or Policy()
    heads, problems = _resolve_heads(network, repo)
    key = _report_key(network, heads, repo, policy)
    if store is not None and not problems:
        cached = store.cached_report(key)
        if cached is not None:
            return _refreshed(ScanReport.model_validate_json(cached), now)
    report = _scan(network, repo, store, heads, problems, now, progress, policy)
    complete = not problems and not any(node.unreadable or node.problems for node in report.nodes)
    if store is not None and complete:
        store.save_report(key, report.model_dump_json())
    return report


def _report_key(network: Network, heads: dict[str, str | None], repo: GitRepo, policy: Policy) -> str:
    """What a whole report depends on: the nodes as the manifest gives them, their heads, the similarity rules."""
    nodes = [[name, network.spec(name).model_dump_json(), heads[name]] for name in network.tree_order()]
    rules = [SHARED_VERSION, policy.similarity.model_dump()]
    material = json.dumps([REPORT_VERSION, PAIR_VERSION, network.name, repo.abbrev_length(), nodes, rules])
    return hashlib.sha256(material.encode()).hexdigest()


def _refreshed(report: ScanReport, now: datetime) -> ScanReport:
    """A cached report as of ``now``: only the scan time and the ages change."""
    nodes = []
    for node in report.nodes:
        fresh = node
        if node.merge_base_date is not None:
            age = max(0, (now - datetime.fromisoformat(node.merge_base_date)).days)
            fresh = node.model_copy(update={"days_since_merge_base": age})
        nodes.append(fresh)
    return report.model_copy(update={"nodes": nodes, "scanned_at": now.isoformat(timespec="seconds")})


def _scan(
    network: Network,
    repo: GitRepo,
    store: Store | None,
    heads: dict[str, str | None],
    problems: list[Problem],
    now: datetime,
    progress: Progress | None,
    policy: Policy,
) -> ScanReport:
    facts = CommitFacts(repo, store)
    pairs = _compare_all(network, repo, store, facts, heads, progress)
    nodes = [_node_report(network, repo, name, heads, pairs, now) for name in network.tree_order()]
    facts.flush()
    commits, fingerprints = _commit_reports(repo, facts, nodes)
    return ScanReport(
        network=network.name,
        scanned_at=now.isoformat(timespec="seconds"),
        nodes=nodes,
        commits=commits,
        shared=_shared(network, nodes, commits, fingerprints, policy, store),
        unmet_needs=_unmet_needs(nodes),
        problems=problems,
    )


def _shared(
    network: Network,
    nodes: list[NodeReport],
    commits: dict[str, CommitReport],
    fingerprints: dict[str, tuple[int, ...]],
    policy: Policy,
    store: Store | None,
) -> list[SharedChange]:
    """Shared changes, read from the store when every node carries what it carried last time.

    The grouping depends only on who carries which commits (and the rules); a new upstream
    commit moves every head but seldom what the nodes carry, so this is what makes the scan
    after it cheap.
    """
    carried = [[node.name, node.parent, node.carried] for node in nodes]
    material = json.dumps([SHARED_VERSION, policy.similarity.model_dump(), carried])
    key = "shared:" + hashlib.sha256(material.encode()).hexdigest()
    cached = store.cached_report(key) if store is not None else None
    if cached is not None:
        return [SharedChange.model_validate(change) for change in json.loads(cached)]
    shared = find_shared_changes(network, nodes, commits, fingerprints, policy.similarity)
    if store is not None and not any(node.unreadable or node.problems for node in nodes):
        store.save_report(key, json.dumps([change.model_dump(mode="json") for change in shared]))
    return shared


def _resolve_heads(network: Network, repo: GitRepo) -> tuple[dict[str, str | None], list[Problem]]:
    heads: dict[str, str | None] = {}
    problems = []
    for name in network.tree_order():
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
) -> dict[str, dict[str, Any]]:
    keys = {}
    for name in network.tree_order():
        parent = network.parent(name)
        head = heads[name]
        if parent is not None and head is not None and heads[parent] is not None:
            keys[name] = (str(heads[parent]), head)
    cached = store.pairs(keys.values(), PAIR_VERSION) if store is not None else {}
    todo = {key: name for name, key in keys.items() if key not in cached}
    fresh = _compare_pairs(repo, facts, todo, progress) if todo else {}
    results = {name: cached[key] if key in cached else fresh[key] for name, key in keys.items()}
    facts.flush()
    if store is not None:
        # Only complete answers are kept: objects that are missing now may be fetched later.
        complete = {key: result for key, result in fresh.items() if not result["unreadable"] and not result["problems"]}
        store.save_pairs(complete, PAIR_VERSION)
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
    spans = {key: graph.compare(*key) for key in sorted(todo)}
    sides = parent_sides(graph, spans)

    def reading(done: int, total: int) -> None:
        if progress is not None:
            progress("reading commits", done, total)

    prefetch_facts(graph, facts, spans, sides, reading)
    indexes = build_indexes(graph, facts, sides)
    facts.prefetch(candidates(graph, facts, spans, indexes), on_progress=reading)
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
                repo, facts, span, key[0], key[1], sides.get(key, frozenset()), indexes.get(key[0]), predicted.get(key)
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
    }


def _node_report(
    network: Network,
    repo: GitRepo,
    name: str,
    heads: dict[str, str | None],
    pairs: dict[str, dict[str, Any]],
    now: datetime,
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
        when = datetime.fromtimestamp(repo.commit_time(merge_base), UTC)
        base["merge_base_date"] = when.isoformat(timespec="seconds")
        base["days_since_merge_base"] = max(0, (now - when).days)
    return NodeReport(
        **base,
        **{
            k: pair[k]
            for k in ("merge_base", "ahead", "behind", "carried", "upstreamed", "unreadable", "conflicts", "problems")
        },
    )


def _commit_reports(
    repo: GitRepo, facts: CommitFacts, nodes: list[NodeReport]
) -> tuple[dict[str, CommitReport], dict[str, tuple[int, ...]]]:
    wanted = sorted({cid for node in nodes for cid in (*node.carried, *node.upstreamed)})
    facts.load(wanted)
    commits = {}
    fingerprints = {}
    for commit_id in wanted:
        commits[commit_id], tokens = commit_report(repo, facts, commit_id)
        if tokens:
            fingerprints[commit_id] = tokens
    for index, node in enumerate(nodes):
        if node.carried:
            touched = {p for cid in node.carried for p in commits[cid].paths}
            stat = Diffstat(
                files=len(touched),
                insertions=sum(commits[cid].insertions for cid in node.carried),
                deletions=sum(commits[cid].deletions for cid in node.carried),
            )
            nodes[index] = node.model_copy(update={"diffstat": stat})
    return commits, fingerprints


def commit_report(repo: GitRepo, facts: CommitFacts, commit_id: str) -> tuple[CommitReport, tuple[int, ...]]:
    """What the report says about one commit, and its fingerprint (empty when unreadable)."""
    info = repo.commit_info(commit_id)
    row = facts.full(commit_id)
    report = CommitReport(
        summary=info.summary,
        author=info.author_name,
        email=info.author_email,
        date=datetime.fromtimestamp(info.author_time, UTC).isoformat(timespec="seconds"),
        patch_id=row.patch_id if row else None,
        insertions=row.insertions if row else 0,
        deletions=row.deletions if row else 0,
        paths=list(row.paths) if row else [],
    )
    return report, (row.features or ()) if row else ()


def _unmet_needs(nodes: list[NodeReport]) -> UnmetNeeds:
    """Carried commits are unmet needs; upstreamed ones are needs the parent has met."""
    unmet = sum(len(node.carried) for node in nodes)
    met = sum(len(node.upstreamed) for node in nodes)
    total = unmet + met
    percent = round(100.0 * unmet / total, 1) if total else 0.0
    return UnmetNeeds(percent=percent, unmet=unmet, met=met)
