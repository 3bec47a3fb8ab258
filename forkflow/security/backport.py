"""Fast backports: for each node that lacks a security fix, whatever its tier, a proposal that
applies **only the fix** onto the node's head, not the whole upstream.

The proposal is a cherry-pick of the fix's missing commits, built in memory, with the advisory in
its title and a label of its own.  It is refreshed when the node's head moves, never duplicated
(one per fix and node: ``security:<fix>:<node>``), and closed once the node has the fix by any
route.  A fix that does not apply cleanly still gets a proposal (where the forge can hold one
without a branch) that names the conflicting files and the commits, for a person to finish.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from forkflow import faultpoints
from forkflow.forge import SECURITY_LABEL, Forge, Proposal, ProposalState
from forkflow.gitrepo import GitRepo, Person, apply_commits
from forkflow.problems import PlanError, StepProblem, step
from forkflow.security.coverage import Coverage, SecurityReport
from forkflow.security.fixes import Fix


class BackportStep(StrEnum):
    OPEN = "open"  # a new proposal
    UPDATE = "update"  # the node's head moved: the open proposal is rebuilt on it
    KEEP = "keep"  # already proposed on this head
    CLOSE = "close"  # the node has the fix now, by some route: its proposal is closed
    FAST_FORWARD = "fast-forward"  # a central-tier node moved to the backport itself (security.central)


@dataclass(frozen=True)
class BackportAction:
    node: str
    fix: str
    step: BackportStep
    reason: str
    proposal: Proposal | None = None
    number: int | None = None  # the open proposal it updates, keeps or closes


def change_id(fix: str, node: str) -> str:
    return f"security:{fix}:{node}"


def plan_backports(
    repo: GitRepo,
    report: SecurityReport,
    heads: dict[str, str | None],
    existing: Sequence[Proposal],
    *,
    committer: Person,
    now: datetime,
    central: str = "propose",
) -> list[BackportAction]:
    """What to do for every fix x node: open, update or keep a backport, or close one no longer needed.

    With ``central="fast-forward"`` (the policy's ``security.central``), a central-tier node whose
    backport applies cleanly is moved to it instead: the cherry-pick sits on the node's head, so
    that is a fast-forward.
    """
    fixes = {fix.id: fix for fix in report.fixes}
    live = {p.change_id: p for p in existing if p.kind == "security" and p.state == ProposalState.OPEN}
    actions = []
    for c in report.coverage:
        open_one = live.get(change_id(c.fix, c.node))
        head = heads.get(c.node)
        if c.status != "missing":
            if open_one is not None:
                reason = f"{c.node} has {c.fix} now ({c.status.replace('-', ' ')}: {c.how})"
                actions.append(BackportAction(c.node, c.fix, BackportStep.CLOSE, reason, number=open_one.number))
            continue
        if head is None:
            continue
        if open_one is not None and open_one.base == head:
            reason = f"already proposed as #{open_one.number} on {head[:12]}"
            actions.append(BackportAction(c.node, c.fix, BackportStep.KEEP, reason, number=open_one.number))
            continue
        proposal = _backport(repo, fixes[c.fix], c, head, committer, now)
        number = open_one.number if open_one is not None else None
        if central == "fast-forward" and c.tier == "central" and proposal.head is not None:
            reason = f"lacks {c.fix}: fast-forwarded to the fix cherry-picked onto {head[:12]} (security.central)"
            actions.append(BackportAction(c.node, c.fix, BackportStep.FAST_FORWARD, reason, proposal, number))
            continue
        if open_one is not None:
            reason = f"{c.node} moved to {head[:12]}: #{open_one.number} rebuilt on it"
            action = BackportAction(c.node, c.fix, BackportStep.UPDATE, reason, proposal, open_one.number)
        else:
            action = BackportAction(c.node, c.fix, BackportStep.OPEN, _why(c, proposal), proposal)
        actions.append(action)
    return actions


def _why(c: Coverage, proposal: Proposal) -> str:
    late = " (past its deadline)" if c.overdue else ""
    if proposal.head is None:
        return f"lacks {c.fix} for {c.days} day(s){late}; conflicts in {', '.join(proposal.conflicts)}"
    return f"lacks {c.fix} for {c.days} day(s){late}; the fix applies cleanly"


def _backport(repo: GitRepo, fix: Fix, c: Coverage, head: str, committer: Person, now: datetime) -> Proposal:
    commits = [commit for commit in fix.commits if commit in c.missing]
    trailers = {commit: [f"(cherry picked from commit {commit})"] for commit in commits}
    applied = apply_commits(repo, head, commits, committer=committer, when=int(now.timestamp()), trailers=trailers)
    stamp = now.isoformat(timespec="seconds")
    subject = fix.title or repo.commit_message(commits[0]).splitlines()[0]
    return Proposal(
        change_id=change_id(fix.id, c.node),
        kind="security",
        target=c.node,
        branch=f"forkflow/security/{_slug(fix.id)}",
        title=f"[security] {fix.id}: {subject}"[:200],
        body=_body(repo, fix, c, commits, list(applied.conflicts), applied.failed),
        base=head,
        head=applied.head,
        commits=commits,
        patch_ids=[head],
        conflicts=list(applied.conflicts),
        labels=[SECURITY_LABEL],
        source="security",
        created_at=stamp,
        updated_at=stamp,
    )


def _slug(fix_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in fix_id.lower()).strip("-.") or "fix"


def _body(
    repo: GitRepo, fix: Fix, c: Coverage, commits: list[str], conflicts: list[str], stopped_at: str | None
) -> str:
    lines = [
        f"**{fix.id}** is fixed in central; `{c.node}` ({c.tier} tier) still lacks it.",
        "",
        f"- published: {fix.published.date().isoformat()} ({c.days} day(s) ago)",
        f"- deadline for the {c.tier} tier: "
        + (c.deadline.date().isoformat() if c.deadline else "none set")
        + (" — **past**" if c.overdue else ""),
        "",
        "This proposal applies only the fix, not the rest of central's changes:",
        "",
    ]
    lines += [f"- `{commit[:12]}` {repo.commit_message(commit).splitlines()[0]}" for commit in commits]
    if conflicts:
        where = f" at `{stopped_at[:12]}`" if stopped_at else ""
        lines += [
            "",
            f"**It does not apply cleanly**{where}: conflicts in " + ", ".join(f"`{p}`" for p in conflicts) + ".",
            "To finish it by hand: `git cherry-pick -x " + " ".join(commit[:12] for commit in commits) + "`, "
            "resolve those files, and push.",
        ]
    lines += ["", "forkflow closes this proposal once the node has the fix by any route."]
    return "\n".join(lines) + "\n"


def apply_backports(
    actions: Sequence[BackportAction],
    forge: Forge,
    now: datetime,
    problems: list[StepProblem],
    move: Callable[[str, str, str], None] | None = None,
) -> list[Proposal]:
    """Open, update and close on the forge, and fast-forward with ``move(node, old head, new head)``;
    a step that fails is reported and the others go on."""
    stamp = now.isoformat(timespec="seconds")
    done = []
    for action in actions:
        with step(problems, "security backport", node=action.node, item=action.fix):
            if action.step == BackportStep.FAST_FORWARD and action.proposal is not None:
                if move is None:
                    raise PlanError('this command cannot move nodes; run the bot, or set security.central = "propose"')
                assert action.proposal.head is not None
                move(action.node, action.proposal.base, action.proposal.head)
                if action.number is not None:  # a proposal opened before the policy said so: done now
                    forge.close(action.number, stamp, target=action.node)
            elif action.step == BackportStep.CLOSE and action.number is not None:
                forge.close(action.number, stamp, target=action.node)
            elif action.step in (BackportStep.OPEN, BackportStep.UPDATE) and action.proposal is not None:
                if action.proposal.head is None and not forge.branchless and "security" not in forge.branchless_kinds:
                    continue  # this forge holds no proposal without a branch: the plan names the conflicting files
                if action.step == BackportStep.UPDATE:
                    done.append(forge.update(action.proposal.model_copy(update={"number": action.number})))
                else:
                    done.append(forge.open(action.proposal))
        faultpoints.reached("security.backport-done")
    return done
