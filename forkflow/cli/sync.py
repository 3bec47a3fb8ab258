"""The command line for carrying updates down: sync."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from forkflow.cli._common import chosen_forge, forge_option, now_utc, open_space, workspace_options
from forkflow.cli.errors import handle_errors, require_nodes
from forkflow.credential import Credential
from forkflow.exitcodes import EXIT_ERROR, EXIT_FINDING
from forkflow.problems import StepProblem
from forkflow.propose.bubble_up import committer_for
from forkflow.sync import SyncAction, SyncStep, apply_sync, plan_sync, subtree
from forkflow.workspace import Workspace


@click.command()
@workspace_options
@forge_option()
@click.option("--node", "nodes", multiple=True, metavar="NAME", help="Sync only this node (repeatable).")
@click.option("--subtree", "subtrees", multiple=True, metavar="NAME", help="Sync this node and all beneath it.")
@click.option("--force", is_flag=True, help="Reset central-tier nodes with local commits (their head is kept).")
@click.option("--dry-run", is_flag=True, help="Print the plan; move nothing, open nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def sync(
    repo: Path,
    manifest: Path | None,
    forge_kind: str | None,
    nodes: tuple[str, ...],
    subtrees: tuple[str, ...],
    force: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Carry every parent's head down to its nodes, as each node's tier says, parents first.

    central tier: fast-forward (a node with local commits is refused unless --force, which
    keeps its old head under refs/forkflow/backup/); decentralized: a proposal that merges the
    parent into the node (forkflow/sync/<sha>); developer: nothing.  A node that fails (its push
    is refused, say) is reported and the others go on.  Exit code 1 when a node failed; else 4
    when a node was refused.
    """
    with handle_errors():
        space = open_space(repo, manifest, writes=not dry_run, read_only=dry_run)
        only = _chosen_nodes(space, nodes, subtrees)
        forge = chosen_forge(space, forge_kind)
        now = now_utc()
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
        problems: list[StepProblem] = list(forge.problems)  # proposals whose record cannot be read
        if not dry_run:
            credential = Credential.from_env(
                os.environ, forge=forge.name
            )  # a node's server that asks: the forge's host only
            apply_sync(actions, space.repo, space.manifest, forge, now, problems, credential=credential)
        _print(actions, problems, dry_run=dry_run, as_json=as_json)
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        if problems or any(action.step == SyncStep.FAILED for action in actions):
            sys.exit(EXIT_ERROR)
        if any(action.step == SyncStep.REFUSED for action in actions):
            sys.exit(EXIT_FINDING)


def _chosen_nodes(space: Workspace, nodes: tuple[str, ...], subtrees: tuple[str, ...]) -> set[str] | None:
    """The nodes --node and --subtree name (None: every node); a name the manifest lacks is a usage error."""
    known = {spec.name for spec in space.manifest.nodes}

    def unknown(names: str) -> str:
        return f"no node is named {names} in {space.manifest.path}"

    require_nodes(nodes, known, "--node", unknown)
    require_nodes(subtrees, known, "--subtree", unknown)
    if not nodes and not subtrees:
        return None
    return set(nodes).union(*(subtree(space.network, name) for name in subtrees))


def _print(actions: list[SyncAction], problems: list[StepProblem], *, dry_run: bool, as_json: bool) -> None:
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
        failures = [problem.model_dump(mode="json") for problem in problems]
        click.echo(json.dumps({"dry_run": dry_run, "actions": rows, "problems": failures}, indent=2))
        return
    for action in actions:
        click.echo(f"{action.step.value:<13} {action.node}: {action.reason}")
    failed = {problem.node for problem in problems} | {a.node for a in actions if a.step == SyncStep.FAILED}
    counts = {step: sum(1 for a in actions if a.step == step and a.node not in failed) for step in SyncStep}
    moved = counts[SyncStep.FAST_FORWARD] + counts[SyncStep.RESET]
    summary = (
        f"{moved} moved, {counts[SyncStep.PROPOSE]} proposed, {counts[SyncStep.KEEP]} already proposed, "
        f"{counts[SyncStep.UP_TO_DATE]} up to date, {counts[SyncStep.REFUSED]} refused"
    )
    if failed:
        summary += f", {len(failed)} failed"
    click.echo(("dry run: " if dry_run else "") + summary)
