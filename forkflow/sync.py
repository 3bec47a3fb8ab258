"""``forkflow sync``: carry each parent's head down to its nodes, as each node's tier says.

- ``fast-forward`` (central tier): the node is moved to its parent's head.  A node with local
  commits is not overwritten: the plan reports it, and only ``--force`` (where the policy's
  ``force_reset`` allows it) resets it, after keeping the old head under
  ``refs/forkflow/backup/<node>/<sha>`` so nothing is lost.
- ``pull-request`` (decentralized tier): a proposal to the node, branch
  ``forkflow/sync/<parent-short-sha>``, that merges the parent's head into the node; the merge
  is built in memory and the files that conflict are named.  An open sync proposal for the same
  parent head is kept; an older one is superseded (closed) by the new one.
- ``none`` (developer tier): nothing, reported only.

The walk is top-down: a college is synced (in the plan) before its departments, which are then
planned against the college's new head.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from forkflow import faultpoints
from forkflow.credential import Credential
from forkflow.errors import ConflictError, ForgeError, ForkflowError, GitError
from forkflow.forge import Forge, Proposal, ProposalState
from forkflow.gitrepo import GitRepo, Person, is_ancestor, merge_into
from forkflow.gitrepo.build import HistoryBuilder
from forkflow.manifest.spec import Manifest
from forkflow.network.tree import Network
from forkflow.policy.check import node_policy
from forkflow.policy.rules import Policy, SyncMode
from forkflow.problems import PlanError, StepProblem, one_line, step

SYNC_LABEL = "forkflow:sync"


class SyncStep(StrEnum):
    FAST_FORWARD = "fast-forward"
    RESET = "reset"
    PROPOSE = "propose"
    KEEP = "keep"
    UP_TO_DATE = "up-to-date"
    MERGED = "merged"
    REFUSED = "refused"
    NOTHING = "nothing"
    FAILED = "failed"


@dataclass(frozen=True)
class SyncAction:
    node: str
    step: SyncStep
    reason: str
    parent_head: str | None = None
    old_head: str | None = None
    new_head: str | None = None
    backup: str | None = None
    proposal: Proposal | None = None
    supersedes: int | None = None


def subtree(network: Network, name: str) -> set[str]:
    """A node and everything beneath it."""
    found, stack = set(), [name]
    while stack:
        current = stack.pop()
        found.add(current)
        stack.extend(network.children(current))
    return found


def plan_sync(
    network: Network,
    repo: GitRepo,
    policy: Policy,
    existing: Sequence[Proposal],
    *,
    only: Iterable[str] | None = None,
    force: bool = False,
    committer: Person,
    now: datetime,
) -> list[SyncAction]:
    """What sync would do, node by node, parents first; writes no ref (merge objects only)."""
    wanted = set(only) if only is not None else None
    heads: dict[str, str | None] = {name: repo.resolve(network.spec(name).head_ref) for name in network.tree_order()}
    actions = []
    for name in network.tree_order():
        parent = network.parent(name)
        if parent is None or (wanted is not None and name not in wanted):
            continue
        try:
            action = _plan_node(network, repo, policy, existing, name, parent, heads, force, committer, now)
        except ForkflowError as err:  # this node cannot be planned (objects missing, say): the others still are
            action = SyncAction(name, SyncStep.FAILED, one_line(str(err)))
        if action.step in (SyncStep.FAST_FORWARD, SyncStep.RESET):
            heads[name] = action.new_head  # its children are planned against its new head
        actions.append(action)
    return actions


def _plan_node(
    network: Network,
    repo: GitRepo,
    policy: Policy,
    existing: Sequence[Proposal],
    name: str,
    parent: str,
    heads: dict[str, str | None],
    force: bool,
    committer: Person,
    now: datetime,
) -> SyncAction:
    head, parent_head = heads[name], heads[parent]
    if head is None or parent_head is None:
        missing = name if head is None else parent
        return SyncAction(name, SyncStep.REFUSED, f"{missing} is not fetched; run `forkflow fetch`")
    if is_ancestor(repo, parent_head, head):
        live = [p for p in existing if p.change_id == f"sync:{name}" and p.state == ProposalState.OPEN]
        if live:  # the node took the update (by the proposal or otherwise): the proposal is done
            why = f"already has {parent}'s head; #{live[-1].number} is merged"
            return SyncAction(name, SyncStep.MERGED, why, parent_head, head, supersedes=live[-1].number)
        return SyncAction(name, SyncStep.UP_TO_DATE, f"already has {parent}'s head", parent_head, head)
    rules = node_policy(network, policy, name).tiers.of(network.spec(name).tier.value)
    if rules.sync == SyncMode.NONE:
        tier = network.spec(name).tier
        return SyncAction(name, SyncStep.NOTHING, f"{tier} tier: no outside updates", parent_head, head)
    if rules.sync == SyncMode.FAST_FORWARD:
        return _fast_forward(repo, name, parent, head, parent_head, force, rules.force_reset)
    return _propose(network, repo, existing, name, parent, head, parent_head, committer, now)


def _fast_forward(
    repo: GitRepo, name: str, parent: str, head: str, parent_head: str, force: bool, may_reset: bool
) -> SyncAction:
    if is_ancestor(repo, head, parent_head):
        return SyncAction(
            name, SyncStep.FAST_FORWARD, f"to {parent}'s head {parent_head[:12]}", parent_head, head, parent_head
        )
    local = len(repo.own_commits(head, parent_head))
    if not force:
        return SyncAction(
            name,
            SyncStep.REFUSED,
            f"has {local} commit(s) {parent} lacks; not overwritten (propose them upstream, or --force to reset "
            "the node, keeping its head as a backup)",
            parent_head=parent_head,
            old_head=head,
        )
    if not may_reset:
        why = "the policy does not allow --force for this tier (force_reset = false)"
        return SyncAction(name, SyncStep.REFUSED, why, parent_head, head)
    backup = f"refs/forkflow/backup/{name}/{head[:12]}"
    why = f"reset to {parent}'s head; {local} commit(s) kept at {backup}"
    return SyncAction(name, SyncStep.RESET, why, parent_head, head, parent_head, backup=backup)


def _propose(
    network: Network,
    repo: GitRepo,
    existing: Sequence[Proposal],
    name: str,
    parent: str,
    head: str,
    parent_head: str,
    committer: Person,
    now: datetime,
) -> SyncAction:
    live = [p for p in existing if p.change_id == f"sync:{name}" and p.state == ProposalState.OPEN]
    same = [p for p in live if p.patch_ids == [parent_head]]
    if same:
        return SyncAction(name, SyncStep.KEEP, f"already proposed as #{same[-1].number}", parent_head, head)
    short = parent_head[:12]
    merged, conflicts = _merged(repo, name, parent, head, parent_head, committer, now)
    stamp = now.isoformat(timespec="seconds")
    proposal = Proposal(
        change_id=f"sync:{name}",
        kind="sync",
        target=name,
        branch=f"forkflow/sync/{short}",
        title=f"Update {name} with {parent} {short}",
        body=_body(network, repo, name, parent, head, parent_head, conflicts),
        base=head,
        head=merged,
        carriers=[],
        patch_ids=[parent_head],  # the parent head it brings, so a re-run can tell it is the same
        conflicts=conflicts,
        labels=[SYNC_LABEL],
        source="sync",
        created_at=stamp,
        updated_at=stamp,
    )
    older = live[-1].number if live else None
    reason = f"merge {parent}'s head {short}" + (f", conflicts in {', '.join(conflicts)}" if conflicts else "")
    if older is not None:
        reason += f"; supersedes #{older}"
    return SyncAction(name, SyncStep.PROPOSE, reason, parent_head, head, merged, proposal=proposal, supersedes=older)


def _merged(
    repo: GitRepo, name: str, parent: str, head: str, parent_head: str, committer: Person, now: datetime
) -> tuple[str | None, list[str]]:
    """The parent's head merged into the node's, in memory, or (None, the conflicting files)."""
    if is_ancestor(repo, head, parent_head):
        return parent_head, []  # nothing of the node's own: the proposal is a fast-forward
    message = f"Merge {parent} {parent_head[:12]} into {name}\n\nForkflow-Sync: {parent} {parent_head}\n"
    try:
        return merge_into(repo, head, parent_head, committer=committer, when=int(now.timestamp()), message=message), []
    except ConflictError:
        return None, repo.merge_conflicts(head, parent_head)


def _body(
    network: Network, repo: GitRepo, name: str, parent: str, head: str, parent_head: str, conflicts: list[str]
) -> str:
    brought = repo.own_commits(parent_head, head)
    lines = [
        f"<!-- forkflow:sync node={name} parent-head={parent_head} -->",
        f"**{parent}** has {len(brought)} commit(s) that **{name}** does not. This proposal merges "
        f"`{parent_head[:12]}` into `{name}` ({network.spec(name).tier} tier: updates arrive as a reviewed proposal).",
        "",
    ]
    if conflicts:
        lines += ["**The merge conflicts** in these files; resolve them on the branch before merging:", ""]
        lines += [f"- `{path}`" for path in conflicts] + [""]
    else:
        lines += ["The merge is clean.", ""]
    lines += ["Commits it brings (newest last):", ""]
    for commit in brought[-20:]:
        lines.append(f"- `{commit[:10]}` {repo.commit_info(commit).summary}")
    if len(brought) > 20:
        lines.append(f"- ... and {len(brought) - 20} older ones")
    return "\n".join(lines) + "\n"


def apply_sync(
    actions: Sequence[SyncAction],
    repo: GitRepo,
    manifest: Manifest,
    forge: Forge,
    now: datetime,
    problems: list[StepProblem] | None = None,
    *,
    credential: Credential | None = None,
) -> list[Proposal]:
    """Carry out the plan: move nodes, keep backups, open and supersede proposals; returns the proposals opened.

    ``credential`` answers a node's server that asks for one when its new head is pushed (the
    forge's token goes only to the forge's host).

    With ``problems``, a node that fails (its push is refused, the forge refuses its proposal, it
    could not be planned) is noted there and the others go on; without, the first failure is raised.
    """
    stamp = now.isoformat(timespec="seconds")
    opened = []
    for action in actions:
        with step(problems, "sync", node=action.node):
            if action.step == SyncStep.FAILED:
                raise PlanError(f"it could not be planned: {action.reason}")
            proposal = _apply_one(action, repo, manifest, forge, stamp, credential)
            if proposal is not None:
                opened.append(proposal)
        faultpoints.reached("sync.node-done")
    return opened


def _apply_one(
    action: SyncAction, repo: GitRepo, manifest: Manifest, forge: Forge, stamp: str, credential: Credential | None
) -> Proposal | None:
    if action.step in (SyncStep.FAST_FORWARD, SyncStep.RESET):
        _move(repo, manifest, action, credential)
    elif action.step == SyncStep.MERGED and action.supersedes is not None:
        forge.mark_merged(action.supersedes, action.old_head, stamp, target=action.node)
    elif action.step == SyncStep.PROPOSE and action.proposal is not None:
        if action.proposal.head is None and not forge.branchless:
            return None  # a conflicting merge cannot be a pull request: the plan names the files
        if action.supersedes is not None:
            forge.close(action.supersedes, stamp, target=action.node)
        return forge.open(action.proposal)
    return None


def _move(repo: GitRepo, manifest: Manifest, action: SyncAction, credential: Credential | None) -> None:
    assert action.new_head is not None and action.old_head is not None
    reset = action.step == SyncStep.RESET
    move_node(
        repo,
        manifest,
        action.node,
        action.old_head,
        action.new_head,
        backup=action.backup,
        force=reset,
        credential=credential,
    )


def move_node(
    repo: GitRepo,
    manifest: Manifest,
    node: str,
    old_head: str,
    new_head: str,
    *,
    backup: str | None = None,
    force: bool = False,
    credential: Credential | None = None,
) -> None:
    """Move the node: its old head kept first (``backup``, for a reset), then its repository's
    branch, then forkflow's ref of it, last, so that a run stopped half-way leaves that ref at
    the old head and the next run plans this move again and finishes it."""
    spec = manifest.node(node)
    builder = HistoryBuilder(repo)
    url = manifest.resolve_url(spec.url) if spec.url is not None else None
    if backup is not None:
        repo.set_ref(backup, old_head)  # before anything moves: nothing is lost
        if url is not None:
            try:
                builder.push(url, [f"{backup}:{backup}"], credential)
            except GitError as err:
                raise ForgeError(f"node {node!r}: its old head could not be kept on {url}: {err}") from err
    if url is not None:
        try:
            builder.push(url, [f"{'+' if force else ''}{new_head}:refs/heads/{spec.branch or 'main'}"], credential)
        except GitError as err:
            raise ForgeError(f"node {node!r}: the update could not be pushed: {err}") from err
        faultpoints.reached("sync.half-moved")
    repo.set_ref(spec.head_ref, new_head)
