"""``forkflow policy check``: every violation of the policy in the network, with evidence and a fix.

A violation is a finding, not an error: the command lists them and exits with its own code
(``EXIT_FINDING``, forkflow/exitcodes.py).  Each node is judged by the policy as the manifest
overrides it for that node, where the policy allows overrides.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from forkflow.model import NodeReport, ScanReport
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy

if TYPE_CHECKING:
    from forkflow.security.coverage import Coverage


class Violation(BaseModel):
    """One rule one node breaks."""

    model_config = ConfigDict(frozen=True)

    node: str
    rule: str = Field(description="the policy key, dotted (tiers.central.local_changes, protected_paths, ...)")
    message: str
    commits: list[str] = Field(default_factory=list)
    paths: list[str] = Field(default_factory=list)
    fix: str


def node_policy(network: Network, policy: Policy, name: str) -> Policy:
    """The policy for one node, with the manifest's overrides for it applied."""
    spec = network.spec(name)
    return policy.for_node(dict(spec.policy), f"{network.manifest.path}: node {name!r}")


def check_policy(report: ScanReport, network: Network, policy: Policy) -> list[Violation]:
    """Every violation, in tree order, the rules in the order the policy file lists them."""
    found: list[Violation] = []
    for node in report.nodes:
        if node.parent is None or not node.scanned:
            continue
        rules = node_policy(network, policy, node.name)
        found += _local_changes(node, rules)
        found += _protected(node, report, rules)
        found += _divergence(node, rules)
    return found


def _local_changes(node: NodeReport, rules: Policy) -> list[Violation]:
    tier = node.tier.value
    if rules.tiers.of(tier).local_changes or not node.carried:
        return []
    reset = "`forkflow sync --node {0} --force` resets it to its parent (the old head is kept as a backup)"
    return [
        Violation(
            node=node.name,
            rule=f"tiers.{tier}.local_changes",
            message=f"{tier}-tier node carries {len(node.carried)} local commit(s); its tier allows none",
            commits=list(node.carried),
            fix=f"propose them upstream (`forkflow contribute --node {node.name}`), then "
            + (reset.format(node.name) if rules.tiers.of(tier).force_reset else "reset the node to its parent by hand"),
        )
    ]


def _protected(node: NodeReport, report: ScanReport, rules: Policy) -> list[Violation]:
    commits, paths = [], set()
    for cid in node.carried:
        touched = rules.protected(report.commits[cid].paths)
        if touched:
            commits.append(cid)
            paths.update(touched)
    if not commits:
        return []
    return [
        Violation(
            node=node.name,
            rule="protected_paths",
            message=f"{len(commits)} carried commit(s) change paths only central may change",
            commits=commits,
            paths=sorted(paths),
            fix=f"propose the change to central (`forkflow contribute {commits[0][:12]} --node {node.name} --to "
            "central`) and revert it in the node",
        )
    ]


def _divergence(node: NodeReport, rules: Policy) -> list[Violation]:
    limits = rules.divergence
    out = []
    sync = f"`forkflow sync --node {node.name}` (or merge its open sync proposal)"
    if limits.max_behind and node.behind > limits.max_behind:
        out.append(
            Violation(
                node=node.name,
                rule="divergence.max_behind",
                message=f"{node.behind} commits behind its parent; the limit is {limits.max_behind}",
                fix=sync,
            )
        )
    age = node.days_since_merge_base
    # An old merge base only matters while the parent has moved on: then it is how long the node has lagged.
    if limits.max_age_days and node.behind and age is not None and age > limits.max_age_days:
        out.append(
            Violation(
                node=node.name,
                rule="divergence.max_age_days",
                message=f"it has lagged its parent for {age} days (since its merge base); the limit is "
                f"{limits.max_age_days}",
                commits=[node.merge_base] if node.merge_base else [],
                fix=sync,
            )
        )
    return out


def all_violations(
    report: ScanReport, network: Network, policy: Policy, coverage: Iterable[Coverage] | None
) -> list[Violation]:
    """Every violation: the security deadlines missed first (``coverage``: None when central is
    not fetched), then the rules :func:`check_policy` checks."""
    return (security_violations(coverage) if coverage is not None else []) + check_policy(report, network, policy)


def security_violations(coverage: Iterable[Coverage]) -> list[Violation]:
    """A node past its tier's deadline for a published fix (``security.max_days``), first in every list."""
    return [
        Violation(
            node=c.node,
            rule=f"security.max_days.{c.tier}",
            message=f"lacks security fix {c.fix} for {c.days} day(s), past its deadline "
            + (c.deadline.date().isoformat() if c.deadline else ""),
            commits=list(c.missing),
            fix=f"bring the fix in: merge its parent, or cherry-pick {', '.join(x[:12] for x in c.missing)}",
        )
        for c in coverage
        if c.overdue
    ]
