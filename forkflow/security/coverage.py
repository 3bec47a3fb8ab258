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

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_json

from forkflow.changes.similar import most_similar, upstream_threshold
from forkflow.codeid import code_id
from forkflow.errors import UnreadableError
from forkflow.forge import Advisory
from forkflow.gitrepo import GitRepo, is_ancestor, read_blob_at
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy
from forkflow.scan.commit_graph import CommitGraph
from forkflow.scan.facts import CommitFacts
from forkflow.scan.nodes import resolve_heads
from forkflow.security.fixes import Fix
from forkflow.store.store import Store

Status = Literal["covered", "not-affected", "missing"]
SECURITY_VERSION = 1
"""Bumped whenever what the coverage report holds changes, so a cached one of another kind is never read."""
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
    since: datetime | None = Field(
        None,
        description="covered: when the node got the fix, from history (the first-parent commit that brought "
        "it, or the node's own equal or similar commit); the latest, for a fix of several commits",
    )


class SecurityReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    fixes: list[Fix]
    coverage: list[Coverage]
    covered: int = Field(description="fix x node pairs covered or not affected")
    total: int
    longest_exposure: int = Field(description="days the longest-missing fix has been missing in some node (0: none)")
    unlocated: list[str] = Field(
        default_factory=list, description="published advisories that no commit of central's makes (by id in a message)"
    )

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
    if not fixes:  # nothing to look for: no history to load
        return SecurityReport(fixes=[], coverage=[], covered=0, total=0, longest_exposure=0)
    facts = CommitFacts(repo, store)
    needed = upstream_threshold(policy.similarity.threshold)
    ancestry = _Ancestry(repo, facts, [head for head in heads.values() if head is not None])
    found = []
    for name in network.tree_order():
        head = heads.get(name)
        if name == network.root or head is None:
            continue
        node = _Node(ancestry, facts, head, repo.own_commits(head, hide=central), needed)
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
        how = max((r[0] for r in routes.values() if r), key=_WEAKNESS.index)
        since = max(r[1] for r in routes.values() if r)
        return Coverage(fix=fix.id, node=name, tier=tier, status="covered", how=how, days=days, since=since)
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


class _Ancestry:
    """Whether a head has a commit, and since when, for every node at once.

    One graph of the whole network's history (:class:`CommitGraph`, one walk) answers both: a
    head has a commit when it is among the commit's descendants, found once per commit.  Where
    the history cannot be walked whole (objects missing), libgit2 answers each question instead.
    """

    def __init__(self, repo: GitRepo, facts: CommitFacts, heads: list[str]):
        self.repo = repo
        self.facts = facts
        try:
            self.graph: CommitGraph | None = CommitGraph(*repo.load_graph(sorted(set(heads))))
        except UnreadableError:
            self.graph = None

    def has(self, commit: str, head: str) -> bool:
        if self.graph is None or commit not in self.graph.parents or head not in self.graph.parents:
            return is_ancestor(self.repo, commit, head)
        return head in self.graph.descendants(commit)

    def arrival(self, commit: str, head: str) -> str:
        """The oldest commit of ``head``'s first-parent line that has ``commit`` (the merge, the
        fast-forward, or the commit itself): having it holds from there up to the head."""
        if self.graph is None or commit not in self.graph.parents or head not in self.graph.parents:
            return self._arrival_by_walks(commit, head)
        having = self.graph.descendants(commit)
        last = head
        for current in self.graph.first_parents(head):
            if current not in having:
                break
            last = current
        return last

    def _arrival_by_walks(self, commit: str, head: str) -> str:
        """The same with libgit2's walks: the line read back from the head only as far as commits
        made after ``commit``, and searched by halves."""
        moment = self.facts.info(commit).commit_time
        line = [head]
        while self.facts.info(line[-1]).commit_time >= moment and (parents := self.facts.info(line[-1]).parents):
            line.append(str(parents[0]))
        low, high = 0, len(line) - 1  # line[0] is the head, which has it
        while low < high:
            middle = (low + high + 1) // 2
            if is_ancestor(self.repo, commit, line[middle]):
                low = middle
            else:
                high = middle - 1
        return line[low]


class _Node:
    """One node's head and its own commits (those central lacks, non-merge, as git cherry takes them)."""

    def __init__(self, ancestry: _Ancestry, facts: CommitFacts, head: str, own: Sequence[str], needed: float):
        self.ancestry = ancestry
        self.repo = ancestry.repo
        self.facts = facts
        self.head = head
        self.own = own
        self.needed = needed

    def route(self, commit: str) -> tuple[str, datetime] | None:
        """How the node has this commit of the fix (ancestry, patch or similar) and since when; None
        when it lacks it.

        Only the node's commits touching the same paths can have its patch-id (git cherry's own
        trick) or be the similar change the scan would find.
        """
        if self.ancestry.has(commit, self.head):
            return "ancestry", self._committed(self.ancestry.arrival(commit, self.head))
        paths = self.facts.paths(commit)
        mine = self.facts.full(commit) if paths is not None else None
        if mine is None:
            return None
        theirs = [(c, row) for c in self.own if self.facts.paths(c) == paths and (row := self.facts.full(c))]
        equal = [c for c, row in theirs if mine.patch_id is not None and row.patch_id == mine.patch_id]
        if equal:
            return "patch", self._committed(equal[0])
        others = [(c, frozenset(row.features)) for c, row in theirs if row.features]
        if not mine.features or not others:
            return None
        best, score = most_similar(commit, frozenset(mine.features), others)
        return ("similar", self._committed(best)) if score >= self.needed else None

    def _committed(self, commit: str) -> datetime:
        return datetime.fromtimestamp(self.facts.info(commit).commit_time, UTC)

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
    advisories: Sequence[Advisory] = (),
) -> SecurityReport | None:
    """Every fix at central's head, and the forge's published ``advisories``, against every node
    (``heads``: as resolved already, else now); None when central is not fetched.

    The store keeps the answer under a key made of everything it is computed from (the code,
    the manifest, the policy, every head, the advisories), so it cannot be stale; only what
    depends on the day (days, overdue, the longest exposure) is worked out again for ``now``.
    """
    from forkflow.security.fixes import find_fixes

    if heads is None:
        heads, _ = resolve_heads(network, repo)
    central = heads[network.root]
    if central is None:
        return None
    key = _cache_key(network, policy, heads, advisories)
    cached = store.cached_report(key) if store is not None else None
    if cached is not None:
        return as_of(SecurityReport.model_validate_json(cached), now)
    fixes, unlocated = find_fixes(repo, central, advisories)
    found = security_report(repo, network, policy, central, heads, fixes, now, store)
    found = found.model_copy(update={"unlocated": unlocated})
    if store is not None:
        store.save_report(key, found.model_dump_json())
    return found


def as_of(report: SecurityReport, now: datetime) -> SecurityReport:
    """The report with its days, deadlines passed and longest exposure as of ``now``."""
    published = {fix.id: fix.published for fix in report.fixes}
    coverage = []
    for c in report.coverage:
        days = max(0, (now - published[c.fix]).days)
        overdue = c.status == "missing" and c.deadline is not None and now > c.deadline
        coverage.append(c.model_copy(update={"days": days, "overdue": overdue}))
    exposure = max((c.days for c in coverage if c.status == "missing"), default=0)
    return report.model_copy(update={"coverage": coverage, "longest_exposure": exposure})


def _cache_key(network: Network, policy: Policy, heads: dict[str, str | None], advisories: Sequence[Advisory]) -> str:
    material = [
        SECURITY_VERSION,
        code_id(),
        network.manifest.model_dump(mode="json", exclude={"path"}),
        policy.model_dump(mode="json"),
        sorted([name, head] for name, head in heads.items() if head is not None),
        [advisory.model_dump(mode="json") for advisory in advisories],
    ]
    return "security:" + hashlib.sha256(to_json(material)).hexdigest()


def head_security(
    repo: GitRepo,
    network: Network,
    policy: Policy,
    node: str,
    head: str,
    now: datetime,
    *,
    store: Store | None = None,
    advisories: Sequence[Advisory] = (),
) -> SecurityReport | None:
    """Every fix against one node as it would be at ``head`` (a pull request's head, before it is
    merged); None when central is not fetched, or ``node`` is central."""
    central = repo.resolve(network.spec(network.root).head_ref)
    if central is None or node == network.root:
        return None
    return network_security(
        repo, network, policy, now, store=store, heads={network.root: central, node: head}, advisories=advisories
    )
