"""``forkflow contribute``: a developer proposes one node's own change upstream, before others carry it.

The same machinery as bubble-up: the commits are applied in memory on the target's head, the
policy is checked, and other nodes that already carry the same or a similar change are found
and credited, so the proposal is a shared change from the start.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from forkflow.changes.shared import commit_unit, digest, shared_change
from forkflow.changes.similar import Unit, find_similar
from forkflow.errors import GitError, NodeError, PlanError
from forkflow.forge import Proposal, ProposalState
from forkflow.gitrepo import GitRepo, Person, is_ancestor
from forkflow.model import ScanReport, SharedChange, Variant
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy
from forkflow.propose.bubble_up import Action, Step, build_change, draft_proposal
from forkflow.scan.commits import commit_report
from forkflow.scan.facts import CommitFacts
from forkflow.store.store import Store


def resolve_contribution(
    repo: GitRepo, network: Network, report: ScanReport, revs: Sequence[str], node: str | None, to: str | None
) -> tuple[str, str, list[str]]:
    """(node, target, commits oldest first) from what the user typed."""
    head = repo.revparse("HEAD") if not revs else None
    node = node or _guess_node(repo, report, revs[0] if revs else "HEAD")
    if node not in {spec.name for spec in network.manifest.nodes}:
        raise NodeError(f"no node is named {node!r} in {network.manifest.path}; pass --node NAME")
    target = _target(network, node, to)
    target_head = report.node(target).head
    if target_head is None:
        raise GitError(f"the target {target!r} was not scanned; run `forkflow fetch`")
    if len(revs) == 1 or head is not None:
        tip = repo.revparse(revs[0]) if revs else head
        assert tip is not None
        node_head = report.node(node).head
        topic = node_head is not None and tip != node_head and is_ancestor(repo, node_head, tip)
        # A topic branch on the node: its own commits; the node's head itself: all it carries.
        commits = [str(c) for c in repo.own_commits(tip, node_head if topic and node_head else target_head)]
    else:
        commits = [str(repo.revparse(rev)) for rev in revs]
    if not commits:
        raise PlanError(f"nothing to contribute: {target} already has every commit of {revs or ['HEAD']}")
    return node, target, commits


def _target(network: Network, node: str, to: str | None) -> str:
    if to is None:
        parent = network.parent(node)
        if parent is None:
            raise NodeError(f"{node!r} is the root of the network; there is nowhere upstream to contribute to")
        return parent
    target = network.root if to == "central" else to
    if target not in {spec.name for spec in network.manifest.nodes}:
        raise NodeError(f"--to {to!r}: no node has that name")
    ancestors = set()
    current = network.parent(node)
    while current is not None:
        ancestors.add(current)
        current = network.parent(current)
    if target not in ancestors:
        raise NodeError(f"--to {to!r}: {target!r} is not upstream of {node!r}")
    return target


def _guess_node(repo: GitRepo, report: ScanReport, rev: str) -> str:
    """The node whose head is the named commit, or contains it (the nearest one)."""
    tip = repo.revparse(rev)
    distance = {}
    for node in report.nodes:
        if node.head == tip:
            return node.name
        if node.head is not None and node.parent is not None and is_ancestor(repo, node.head, tip):
            distance[node.name] = len(repo.own_commits(tip, node.head))
    if distance:
        return min(distance, key=lambda name: (distance[name], name))
    raise NodeError(f"{rev} is not the head of any node; say which node it belongs to with --node NAME")


def plan_contribution(
    report: ScanReport,
    network: Network,
    repo: GitRepo,
    store: Store,
    policy: Policy,
    existing: Sequence[Proposal],
    *,
    node: str,
    target: str,
    commits: list[str],
    committer: Person,
    now: datetime,
) -> tuple[Action, SharedChange]:
    """The proposal for ``commits`` of ``node`` to ``target``, crediting nodes that carry it too."""
    facts = CommitFacts(repo, store)
    facts.load([*commits, *(cid for other in report.nodes for cid in other.carried)])
    infos = dict(report.commits)
    for cid in commits:
        infos[cid], _ = commit_report(facts, cid, policy)
    full = report.model_copy(update={"commits": infos})
    variants = [Variant(nodes=[node], commits=commits), *_carried_elsewhere(full, facts, policy, node, commits)]
    facts.flush()
    patch_ids = [p for cid in commits if (p := infos[cid].patch_id) is not None]
    change_id = f"contrib-{digest(patch_ids or commits)}"
    every = [cid for variant in variants for cid in variant.commits]
    kind = "exact" if len(variants) == 1 else "similar"
    change = shared_change(change_id, kind, network, variants, infos, patch_ids, None, every, tree_order=False)
    change = change.model_copy(update={"target": target})  # where the developer asked, not the common ancestor
    live = [p for p in existing if p.change_id == change_id and p.state == ProposalState.OPEN]
    if live:
        return Action(Step.SKIP, change_id, f"already open as #{live[-1].number}"), change
    head = full.node(target).head
    assert head is not None
    # The contributor's own commits first; the other carriers' variants only if those conflict.
    build = build_change(repo, full, change, head, committer=committer, when=int(now.timestamp()), order=variants)
    if build.already_there:
        return Action(Step.SKIP, change_id, f"{target} already has it"), change
    draft = draft_proposal(full, network, repo, policy, change, build, head, now)
    draft = draft.model_copy(update={"source": "contribute", "labels": ["forkflow:contribution"]})
    return Action(Step.OPEN, change_id, f"{len(commits)} commit(s) of {node}", draft), change


def _carried_elsewhere(
    report: ScanReport, facts: CommitFacts, policy: Policy, node: str, commits: list[str]
) -> list[Variant]:
    """Other nodes' carried commits that are the same change (same patch-ids) or a similar one."""
    mine = {report.commits[c].patch_id for c in commits} - {None}
    variants: list[Variant] = []
    units = [Unit(key="contribution", nodes=frozenset([node]), commits=tuple(commits), tokens=_tokens(facts, commits))]
    for other in report.nodes:
        if other.name == node:
            continue
        same = [cid for cid in other.carried if report.commits[cid].patch_id in mine]
        if same:
            variants.append(Variant(nodes=[other.name], commits=same))
            continue
        for position, cid in enumerate(other.carried):
            tokens = tuple(_tokens(facts, [cid]))
            if tokens:
                units.append(commit_unit(other.name, position, cid, tokens, report.commits[cid].summary))
    for group in find_similar(units, policy.similarity.threshold, messages=policy.similarity.messages):
        if any(unit.key == "contribution" for unit in group.units):
            for unit in group.units:
                if unit.key != "contribution":
                    variants.append(Variant(nodes=sorted(unit.nodes), commits=list(unit.commits)))
    return variants


def _tokens(facts: CommitFacts, commits: Sequence[str]) -> frozenset[int]:
    out: set[int] = set()
    for cid in commits:
        row = facts.full(cid)
        if row is not None and row.features:
            out.update(row.features)
    return frozenset(out)
