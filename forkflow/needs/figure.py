"""The unmet-needs figure: the share of what the nodes need that their parents do not ship yet.

The definition, word for word as in the README:

- every carried change of a node is an unmet need of that node; a shared change counts once per
  node that carries it (its commits in that node are one need);
- a need is met when the parent ships an equivalent change: the node's commit is reachable from
  the parent (merged), or the parent has a commit with the same patch-id (upstreamed), or a
  similar change as the shared-change detection finds it (similar);
- changes meant to stay local (every path matched by the policy's ``local_paths``, or a
  ``Forkflow-Local: yes`` trailer) are shown but are not needs;
- unmet-needs % = unmet weight / the weight of every need observed (unmet + met), for the
  network, per node and per tier; a need weighs 1, or its changed lines with ``--weight lines``.

Declared needs (``needs.toml`` in central, ``Need: <id>`` trailers) are a second figure beside it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from forkflow.model import (
    CommitReport,
    DeclaredNeed,
    DeclaredNeeds,
    NodeNeeds,
    NodeReport,
    ScanReport,
    ScanSummary,
    SharedChange,
    TierNeeds,
    UnmetNeeds,
)
from forkflow.policy.rules import Policy
from forkflow.registers import read_register

NEEDS_FILE = "needs.toml"
LOCAL_TRAILER = "Forkflow-Local"
NEED_TRAILER = "Need"
_TRAILER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*):\s*(.*)$")


class Weight(StrEnum):
    CHANGES = "changes"
    LINES = "lines"


def parse_trailers(message: str) -> dict[str, list[str]]:
    """The trailers of a commit message (its last paragraph, when every line is ``Key: value``)."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return {}
    found: dict[str, list[str]] = defaultdict(list)
    for line in paragraphs[-1].splitlines():
        match = _TRAILER.match(line.strip())
        if match is None:
            return {}
        found[match.group(1)].append(match.group(2).strip())
    return dict(found)


def meant_to_stay_local(commit: CommitReport, policy: Policy) -> bool:
    """Meant to stay local: a ``Forkflow-Local: yes`` trailer, or only paths the policy calls local."""
    if any(value.lower() in ("yes", "true", "1") for value in commit.trailers.get(LOCAL_TRAILER, ())):
        return True
    return bool(commit.paths) and len(policy.local(commit.paths)) == len(commit.paths)


def wholly_local(report: ScanReport, change: SharedChange) -> bool:
    """A shared change every commit of which is meant to stay local: shown, never proposed."""
    return all(report.commits[cid].local for cid in change.commits if cid in report.commits)


def measure(
    nodes: Sequence[NodeReport],
    commits: Mapping[str, CommitReport],
    shared: Sequence[SharedChange],
    weight: Weight = Weight.CHANGES,
) -> tuple[list[NodeReport], UnmetNeeds]:
    """Every node's needs and the network's figure, by tier too."""
    change_of = {cid: change.id for change in shared for cid in change.commits}
    out = []
    tiers: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for node in nodes:
        if node.parent is None:
            out.append(node)
            continue
        local, met_similar = set(node.local), set(node.similar_met)
        needs: dict[str, int] = defaultdict(int)  # one need per shared change, else per commit
        for cid in node.carried:
            if cid not in local and cid not in met_similar:
                needs[change_of.get(cid, cid)] += _weight(commits.get(cid), weight)
        unmet = sum(needs.values()) if weight == Weight.LINES else len(needs)
        met_commits = [*node.upstreamed, *node.merged, *node.similar_met]
        met = sum(_weight(commits.get(cid), weight) for cid in met_commits)
        figures = NodeNeeds(unmet=unmet, met=met, local=len(local), percent=_percent(unmet, met))
        out.append(node.model_copy(update={"needs": figures}))
        tiers[node.tier.value][0] += unmet
        tiers[node.tier.value][1] += met
    unmet = sum(u for u, _ in tiers.values())
    met = sum(m for _, m in tiers.values())
    figure = UnmetNeeds(
        percent=_percent(unmet, met),
        unmet=unmet,
        met=met,
        local=sum(node.needs.local for node in out),
        weight=weight.value,
        by_tier={tier: TierNeeds(percent=_percent(u, m), unmet=u, met=m) for tier, (u, m) in sorted(tiers.items())},
    )
    return out, figure


def reweigh(report: ScanReport, weight: Weight) -> ScanReport:
    """The report with its figures measured by ``weight`` (the scan measures by changes)."""
    if weight == Weight(report.unmet_needs.weight):
        return report
    nodes, figure = measure(report.nodes, report.commits, report.shared, weight)
    figure = figure.model_copy(update={"declared": report.unmet_needs.declared})
    return report.model_copy(update={"nodes": nodes, "unmet_needs": figure})


def figures(report: ScanReport) -> dict[str, float]:
    """The unmet-needs percentage by every weight (what the history keeps of a scan)."""
    return {weight.value: reweigh(report, weight).unmet_needs.percent for weight in Weight}


def scan_summary(report: ScanReport) -> ScanSummary:
    """What the history keeps of this report."""
    return ScanSummary.of(report, figures(report))


def _weight(commit: CommitReport | None, weight: Weight) -> int:
    if weight == Weight.CHANGES:
        return 1
    return commit.insertions + commit.deletions if commit is not None else 0


def _percent(unmet: int, met: int) -> float:
    return round(100.0 * unmet / (unmet + met), 1) if unmet + met else 0.0


class _Need(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    nodes: list[str] = Field(default_factory=list)


class _Register(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    need: list[_Need] = Field(default_factory=list)


def parse_register(text: str, shown: str) -> list[_Need]:
    """``needs.toml``: ``[[need]]`` tables with ``id``, ``title`` and the ``nodes`` that asked."""
    return read_register(text, shown, _Register).need


def declared_needs(register: Sequence[_Need], shipped: Mapping[str, list[str]]) -> DeclaredNeeds:
    """The register against the ``Need:`` trailers central has (need id -> commits)."""
    needs = [
        DeclaredNeed(id=n.id, title=n.title, nodes=n.nodes, met=bool(shipped.get(n.id)), commits=shipped.get(n.id, []))
        for n in register
    ]
    met = sum(need.met for need in needs)
    return DeclaredNeeds(percent=_percent(len(needs) - met, met), unmet=len(needs) - met, met=met, needs=needs)
