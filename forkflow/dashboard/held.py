"""The actions the policy plans but holds for a person, and how a ticked one joins the run's plan.

Two kinds are held: a sync by force (a central-tier node with commits its parent lacks, where
the tier's ``force_reset`` allows a reset), and a proposal over ``bubble_up.max_proposals``.
Each has an id derived from the plan, so the same held action has the same id run after run
and a ticked box is recognised: ``sync-force:<node>:<its head>`` (a node that moved on is a
new decision) and ``propose:<change id>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from forkflow.gitrepo import Person
from forkflow.propose.bubble_up import Action, ProposalPlan, Step
from forkflow.sync import SyncAction, SyncStep, plan_sync
from forkflow.workspace import Workspace

ACTION_ID = r"[A-Za-z0-9._:-]{1,160}"


@dataclass(frozen=True)
class Held:
    """One action held for a person: its id, what it does in words, and what the run does when it is ticked."""

    id: str
    text: str
    sync: SyncAction | None = None
    propose: Action | None = None


def held_actions(
    space: Workspace, syncs: list[SyncAction], plan: ProposalPlan, *, committer: Person, now: datetime
) -> list[Held]:
    """The held actions of this run's plan, syncs first, in the plan's order."""
    found = [held for action in syncs if (held := _forced_sync(space, action, committer, now)) is not None]
    for action in plan.actions:
        draft = action.held
        if action.step == Step.SKIP and draft is not None:
            step = Step.REOPEN if draft.number else Step.OPEN
            text = f"propose {one_line(draft.title)!r} to {draft.target}: {action.reason}"
            released = Action(step, action.change_id, "released on the dashboard", draft)
            found.append(Held(f"propose:{_safe(action.change_id)}", text, propose=released))
    return found


def _forced_sync(space: Workspace, action: SyncAction, committer: Person, now: datetime) -> Held | None:
    """The reset a refused fast-forward would be with ``--force``, when the policy allows it."""
    if action.step != SyncStep.REFUSED or action.old_head is None or action.parent_head is None:
        return None
    forced = plan_sync(
        space.network, space.repo, space.policy, [], only=[action.node], force=True, committer=committer, now=now
    )
    if len(forced) != 1 or forced[0].step != SyncStep.RESET or forced[0].old_head != action.old_head:
        return None  # the policy does not allow it (force_reset = false), or the node is not fetched
    parent = space.network.parent(action.node)
    text = f"sync {parent} -> {action.node} by force: {forced[0].reason}"
    return Held(f"sync-force:{_safe(action.node)}:{action.old_head[:12]}", text, sync=forced[0])


def release(ticked: list[Held], syncs: list[SyncAction], plan: ProposalPlan) -> tuple[list[SyncAction], ProposalPlan]:
    """The plan with the ticked held actions in place of the actions that held them."""
    forced = {held.sync.node: held.sync for held in ticked if held.sync is not None}
    proposed = {held.propose.change_id: held.propose for held in ticked if held.propose is not None}
    new_syncs = [forced.get(action.node, action) for action in syncs]
    actions = [proposed[a.change_id] if a.step == Step.SKIP and a.change_id in proposed else a for a in plan.actions]
    return new_syncs, replace(plan, actions=actions)


def one_line(text: str) -> str:
    """Text from a commit or a node on one line, so it cannot start a line of the dashboard's own."""
    return " ".join(text.split())


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", part)[:100]
