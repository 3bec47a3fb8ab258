"""What needs attention in a network.

A node **needs attention** when the report would mark it ⚠ (:func:`node_flags`: scan problems,
not scanned, a central-tier node with local commits, an update that would conflict, unreadable
commits), when it changes protected paths, when it has drifted past the policy's divergence
limits (``max_behind``, ``max_age_days``, with the manifest's overrides for the node), or when it
lacks a security fix past its tier's deadline.  The Markdown report lists these nodes first and
draws them in the graph whatever its size; the HTML report sorts them first.
"""

from __future__ import annotations

from forkflow.model import ScanReport
from forkflow.network.tree import Network
from forkflow.policy.check import check_policy
from forkflow.policy.rules import Policy
from forkflow.report.render import node_flags
from forkflow.security.coverage import SecurityReport


def attention(
    report: ScanReport, policy: Policy, security: SecurityReport | None, network: Network | None = None
) -> dict[str, list[str]]:
    """The nodes that need attention, in the report's order, each with its reasons in words
    (drift is judged only with the ``network``, which holds each node's overrides)."""
    drift: dict[str, list[str]] = {}
    for violation in check_policy(report, network, policy) if network is not None else []:
        if violation.rule.startswith("divergence."):
            drift.setdefault(violation.node, []).append(violation.message)
    overdue: dict[str, list[tuple[str, int]]] = {}
    for c in security.coverage if security is not None else []:
        if c.overdue:
            overdue.setdefault(c.node, []).append((c.fix, c.days))
    found: dict[str, list[str]] = {}
    for node in report.nodes:
        reasons = node_flags(node)
        if node.parent is not None and node.carried:
            touched = policy.protected(sorted({p for c in node.carried for p in report.commits[c].paths}))
            if touched:
                reasons.append(f"changes {len(touched)} protected path(s)")
        reasons += drift.get(node.name, [])
        if node.name in overdue:
            reasons.append(_overdue(overdue[node.name]))
        if reasons:
            found[node.name] = reasons
    return found


def _overdue(fixes: list[tuple[str, int]]) -> str:
    if len(fixes) == 1:
        return f"lacks security fix {fixes[0][0]} for {fixes[0][1]} day(s), past its deadline"
    return f"lacks {len(fixes)} security fixes past their deadline, the oldest for {max(d for _, d in fixes)} day(s)"
