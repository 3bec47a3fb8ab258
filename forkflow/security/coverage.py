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

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from forkflow.changes.similar import Unit, Weights, jaccard, upstream_threshold
from forkflow.errors import GitError
from forkflow.gitrepo import GitRepo, PatchFacts, is_ancestor, read_blob_at
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy
from forkflow.security.fixes import Fix

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
) -> SecurityReport:
    """Every fix against every node that has a head (a node not fetched yet is left out)."""
    found = []
    for name in network.tree_order():
        head = heads.get(name)
        if name == network.root or head is None:
            continue
        node = _Node(repo, head, central, policy.similarity.threshold)
        tier = network.spec(name).tier
        for fix in fixes:
            found.append(_coverage(node, fix, name, tier, policy, now))
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
    """One node's head and its own commits (those central lacks), their facts read once."""

    def __init__(self, repo: GitRepo, head: str, central: str, threshold: float):
        self.repo = repo
        self.head = head
        self.needed = upstream_threshold(threshold)
        self._own = repo.own_commits(head, hide=central)  # non-merge commits, as git cherry takes them
        self._facts: dict[str, PatchFacts] = {}

    def facts(self, commit: str) -> PatchFacts:
        if commit not in self._facts:
            self._facts[commit] = self.repo.patch_facts(commit)
        return self._facts[commit]

    def route(self, commit: str) -> str | None:
        """How the node has this commit of the fix: ancestry, patch or similar; None when it lacks it."""
        if is_ancestor(self.repo, commit, self.head):
            return "ancestry"
        mine = self.facts(commit)
        if mine.patch_id is not None and any(self.facts(c).patch_id == mine.patch_id for c in self._own):
            return "patch"
        same_paths = [c for c in self._own if self.facts(c).paths == mine.paths and self.facts(c).fingerprint]
        if not mine.fingerprint or not same_paths:
            return None
        tokens = frozenset(mine.fingerprint)
        others = [(c, frozenset(self.facts(c).fingerprint)) for c in same_paths]
        weights = Weights([Unit(c, frozenset(), (c,), t) for c, t in [(commit, tokens), *others]])
        best = max(jaccard(tokens, theirs, weights) for _, theirs in others)
        return "similar" if best >= self.needed else None

    def files_absent(self, commit: str) -> bool:
        """Whether every file this commit of the fix modifies (not adds) is absent from the node."""
        modified = removed_lines(self.repo.diff_text(commit))
        return bool(modified) and all(read_blob_at(self.repo, self.head, path) is None for path in modified)


def removed_lines(diff: bytes) -> dict[str, list[bytes]]:
    """For each file a diff modifies or deletes (git's format), the lines it removes; added files are left out."""
    found: dict[str, list[bytes]] = {}
    path: str | None = None
    in_hunk = False
    for line in diff.splitlines():
        if line.startswith(b"diff --git "):
            path, in_hunk = None, False
        elif not in_hunk and line.startswith(b"--- "):
            name = line[4:].decode("utf-8", "surrogateescape")
            path = name[2:] if name.startswith("a/") else None  # /dev/null: an added file
            if path is not None:
                found.setdefault(path, [])
        elif line.startswith(b"@@"):
            in_hunk = True
        elif in_hunk and path is not None and line.startswith(b"-"):
            found[path].append(line[1:])
    return found


def fix_heads(repo: GitRepo, network: Network) -> dict[str, str | None]:
    """Every active node's head (None: not fetched yet)."""
    heads: dict[str, str | None] = {}
    for name in network:
        try:
            heads[name] = repo.resolve(network.spec(name).head_ref)
        except GitError:
            heads[name] = None
    return heads


def network_security(repo: GitRepo, network: Network, policy: Policy, now: datetime) -> SecurityReport | None:
    """Every fix at central's head against every node; None when central is not fetched."""
    from forkflow.security.fixes import find_fixes

    heads = fix_heads(repo, network)
    central = heads[network.root]
    if central is None:
        return None
    return security_report(repo, network, policy, central, heads, find_fixes(repo, central), now)
