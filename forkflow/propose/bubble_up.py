"""``forkflow propose``: one bubble-up proposal per shared change, to the carriers' nearest common ancestor.

:func:`plan_proposals` decides, per shared change, what to do (open, update, reopen, mark
merged, or nothing and why) and builds each branch in memory (objects only, no ref);
:func:`apply_plan` is the only step that writes, through a forge.  Re-running opens nothing
twice: an open proposal for the same change is kept, a closed one is reopened only when more
nodes carry the change, and a proposal whose change reached its target is marked merged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from forkflow import faultpoints
from forkflow.errors import ForkflowError, GitError
from forkflow.forge import BRANCH_PREFIX, Forge, Proposal, ProposalState
from forkflow.gitrepo import Applied, GitRepo, Person, apply_commits, is_ancestor
from forkflow.model import ScanReport, SharedChange, Variant
from forkflow.needs.figure import wholly_local
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy
from forkflow.problems import PlanError, StepProblem, one_line, step
from forkflow.propose.body import Build, proposal_body, proposal_title


class Step(StrEnum):
    OPEN = "open"
    UPDATE = "update"
    REOPEN = "reopen"
    MERGED = "mark-merged"
    SKIP = "skip"
    FAILED = "failed"


@dataclass(frozen=True)
class Action:
    """What to do about one shared change (or one existing proposal), and why."""

    step: Step
    change_id: str
    reason: str
    proposal: Proposal | None = None
    held: Proposal | None = None
    """The proposal a skip would have opened (or reopened, when it has a number), had the limit not held it."""


@dataclass
class ProposalPlan:
    actions: list[Action] = field(default_factory=list)

    def of(self, step: Step) -> list[Action]:
        return [action for action in self.actions if action.step == step]


def plan_proposals(
    report: ScanReport,
    network: Network,
    repo: GitRepo,
    policy: Policy,
    existing: Sequence[Proposal],
    *,
    committer: Person,
    now: datetime,
) -> ProposalPlan:
    """Everything ``propose`` would do, biggest impact first; writes no ref."""
    plan = ProposalPlan()
    stamp = now.isoformat(timespec="seconds")
    merged_now = {}
    for proposal in existing:
        if proposal.state == ProposalState.OPEN and proposal.source != "sync":  # sync proposals are sync's
            how = reached_target(repo, report, proposal)
            if how is not None:
                merged_now[proposal.number] = proposal
                done = proposal.model_copy(update={"state": ProposalState.MERGED, "merged_at": stamp})
                plan.actions.append(Action(Step.MERGED, proposal.change_id, how, done))
    opened = 0
    for change in sorted(report.shared, key=_impact):
        mine = [p for p in existing if p.change_id == change.id and p.number not in merged_now]
        try:
            action = _plan_change(report, network, repo, policy, change, mine, committer, now)
        except ForkflowError as err:  # this change cannot be built (objects missing, say): the others still are
            action = Action(Step.FAILED, change.id, one_line(str(err)))
        if action.step in (Step.OPEN, Step.REOPEN):
            if opened >= policy.bubble_up.max_proposals:
                limit = policy.bubble_up.max_proposals
                why = f"over this run's limit (bubble_up.max_proposals = {limit})"
                action = Action(Step.SKIP, change.id, why, held=action.proposal)
            else:
                opened += 1
        plan.actions.append(action)
    return plan


def _impact(change: SharedChange) -> tuple[int, int, str]:
    return (-len(change.nodes), -change.size, change.id)


def eligible(change: SharedChange, network: Network, policy: Policy) -> str | None:
    """Why a change is not proposed yet (None: it is)."""
    rules = policy.bubble_up
    if len(change.nodes) >= rules.min_nodes:
        return None
    target = change.target or network.root
    children = network.children(target)
    share = sum(1 for name in change.nodes if name in children) / len(children) if children else 0.0
    if rules.min_share > 0 and share >= rules.min_share:
        return None
    return (
        f"carried by {len(change.nodes)} node(s), fewer than bubble_up.min_nodes = {rules.min_nodes}, "
        f"and by {share:.0%} of {target}'s children, under bubble_up.min_share = {rules.min_share:.0%}"
    )


def _plan_change(
    report: ScanReport,
    network: Network,
    repo: GitRepo,
    policy: Policy,
    change: SharedChange,
    mine: list[Proposal],
    committer: Person,
    now: datetime,
) -> Action:
    why_not = eligible(change, network, policy)
    if why_not is not None:
        return Action(Step.SKIP, change.id, why_not)
    if wholly_local(report, change):
        return Action(Step.SKIP, change.id, "meant to stay local (policy local_paths, or Forkflow-Local: yes)")
    if not change.readable:
        return Action(Step.SKIP, change.id, _unreadable(change))
    live = [p for p in mine if p.state == ProposalState.OPEN]
    if live:
        return _refresh(report, network, repo, policy, change, live[-1], committer, now)
    merged = [p for p in mine if p.state == ProposalState.MERGED]
    closed = [p for p in mine if p.state == ProposalState.CLOSED]
    if closed and not merged and set(change.nodes) <= set(closed[-1].carriers):
        return Action(Step.SKIP, change.id, f"closed as #{closed[-1].number}; reopened only if more nodes carry it")
    target = change.target or network.root
    head = report.node(target).head
    if head is None:
        return Action(Step.SKIP, change.id, f"its target {target!r} was not scanned")
    build = build_change(repo, report, change, head, committer=committer, when=int(now.timestamp()))
    if build.already_there:
        return Action(Step.SKIP, change.id, f"{target} already has it")
    draft = draft_proposal(report, network, repo, policy, change, build, head, now)
    if closed and not merged:
        number = closed[-1].number
        again = draft.model_copy(update={"number": number, "created_at": closed[-1].created_at})
        return Action(Step.REOPEN, change.id, f"#{number} was closed, but more nodes carry it now", again)
    return Action(Step.OPEN, change.id, "carried by " + ", ".join(change.nodes), draft)


def _unreadable(change: SharedChange) -> str:
    """Why a change whose diff cannot be read is held back: no branch can be built from it, and
    a proposal without its diff would show the reviewer nothing."""
    commits = change.variants[0].commits
    shown = ", ".join(cid[:10] for cid in commits[:3]) + (f" and {len(commits) - 3} more" if len(commits) > 3 else "")
    return (
        f"its diff cannot be read here: objects of {shown} are missing (a partial clone?); "
        "fetch them (a clone without --filter has them) and run again"
    )


def _refresh(
    report: ScanReport,
    network: Network,
    repo: GitRepo,
    policy: Policy,
    change: SharedChange,
    live: Proposal,
    committer: Person,
    now: datetime,
) -> Action:
    """An open proposal is kept; it is rebuilt only when the set of carriers changed."""
    if set(change.nodes) == set(live.carriers):
        return Action(Step.SKIP, change.id, f"already open as #{live.number}")
    target = change.target or network.root
    head = report.node(target).head or live.base
    build = build_change(repo, report, change, head, committer=committer, when=int(now.timestamp()))
    draft = draft_proposal(report, network, repo, policy, change, build, head, now)
    updated = draft.model_copy(update={"number": live.number, "created_at": live.created_at})
    grown = sorted(set(change.nodes) - set(live.carriers))
    reason = f"#{live.number}: carriers changed" + (f" (now also {', '.join(grown)})" if grown else "")
    return Action(Step.UPDATE, change.id, reason, updated)


def variant_order(report: ScanReport, change: SharedChange) -> list[Variant]:
    """The variants to try: the most carried first, then the newest."""

    def newest(variant: Variant) -> str:
        return max(report.commits[cid].date for cid in variant.commits)

    by_date = sorted(change.variants, key=newest, reverse=True)
    return sorted(by_date, key=lambda variant: -len(variant.nodes))


def build_change(
    repo: GitRepo,
    report: ScanReport,
    change: SharedChange,
    onto: str,
    *,
    committer: Person,
    when: int,
    order: Sequence[Variant] | None = None,
) -> Build:
    """Apply the first variant (of ``order``, else :func:`variant_order`) that applies cleanly onto ``onto``."""
    trailers = credit_trailers(report, change)
    tried: list[tuple[Variant, Applied]] = []
    for variant in order if order is not None else variant_order(report, change):
        applied = apply_commits(repo, onto, variant.commits, committer=committer, when=when, trailers=trailers)
        if applied.clean and applied.empty:
            return Build(applied, variant, tuple(tried), already_there=True)
        if applied.clean:
            return Build(applied, variant, tuple(tried))
        tried.append((variant, applied))
    return Build(None, None, tuple(tried))


def credit_trailers(report: ScanReport, change: SharedChange) -> dict[str, list[str]]:
    """Per commit: a Co-authored-by trailer for every other author of the change, and the change's id."""
    out = {}
    for variant in change.variants:
        for cid in variant.commits:
            info = report.commits[cid]
            own = f"{info.author} <{info.email}>"
            others = [f"Co-authored-by: {author}" for author in change.authors if author != own]
            out[cid] = [*others, f"Forkflow-Change: {change.id}"]
    return out


def draft_proposal(
    report: ScanReport,
    network: Network,
    repo: GitRepo,
    policy: Policy,
    change: SharedChange,
    build: Build,
    base: str,
    now: datetime,
) -> Proposal:
    stamp = now.isoformat(timespec="seconds")
    head = build.applied.head if build.applied is not None else None
    conflicts = sorted({path for _, applied in build.tried for path in applied.conflicts}) if head is None else []
    return Proposal(
        change_id=change.id,
        kind=change.kind,
        target=change.target or network.root,
        branch=BRANCH_PREFIX + change.id,
        title=proposal_title(report, change, build),
        body=proposal_body(report, network, repo, policy, change, build, base),
        base=base,
        head=head,
        carriers=list(change.nodes),
        commits=list(change.commits),
        patch_ids=list(change.patch_ids),
        conflicts=conflicts,
        created_at=stamp,
        updated_at=stamp,
    )


def reached_target(repo: GitRepo, report: ScanReport, proposal: Proposal) -> str | None:
    """How an open proposal's change reached its target (merge, squash or cherry-pick), or None.

    None too when it cannot be told: the pull request's head is not in this repository (someone
    pushed to its branch), say.  The proposal stays open, and the next run looks again.
    """
    if proposal.head is None or proposal.target not in {node.name for node in report.nodes}:
        return None
    target_head = report.node(proposal.target).head
    if target_head is None:
        return None
    try:
        if is_ancestor(repo, proposal.head, target_head):
            return f"#{proposal.number} was merged into {proposal.target}"
        picked = repo.first_parent_chain(proposal.base, proposal.head)
        again = apply_commits(repo, target_head, picked, committer=Person("forkflow", "forkflow@localhost"), when=0)
    except GitError:
        return None
    if again.clean and again.empty:
        return f"#{proposal.number}: {proposal.target} has its change (squashed or cherry-picked)"
    return None


def apply_plan(
    plan: ProposalPlan, forge: Forge, now: datetime, problems: list[StepProblem] | None = None
) -> list[Proposal]:
    """Carry out the plan through the forge; returns the proposals opened, updated or marked.

    With ``problems``, a proposal that fails (the forge refuses it, its branch cannot be pushed,
    it could not be planned) is noted there and the others go on; without, the first failure is raised.
    """
    stamp = now.isoformat(timespec="seconds")
    done = []
    for action in plan.actions:
        node = action.proposal.target if action.proposal is not None else None
        with step(problems, "propose", node=node, item=action.change_id):
            if action.step == Step.FAILED:
                raise PlanError(f"it could not be planned: {action.reason}")
            result = _apply_action(action, forge, stamp)
            if result is not None:
                done.append(result)
        faultpoints.reached("propose.applied")
    return done


def _apply_action(action: Action, forge: Forge, stamp: str) -> Proposal | None:
    proposal = action.proposal
    if proposal is None or action.step == Step.SKIP:
        return None
    if proposal.head is None and not forge.branchless:
        return None  # nothing to push: the plan names the conflicts, the forge cannot hold it
    if action.step == Step.OPEN:
        return forge.open(proposal)
    if action.step in (Step.UPDATE, Step.REOPEN):
        return forge.update(proposal.model_copy(update={"updated_at": stamp, "closed_at": None}))
    if action.step == Step.MERGED:
        return forge.mark_merged(proposal.number, None, stamp, target=proposal.target)
    return None


def committer_for(repo: GitRepo) -> Person:
    """Who commits proposals: the repository's configured user, else forkflow itself."""
    name, email = repo.identity()
    return Person(name or "forkflow", email or "forkflow@localhost")
