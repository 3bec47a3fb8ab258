"""Which nodes have each security fix, and how; or why they need none; or for how long they have lacked it.

For every fix and every node (central excepted), one of:

- **covered**, by *ancestry* (every commit of the fix is in the node's history, as
  ``git merge-base --is-ancestor`` says), by an *equal patch* (a commit of the node's own with
  the fix commit's ``git patch-id --stable``), or by a *similar* change (a commit of the node's own
  touching the same paths whose fingerprint meets the fix commit's, as the scan finds similar
  parent commits);
- **not affected**, decided conservatively: every file the fix *modifies* is absent from the node
  (a file it only adds proves nothing), or the register names the commits that ``introduced``
  the hole and the node has none of them (by any route: ancestry, equal patch, similar change).  Lines are never
  enough: on a real network a node on an older release lacked the lines a dependency bump
  removes, and was as vulnerable as the rest;
- **missing**, with the days since the fix was published and the deadline the policy sets for
  the node's tier.

A fix of several commits is covered when each of its commits is; its route is the weakest one any
commit needed (similar, then patch, then ancestry).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from forkflow.changes.similar import most_similar, upstream_threshold
from forkflow.gitrepo import GitRepo, is_ancestor, read_blob_at
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy
from forkflow.scan.facts import CommitFacts
from forkflow.scan.nodes import resolve_heads
from forkflow.security.fixes import Fix
from forkflow.store.store import Store

Status = Literal["covered", "not-affected", "missing"]
_WEAKNESS = ("ancestry", "patch", "similar")


class Coverage(BaseModel):
    """One fix in one node."""

    model_config = ConfigDict(frozen=True)

    fix: str
    node: str
    tier: str
    status: Status
    how: str = Field(description="ancestry, patch, similar; files absent, never had the hole; or what is missing")
    missing: list[str] = Field(default_factory=list, description="the fix's commits the node lacks")
    days: int = Field(description="days since the fix was published")
    deadline: datetime | None = Field(None, description="by when the policy wants the node to have it (None: no limit)")
    overdue: bool = False


class SecurityReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    fixes: list[Fix]
    coverage: list[Coverage]
    covered: int = Field(description="fix x node pairs covered or not affected")
    total: int
    longest_exposure: int = Field(description="days the longest-missing fix has been missing in some node (0: none)")

    @property
    def percent(self) -> float:
        return round(100.0 * self.covered / self.total, 1) if self.total else 100.0


def security_report(
    repo: GitRepo,
    network: Network,
    policy: Policy,
    central: str,
    heads: dict[str, str | None],
    fixes: list[Fix],
    now: datetime,
    store: Store | None = None,
) -> SecurityReport:
    """Every fix against every node that has a head (a node not fetched yet is left out).

    The commits' facts are the scan's (:class:`CommitFacts`): read from the store, computed once
    for every node (a fix commit is compared with each node's own commits), and kept there.
    """
    facts = CommitFacts(repo, store)
    needed = upstream_threshold(policy.similarity.threshold)
    found = []
    for name in network.tree_order():
        head = heads.get(name)
        if name == network.root or head is None:
            continue
        node = _Node(repo, facts, head, repo.own_commits(head, hide=central), needed)
        tier = network.spec(name).tier
        for fix in fixes:
            found.append(_coverage(node, fix, name, tier, policy, now))
    facts.flush()
    covered = sum(1 for c in found if c.status != "missing")
    exposure = max((c.days for c in found if c.status == "missing"), default=0)
    return SecurityReport(fixes=fixes, coverage=found, covered=covered, total=len(found), longest_exposure=exposure)


def _coverage(node: _Node, fix: Fix, name: str, tier: str, policy: Policy, now: datetime) -> Coverage:
    days = max(0, (now - fix.published).days)
    routes = {commit: node.route(commit) for commit in fix.commits}
    lacking = [commit for commit, route in routes.items() if route is None]
    if not lacking:
        how = max((r for r in routes.values() if r), key=_WEAKNESS.index)
        return Coverage(fix=fix.id, node=name, tier=tier, status="covered", how=how, days=days)
    if fix.introduced and all(node.route(commit) is None for commit in fix.introduced):
        return Coverage(fix=fix.id, node=name, tier=tier, status="not-affected", how="never had the hole", days=days)
    if all(node.files_absent(commit) for commit in lacking):
        return Coverage(fix=fix.id, node=name, tier=tier, status="not-affected", how="files absent", days=days)
    limit = policy.security.max_days.of(tier)
    deadline = fix.published + timedelta(days=limit) if limit else None
    return Coverage(
        fix=fix.id,
        node=name,
        tier=tier,
        status="missing",
        how=f"{len(lacking)} of {len(fix.commits)} commit(s) missing",
        missing=lacking,
        days=days,
        deadline=deadline,
        overdue=deadline is not None and now > deadline,
    )


class _Node:
    """One node's head and its own commits (those central lacks, non-merge, as git cherry takes them)."""

    def __init__(self, repo: GitRepo, facts: CommitFacts, head: str, own: Sequence[str], needed: float):
        self.repo = repo
        self.facts = facts
        self.head = head
        self.own = own
        self.needed = needed

    def route(self, commit: str) -> str | None:
        """How the node has this commit of the fix: ancestry, patch or similar; None when it lacks it.

        Only the node's commits touching the same paths can have its patch-id (git cherry's own
        trick) or be the similar change the scan would find.
        """
        if is_ancestor(self.repo, commit, self.head):
            return "ancestry"
        paths = self.facts.paths(commit)
        mine = self.facts.full(commit) if paths is not None else None
        if mine is None:
            return None
        theirs = [(c, row) for c in self.own if self.facts.paths(c) == paths and (row := self.facts.full(c))]
        if mine.patch_id is not None and any(row.patch_id == mine.patch_id for _, row in theirs):
            return "patch"
        others = [(c, frozenset(row.features)) for c, row in theirs if row.features]
        if not mine.features or not others:
            return None
        _, score = most_similar(commit, frozenset(mine.features), others)
        return "similar" if score >= self.needed else None

    def files_absent(self, commit: str) -> bool:
        """Whether every file this commit of the fix modifies (not adds) is absent from the node."""
        parent = self.facts.info(commit).parents[0]
        modified = [p for p in self.facts.paths(commit) or () if read_blob_at(self.repo, parent, p) is not None]
        return bool(modified) and all(read_blob_at(self.repo, self.head, path) is None for path in modified)


def network_security(
    repo: GitRepo,
    network: Network,
    policy: Policy,
    now: datetime,
    *,
    store: Store | None = None,
    heads: dict[str, str | None] | None = None,
) -> SecurityReport | None:
    """Every fix at central's head against every node (``heads``: as resolved already, else now);
    None when central is not fetched."""
    from forkflow.security.fixes import find_fixes

    if heads is None:
        heads, _ = resolve_heads(network, repo)
    central = heads[network.root]
    if central is None:
        return None
    return security_report(repo, network, policy, central, heads, find_fixes(repo, central), now, store)
