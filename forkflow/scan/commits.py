"""The commits a scan report describes: who wrote them, when, what they touch, and whether they are needs."""

from __future__ import annotations

from datetime import UTC, datetime

from forkflow.gitrepo.bulk import Fingerprints
from forkflow.model import CommitReport, Diffstat, NodeReport
from forkflow.needs.figure import meant_to_stay_local, parse_trailers
from forkflow.policy.rules import Policy
from forkflow.scan.facts import CommitFacts


def commit_reports(
    facts: CommitFacts, nodes: list[NodeReport], policy: Policy
) -> tuple[dict[str, CommitReport], dict[str, tuple[int, ...]]]:
    """Every commit the nodes carry, upstreamed, merged or unreadable, and the parent commits that met them.

    Fills in each node's diffstat and its local commits (``nodes`` is updated in place).
    """
    wanted = {cid for node in nodes for cid in (*node.carried, *node.upstreamed, *node.merged)}
    wanted |= {parent for node in nodes for parent in node.met_by.values()}
    # An unreadable commit several nodes carry is a shared change, which names its author and date.
    unread = {cid for node in nodes for cid in node.unreadable} - wanted
    carried = frozenset(cid for node in nodes for cid in node.carried)  # what shared changes compare
    facts.load(sorted(wanted | unread))
    # The parent commits that met a need, mostly: in one pass.
    facts.prefetch(sorted(wanted), fingerprints=Fingerprints(always=carried))
    commits = {}
    fingerprints = {}
    for commit_id in sorted(wanted | unread):
        readable = commit_id not in unread
        report, tokens = commit_report(facts, commit_id, policy, readable=readable, fingerprint=commit_id in carried)
        commits[commit_id] = report
        if tokens:
            fingerprints[commit_id] = tokens
    for index, original in enumerate(nodes):
        local = [cid for cid in original.carried if commits[cid].local]
        node = nodes[index] = original.model_copy(update={"local": local}) if local else original
        if node.carried:
            touched = {p for cid in node.carried for p in commits[cid].paths}
            stat = Diffstat(
                files=len(touched),
                insertions=sum(commits[cid].insertions for cid in node.carried),
                deletions=sum(commits[cid].deletions for cid in node.carried),
            )
            nodes[index] = node.model_copy(update={"diffstat": stat})
    return commits, fingerprints


def commit_report(
    facts: CommitFacts, commit_id: str, policy: Policy | None = None, *, readable: bool = True, fingerprint: bool = True
) -> tuple[CommitReport, tuple[int, ...]]:
    """What the report says about one commit, and its fingerprint (empty when unreadable, or
    not asked for and not known).

    ``readable=False``: the scan found its diff unreadable, so only its commit object is read
    (the machine that collects shards has no record of a diff it never had).
    """
    info = facts.info(commit_id)
    row = (facts.full(commit_id) if fingerprint else facts.patch(commit_id)) if readable else None
    report = CommitReport(
        summary=info.summary,
        author=info.author_name,
        email=info.author_email,
        date=datetime.fromtimestamp(info.author_time, UTC).isoformat(timespec="seconds"),
        patch_id=row.patch_id if row else None,
        insertions=row.insertions if row else 0,
        deletions=row.deletions if row else 0,
        paths=list(row.paths) if row else [],
        committed=datetime.fromtimestamp(info.commit_time, UTC).isoformat(timespec="seconds"),
        trailers=parse_trailers(info.message),
    )
    if policy is not None and meant_to_stay_local(report, policy):
        report = report.model_copy(update={"local": True})
    return report, (row.features or ()) if row else ()
