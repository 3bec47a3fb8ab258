"""The dashboard in a scheduled run: read it before the plan is applied, write it after.

:func:`read_board` finds the dashboard (the forge is the truth; the store only remembers its
number), reads the boxes a person ticked, and puts each ticked held action into the run's
plan, so the run's own apply step carries it out.  :func:`publish_board` then writes the
body once: what was carried out moves to "Done this run" and is recorded in the store, so a
box that stays ticked, or comes back, is never carried out twice.  A ticked box whose action
the plan no longer holds is reported, not carried out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from forkflow.dashboard.body import View, dashboard_title, marker_line, render, ticked_ids
from forkflow.dashboard.held import Held, held_actions, release
from forkflow.forge import DashboardIssue, Forge, Proposal, ProposalState
from forkflow.gitrepo import Person
from forkflow.model import ScanReport
from forkflow.policy.check import check_policy
from forkflow.problems import StepProblem, step
from forkflow.propose.bubble_up import ProposalPlan
from forkflow.sync import SyncAction, SyncStep
from forkflow.workspace import Workspace


@dataclass
class Board:
    """The dashboard as the run found it, the actions held, and the ticked ones released into the plan."""

    marker: str
    held: list[Held]
    issue: DashboardIssue | None = None
    read: bool = False
    """Whether the forge could be asked: when not, nothing is written (a new one could be a duplicate)."""
    released: list[Held] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_board(
    space: Workspace,
    forge: Forge,
    syncs: list[SyncAction],
    plan: ProposalPlan,
    *,
    committer: Person,
    now: datetime,
    dry_run: bool,
    problems: list[StepProblem],
) -> tuple[Board, list[SyncAction], ProposalPlan]:
    """The board, and the plan with the ticked held actions in it (unchanged in a dry run, or with no dashboard)."""
    if not space.policy.dashboard.enabled:
        return Board(marker_line(space.network.name), []), syncs, plan
    board = Board(marker_line(space.network.name), held_actions(space, syncs, plan, committer=committer, now=now))
    with step(problems, "read dashboard", node=space.network.root):
        board.issue = forge.dashboard(board.marker, remembered=_remembered(space, forge), repair=not dry_run)
        board.read = True
    by_id = {held.id: held for held in board.held}
    for action_id in ticked_ids(board.issue.body) if board.issue is not None else []:
        when = space.store.fact(_done_key(space, action_id))
        if when is not None:
            board.notes.append(f"`{action_id}` is ticked, but it was carried out at {when}: not again")
        elif action_id not in by_id:
            board.notes.append(f"`{action_id}` is ticked, but the plan holds no such action now: nothing done")
        else:
            board.released.append(by_id[action_id])
    if dry_run:
        return board, syncs, plan
    return board, *release(board.released, syncs, plan)


@dataclass(frozen=True)
class Scene:
    """What the run leaves, for the body."""

    report: ScanReport
    previous: float | None
    listed: Sequence[Proposal]
    syncs: Sequence[SyncAction]


def publish_board(
    board: Board,
    space: Workspace,
    forge: Forge,
    scene: Scene,
    *,
    now: datetime,
    dry_run: bool,
    problems: list[StepProblem],
) -> str:
    """Write the dashboard (a dry run returns its body, for the summary, instead); records what was done."""
    if not space.policy.dashboard.enabled:
        return ""
    stamp = now.isoformat(timespec="seconds")
    done = [] if dry_run else [held for held in board.released if _carried_out(space, held, scene.listed)]
    for held in done:
        with step(problems, "record dashboard action", item=held.id):
            space.store.save_fact(_done_key(space, held.id), stamp)
    view = View(
        network=space.network.name,
        percent=scene.report.unmet_needs.percent,
        previous=scene.previous,
        attention=_attention(space, scene),
        waiting=[p for p in scene.listed if p.state == ProposalState.OPEN],
        held=[held for held in board.held if held not in done],
        ticked=[held.id for held in board.released] if dry_run else [],
        done=done,
        notes=board.notes + _undone(board, done, dry_run),
        stamp=stamp,
    )
    body = render(view)
    if dry_run:
        return f"\n## Dashboard (dry run: not written)\n\n{body}"
    if not board.read:
        return ""  # the problem is said already: reading it failed
    with step(problems, "write dashboard", node=space.network.root):
        saved = _write(space, forge, board, body)
        return f"\nThe dashboard: {saved.url or f'#{saved.number}'}\n"
    return ""


def _undone(board: Board, done: list[Held], dry_run: bool) -> list[str]:
    """What the run says of the ticked actions it did not carry out."""
    if dry_run:
        return [f"`{held.id}` is ticked: a run that is not a dry run carries it out" for held in board.released]
    return [
        f"`{held.id}` was ticked and tried, but did not happen (see the run's problems); tick it again to retry"
        for held in board.released
        if held not in done
    ]


def _write(space: Workspace, forge: Forge, board: Board, body: str) -> DashboardIssue:
    title = dashboard_title(space.network.name)
    if board.issue is not None:
        return forge.save_dashboard(title, body, number=board.issue.number)
    made = forge.save_dashboard(title, body)
    space.store.save_fact(_remembered_key(space, forge), made.number)
    again = forge.dashboard(board.marker, remembered=made.number)  # another run made one too: the oldest stays
    if again is not None and again.number != made.number:
        return forge.save_dashboard(title, body, number=again.number)
    return made


def _attention(space: Workspace, scene: Scene) -> list[tuple[str, str]]:
    """The nodes a person should look at: policy violations, refused or failed syncs, scan problems."""
    found = [(v.node, f"{v.message}; {v.fix}") for v in check_policy(scene.report, space.network, space.policy)]
    found += [(a.node, f"sync: {a.reason}") for a in scene.syncs if a.step in (SyncStep.REFUSED, SyncStep.FAILED)]
    found += [(p.node, f"scan: {p.message}") for p in scene.report.problems if p.node]
    return sorted(set(found))


def _carried_out(space: Workspace, held: Held, listed: Sequence[Proposal]) -> bool:
    if held.sync is not None:
        return space.repo.resolve(space.network.spec(held.sync.node).head_ref) == held.sync.new_head
    if held.propose is not None:
        change = held.propose.change_id
        return any(p.change_id == change and p.state == ProposalState.OPEN for p in listed)
    return False


def _remembered(space: Workspace, forge: Forge) -> int | None:
    number = space.store.fact(_remembered_key(space, forge))
    return number if isinstance(number, int) and not isinstance(number, bool) else None


def _remembered_key(space: Workspace, forge: Forge) -> str:
    return f"dashboard:{space.network.name}:{forge.name}:number"


def _done_key(space: Workspace, action_id: str) -> str:
    return f"dashboard:{space.network.name}:done:{action_id}"
