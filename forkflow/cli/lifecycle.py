"""The command line for the life of nodes: provision, merge, retire."""

from __future__ import annotations

from pathlib import Path

import click

from forkflow.cli._common import chosen_forge, forge_option, now_utc, open_space, run_scan, workspace_options
from forkflow.cli.errors import handle_errors
from forkflow.errors import NodeError
from forkflow.lifecycle import LifePlan, apply_lifecycle, plan_merge, plan_provision, plan_retire
from forkflow.model import ScanReport
from forkflow.propose.bubble_up import committer_for
from forkflow.workspace import Workspace

YES = click.option("--yes", "-y", is_flag=True, help="Do it without asking.")
DRY_RUN = click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")


def _planning_scan(space: Workspace) -> ScanReport:
    """The scan merge and retire plan from, kept out of the history: a run stopped half-way and
    run again scans a network that holds the merged node beside both nodes it replaces (or a
    retiring node whose children moved up already), whose figures count changes twice."""
    return run_scan(space, record=False)


def _carry_out(plan: LifePlan, *, yes: bool, dry_run: bool) -> None:
    """Print the plan, ask (unless --yes), and run the steps not done yet."""
    click.echo(f"{plan.command}:")
    for step in plan.steps:
        click.echo(f"  {'done ' if step.done else '- '} {step.what}")
    for problem in plan.problems:
        click.echo(f"  problem: {problem}")
    if plan.problems:
        raise click.ClickException("nothing was changed; resolve the problems above first")
    if not plan.pending:
        click.echo("nothing to do: every step is done")
        return
    if dry_run:
        click.echo(f"dry run: {len(plan.pending)} step(s) would run")
        return
    if not yes and not click.confirm("Go ahead?", default=False):
        click.echo("nothing was changed")
        return
    for what in apply_lifecycle(plan):
        click.echo(f"done: {what}")


@click.command()
@workspace_options
@click.argument("name")
@click.option("--parent", required=True, help="The node it descends from.")
@click.option("--tier", type=click.Choice(["central", "decentralized", "developer"]), default="decentralized")
@click.option("--path", "path", type=click.Path(path_type=Path), help="Where its repository goes (local forge).")
@forge_option()
@click.option("--org", help="With --forge github: the organisation the fork goes to (default: the token's user).")
@click.option("--namespace", help="With --forge gitlab: the group the fork goes to (default: the token's user).")
@YES
@DRY_RUN
def provision(
    repo: Path,
    manifest: Path | None,
    name: str,
    parent: str,
    tier: str,
    path: Path | None,
    forge_kind: str | None,
    org: str | None,
    namespace: str | None,
    yes: bool,
    dry_run: bool,
) -> None:
    """Create a node from its parent's head and add it to forkflow.toml (comments and order kept).

    Local forge: a new repository at --path.  GitHub forge: a fork of the parent's repository
    (into --org).  GitLab forge: a fork of the parent's project into the group --namespace,
    waited for until GitLab has copied it.
    """
    with handle_errors(usage=(NodeError,)):
        space = open_space(repo, manifest, writes=not dry_run, read_only=dry_run)
        kind = forge_kind or space.manifest.network.forge or "local"
        if kind == "local" and path is None:
            raise click.UsageError(
                "say where the node's repository goes: --path PATH, or --org ORG with the GitHub forge"
            )
        if (namespace is not None and kind == "github") or (org is not None and kind == "gitlab"):
            raise click.UsageError("--org goes with --forge github, --namespace with --forge gitlab")
        github = chosen_forge(space, kind) if kind in ("github", "gitlab") else None
        where = path.resolve() if path is not None else None
        group = namespace if kind == "gitlab" else org
        plan = plan_provision(space, name, parent, tier, where, github=github, organization=group)  # type: ignore[arg-type]
        _carry_out(plan, yes=yes, dry_run=dry_run)


@click.command("merge")
@workspace_options
@click.argument("first")
@click.argument("second")
@click.option("--into", "into", required=True, help="The name of the merged node.")
@click.option("--path", "path", required=True, type=click.Path(path_type=Path), help="Where its repository goes.")
@click.option("--prefer", help="On a conflict, keep this node's commit and leave the other's out.")
@YES
@DRY_RUN
def merge_nodes(
    repo: Path,
    manifest: Path | None,
    first: str,
    second: str,
    into: str,
    path: Path,
    prefer: str | None,
    yes: bool,
    dry_run: bool,
) -> None:
    """Merge two nodes into a new one carrying both nodes' changes once; their children move under it."""
    with handle_errors(usage=(NodeError,)):
        space = open_space(repo, manifest, writes=not dry_run, read_only=dry_run)
        report = _planning_scan(space)
        plan = plan_merge(
            space,
            report,
            first,
            second,
            into,
            path.resolve(),
            prefer=prefer,
            committer=committer_for(space.repo),
            now=now_utc(),
        )
        _carry_out(plan, yes=yes, dry_run=dry_run)


@click.command()
@workspace_options
@click.argument("name")
@forge_option()
@YES
@DRY_RUN
def retire(repo: Path, manifest: Path | None, name: str, forge_kind: str | None, yes: bool, dry_run: bool) -> None:
    """Retire a node: propose what it still carries to its parent, move its children up, archive its head."""
    with handle_errors(usage=(NodeError,)):
        space = open_space(repo, manifest, writes=not dry_run, read_only=dry_run)
        report = _planning_scan(space)
        kind = forge_kind or space.manifest.network.forge or "local"
        forge = chosen_forge(space, kind)
        github = forge if kind in ("github", "gitlab") else None
        committer = committer_for(space.repo)
        plan = plan_retire(space, report, forge, name, committer=committer, now=now_utc(), github=github)  # type: ignore[arg-type]
        _carry_out(plan, yes=yes, dry_run=dry_run)
