"""The command line for shared changes and proposals: shared, propose, proposals, contribute."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich import box
from rich.table import Table

from forkflow.cli._common import (
    chosen_forge,
    console_out,
    forge_option,
    now_utc,
    open_space,
    run_scan,
    workspace_options,
)
from forkflow.cli.errors import handle_errors
from forkflow.errors import NodeError
from forkflow.exitcodes import EXIT_ERROR, EXIT_FINDING
from forkflow.forge import Forge, Proposal
from forkflow.model import SharedChange
from forkflow.problems import StepProblem
from forkflow.propose.bubble_up import Action, ProposalPlan, Step, apply_plan, committer_for, plan_proposals
from forkflow.propose.contribute import plan_contribution, resolve_contribution
from forkflow.workspace import Workspace


def _forge(space: Workspace, kind: str | None) -> Forge:
    return chosen_forge(space, kind)


@click.command()
@workspace_options
@click.option("--json", "as_json", is_flag=True, help="Print the shared list of the scan report (JSON).")
def shared(repo: Path, manifest: Path | None, as_json: bool) -> None:
    """List the changes several nodes carry, biggest first.

    Exact: the same patch in several nodes; similar: changes that do the same thing to the
    same code (see README: "How similar changes are found").  A run of consecutive commits
    that the same nodes carry is one change (a series).
    """
    with handle_errors():
        space = open_space(repo, manifest)
        report = run_scan(space)
        if as_json:
            click.echo(json.dumps([change.model_dump(mode="json") for change in report.shared], indent=2))
            return
        console = console_out()
        if not report.shared:
            console.print("No shared changes: no two nodes carry the same or a similar change.")
            return
        console.print(_shared_table(report.shared))


def _shared_table(changes: list[SharedChange]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, title_justify="left")
    table.title = f"{len(changes)} shared change(s), biggest first"
    for column in ("id", "kind", "nodes", "commits", "+/-", "to", "change"):
        if column in ("commits", "+/-"):
            table.add_column(column, no_wrap=True, justify="right")
        else:
            table.add_column(column, no_wrap=column != "change")
    for change in changes:
        commits = len(change.variants[0].commits) if change.variants else len(change.commits)
        kind = change.kind if change.score is None else f"{change.kind} {change.score:.2f}"
        table.add_row(
            change.id,
            kind,
            str(len(change.nodes)),
            str(commits),
            f"+{change.insertions} -{change.deletions}" if change.readable else "?",
            change.target or "",
            f"{change.summary}\n[dim]{', '.join(change.nodes)}[/dim]",
        )
    return table


@click.command()
@workspace_options
@forge_option()
@click.option("--dry-run", is_flag=True, help="Print the plan; open, update or mark nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan (or what was done) as JSON.")
def propose(repo: Path, manifest: Path | None, forge_kind: str | None, dry_run: bool, as_json: bool) -> None:
    """Open one bubble-up proposal per shared change that the policy says is ready.

    Each goes to the carriers' nearest common ancestor, on a branch forkflow/bubble-up/<id>
    built in memory from the variant that applies cleanly.  Re-running opens nothing twice;
    proposals whose change reached the target are marked merged.  A proposal that fails is
    reported and the others go on; the exit code is then 1.
    """
    with handle_errors():
        space = open_space(repo, manifest, writes=not dry_run, read_only=dry_run)
        report = run_scan(space)
        forge = _forge(space, forge_kind)
        now = now_utc()
        plan = plan_proposals(
            report,
            space.network,
            space.repo,
            space.policy,
            forge.proposals(),
            committer=committer_for(space.repo),
            now=now,
        )
        problems: list[StepProblem] = list(forge.problems)  # proposals whose record cannot be read
        done = [] if dry_run else apply_plan(plan, forge, now, problems)
        _print_plan(plan, done, problems, dry_run=dry_run, as_json=as_json)
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        if problems or plan.of(Step.FAILED):
            sys.exit(EXIT_ERROR)


_VERB = {
    Step.OPEN: "open",
    Step.UPDATE: "update",
    Step.REOPEN: "reopen",
    Step.MERGED: "merged",
    Step.SKIP: "skip",
    Step.FAILED: "failed",
}


def _print_plan(
    plan: ProposalPlan, done: list[Proposal], problems: list[StepProblem], *, dry_run: bool, as_json: bool
) -> None:
    numbers = {proposal.change_id: proposal.number for proposal in done}
    if as_json:
        rows = [
            {
                "step": action.step.value,
                "change": action.change_id,
                "reason": action.reason,
                "number": numbers.get(action.change_id) or (action.proposal.number if action.proposal else 0) or None,
                "proposal": action.proposal.model_dump(mode="json") if action.proposal else None,
            }
            for action in plan.actions
        ]
        failures = [problem.model_dump(mode="json") for problem in problems]
        click.echo(json.dumps({"dry_run": dry_run, "actions": rows, "problems": failures}, indent=2))
        return
    for action in plan.actions:
        click.echo(_plan_line(action, numbers.get(action.change_id)))
    failed = {problem.item for problem in problems} | {action.change_id for action in plan.of(Step.FAILED)}

    def count(step: Step) -> int:
        return sum(1 for action in plan.of(step) if action.change_id not in failed)

    summary = (
        f"{count(Step.OPEN) + count(Step.REOPEN)} to open, {count(Step.UPDATE)} to update, {count(Step.MERGED)} merged"
    )
    if failed:
        summary += f", {len(failed)} failed"
    click.echo(("dry run: " if dry_run else "") + summary)


def _plan_line(action: Action, opened: int | None) -> str:
    number = opened or (action.proposal.number if action.proposal else 0)
    label = f"#{number} " if number else ""
    line = f"{_VERB[action.step]:<7} {label}{action.change_id}: "
    if action.proposal is None or action.step in (Step.MERGED, Step.SKIP, Step.FAILED):
        return line + action.reason
    line += action.proposal.title
    if action.proposal.head is None:
        line += f"  [no clean variant: conflicts in {', '.join(action.proposal.conflicts)}]"
    return line + f"  -> {action.proposal.target}  ({action.reason})"


@click.group()
def proposals() -> None:
    """List, show, close and merge the proposals forkflow opened (on the chosen forge: --forge)."""


@proposals.command("list")
@workspace_options
@forge_option()
@click.option("--state", type=click.Choice(["open", "merged", "closed", "all"]), default="all", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print them as JSON.")
def list_proposals(repo: Path, manifest: Path | None, forge_kind: str | None, state: str, as_json: bool) -> None:
    """Every proposal, oldest first."""
    with handle_errors():
        space = open_space(repo, manifest, read_only=True)
        found = [p for p in _forge(space, forge_kind).proposals() if state in ("all", p.state)]
        if as_json:
            click.echo(json.dumps([p.model_dump(mode="json") for p in found], indent=2))
            return
        if not found:
            click.echo("No proposals yet; `forkflow propose` opens them.")
        for p in found:
            click.echo(f"#{p.number:<3} {p.state:<6} {p.target:<14} {len(p.carriers)} nodes  {p.title}  [{p.branch}]")


@proposals.command("show")
@workspace_options
@forge_option()
@click.argument("number", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON.")
def show_proposal(repo: Path, manifest: Path | None, forge_kind: str | None, number: int, as_json: bool) -> None:
    """One proposal: its title, state, branch and the body a maintainer reads."""
    with handle_errors():
        p = _forge(open_space(repo, manifest, read_only=True), forge_kind).get(number)
        if as_json:
            click.echo(json.dumps(p.model_dump(mode="json"), indent=2))
            return
        click.echo(f"#{p.number} {p.title}")
        click.echo(f"state: {p.state}   target: {p.target}   branch: {p.branch}   head: {p.head or '(none)'}")
        click.echo(f"carriers: {', '.join(p.carriers)}\n")
        click.echo(p.body, nl=False)


@proposals.command("close")
@workspace_options
@forge_option()
@click.argument("number", type=int)
def close_proposal(repo: Path, manifest: Path | None, forge_kind: str | None, number: int) -> None:
    """Close a proposal; it is not reopened unless more nodes come to carry its change."""
    with handle_errors():
        forge = _forge(open_space(repo, manifest, writes=True), forge_kind)
        p = forge.close(number, now_utc().isoformat(timespec="seconds"))
        click.echo(f"closed #{p.number}: {p.title}")


@proposals.command("merge")
@workspace_options
@forge_option()
@click.argument("number", type=int)
@click.option("--dry-run", is_flag=True, help="Say what would be merged where; write nothing.")
def merge_proposal(repo: Path, manifest: Path | None, forge_kind: str | None, number: int, dry_run: bool) -> None:
    """Merge a proposal into its target node, as a maintainer's merge button would."""
    with handle_errors():
        space = open_space(repo, manifest, writes=not dry_run, read_only=dry_run)
        forge = _forge(space, forge_kind)
        p = forge.get(number)
        if dry_run:
            click.echo(f"would merge #{p.number} ({p.branch}, {p.head}) into {p.target}")
            return
        done = forge.merge(number, committer=committer_for(space.repo), when=int(now_utc().timestamp()))
        click.echo(f"merged #{done.number} into {done.target} as {done.merge_commit}: {done.title}")


@click.command()
@workspace_options
@forge_option()
@click.argument("revs", nargs=-1, metavar="[COMMITS|BRANCH]")
@click.option("--node", help="The node the commits belong to (default: the node whose head is HEAD).")
@click.option("--to", "to", metavar="PARENT|central", help="Propose to this node (default: the node's parent).")
@click.option("--dry-run", is_flag=True, help="Show what would be proposed; open nothing.")
def contribute(
    repo: Path,
    manifest: Path | None,
    forge_kind: str | None,
    revs: tuple[str, ...],
    node: str | None,
    to: str | None,
    dry_run: bool,
) -> None:
    """Propose one node's own change upstream, before anyone else carries it.

    With a BRANCH (or nothing: HEAD), every commit of it that the target lacks; with COMMITS,
    those.  The proposal credits other nodes that carry the same or a similar change.  Exit code 4
    when it does not apply cleanly on the target (the proposal is opened all the same, to resolve).
    """
    with handle_errors(usage=(NodeError,)):
        space = open_space(repo, manifest, writes=not dry_run, read_only=dry_run)
        report = run_scan(space)
        forge = _forge(space, forge_kind)
        name, target, commits = resolve_contribution(space.repo, space.network, report, list(revs), node, to)
        action, change = plan_contribution(
            report,
            space.network,
            space.repo,
            space.store,
            space.policy,
            forge.proposals(),
            node=name,
            target=target,
            commits=commits,
            committer=committer_for(space.repo),
            now=now_utc(),
        )
        click.echo(f"{len(commits)} commit(s) of {name} -> {target}: {change.summary}")
        _print_what_it_touches(space, change, name)
        if action.step == Step.SKIP or action.proposal is None:
            click.echo(f"nothing to open: {action.reason}")
            return
        if action.proposal.head is None:
            click.echo(f"it does not apply cleanly on {target}: conflicts in {', '.join(action.proposal.conflicts)}")
        if dry_run:
            click.echo(f"dry run: would open {action.proposal.title!r} on {action.proposal.branch}")
        else:
            opened = forge.open(action.proposal)
            click.echo(f"opened #{opened.number}: {opened.title} [{opened.branch}]")
        if action.proposal.head is None:  # a finding: the conflicts are for a person to resolve
            sys.exit(EXIT_FINDING)


def _print_what_it_touches(space: Workspace, change: SharedChange, name: str) -> None:
    others = [n for n in change.nodes if n != name]
    if others:
        click.echo(f"also carried by: {', '.join(others)} (credited in the proposal)")
    protected = space.policy.protected(change.paths)
    if protected:
        click.echo(f"touches protected paths ({space.policy.source}): {', '.join(protected)}")
