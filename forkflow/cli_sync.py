"""The command line for carrying updates down: sync."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from forkflow.check import EXIT_VIOLATIONS
from forkflow.cli import _errors, _now, _workspace_options, main, open_space
from forkflow.errors import ForkflowError
from forkflow.forge.local import LocalForge
from forkflow.propose import committer_for
from forkflow.sync import SyncAction, SyncStep, apply_sync, plan_sync, subtree


@main.command()
@_workspace_options
@click.option("--node", "nodes", multiple=True, metavar="NAME", help="Sync only this node (repeatable).")
@click.option("--subtree", "subtrees", multiple=True, metavar="NAME", help="Sync this node and all beneath it.")
@click.option("--force", is_flag=True, help="Reset central-tier nodes with local commits (their head is kept).")
@click.option("--dry-run", is_flag=True, help="Print the plan; move nothing, open nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def sync(
    repo: Path,
    manifest: Path | None,
    nodes: tuple[str, ...],
    subtrees: tuple[str, ...],
    force: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Carry every parent's head down to its nodes, as each node's tier says, parents first.

    central tier: fast-forward (a node with local commits is refused unless --force, which
    keeps its old head under refs/forkflow/backup/); decentralized: a proposal that merges the
    parent into the node (forkflow/sync/<sha>); developer: nothing.  Exit code 4 when a node was
    refused.
    """
    with _errors():
        space = open_space(repo, manifest, writes=not dry_run)
        known = {spec.name for spec in space.manifest.nodes}
        for name in (*nodes, *subtrees):
            if name not in known:
                raise ForkflowError(f"no node is named {name!r} in {space.manifest.path}")
        only: set[str] | None = None
        if nodes or subtrees:
            only = set(nodes).union(*(subtree(space.network, name) for name in subtrees))
        forge = LocalForge(space.repo, space.store, space.manifest)
        now = _now()
        actions = plan_sync(
            space.network,
            space.repo,
            space.policy,
            forge.proposals(),
            only=only,
            force=force,
            committer=committer_for(space.repo),
            now=now,
        )
        if not dry_run:
            apply_sync(actions, space.repo, space.manifest, forge, now)
        _print(actions, dry_run=dry_run, as_json=as_json)
        if any(action.step == SyncStep.REFUSED for action in actions):
            sys.exit(EXIT_VIOLATIONS)


def _print(actions: list[SyncAction], *, dry_run: bool, as_json: bool) -> None:
    if as_json:
        rows = [
            {
                "node": a.node,
                "step": a.step.value,
                "reason": a.reason,
                "parent_head": a.parent_head,
                "old_head": a.old_head,
                "new_head": a.new_head,
                "backup": a.backup,
                "branch": a.proposal.branch if a.proposal else None,
                "conflicts": a.proposal.conflicts if a.proposal else [],
                "supersedes": a.supersedes,
            }
            for a in actions
        ]
        click.echo(json.dumps({"dry_run": dry_run, "actions": rows}, indent=2))
        return
    for action in actions:
        click.echo(f"{action.step.value:<13} {action.node}: {action.reason}")
    counts = {step: sum(1 for a in actions if a.step == step) for step in SyncStep}
    moved = counts[SyncStep.FAST_FORWARD] + counts[SyncStep.RESET]
    summary = (
        f"{moved} moved, {counts[SyncStep.PROPOSE]} proposed, {counts[SyncStep.KEEP]} already proposed, "
        f"{counts[SyncStep.UP_TO_DATE]} up to date, {counts[SyncStep.REFUSED]} refused"
    )
    click.echo(("dry run: " if dry_run else "") + summary)
