"""forkflow security: which nodes still lack each security fix central ships."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from forkflow.cli._common import now_utc, open_space, workspace_options
from forkflow.cli.errors import handle_errors
from forkflow.errors import GitError
from forkflow.exitcodes import EXIT_ERROR, EXIT_FINDING
from forkflow.problems import StepProblem

if TYPE_CHECKING:
    from forkflow.security.backport import BackportAction
    from forkflow.security.coverage import SecurityReport
    from forkflow.workspace import Workspace


@click.command()
@workspace_options
@click.option("--json", "as_json", is_flag=True, help="Print every fix and its coverage (and the backports) as JSON.")
@click.option("--backport", is_flag=True, help="Open a proposal of only the fix for each node that lacks one.")
@click.option("--dry-run", is_flag=True, help="With --backport: show the proposals, open and close nothing.")
def security(repo: Path, manifest: Path | None, as_json: bool, backport: bool, dry_run: bool) -> None:
    """For every security fix central ships and every node: covered or not, and how.

    A fix is a commit of central's with a Forkflow-Security: trailer (an advisory id, or a
    label), or one listed in security.toml at central's head.  A node has it by ancestry, by
    an equal patch, or by a similar change; or is not affected (the files the fix changes, or
    the lines it removes, are absent).  Exit code 4 when a node is past its tier's deadline
    (security.max_days in the policy).

    With --backport, each node that lacks a fix, whatever its tier, gets a proposal that
    cherry-picks only the fix onto its head (label forkflow:security); it is refreshed when the
    node moves, never opened twice, and closed once the node has the fix by any route.
    """
    from forkflow.scan.nodes import resolve_heads
    from forkflow.security.coverage import network_security

    if dry_run and not backport:
        raise click.UsageError("--dry-run goes with --backport (forkflow security alone writes nothing)")
    writes = backport and not dry_run
    with handle_errors():
        space = open_space(repo, manifest, writes=writes, read_only=not writes)
        now = now_utc()
        heads, _ = resolve_heads(space.network, space.repo)
        found = network_security(space.repo, space.network, space.policy, now, store=space.store, heads=heads)
        if found is None:
            raise GitError(f"central ({space.network.root}) is not fetched yet; run `forkflow fetch`")
        document: dict[str, object] = found.model_dump(mode="json") | {"percent": found.percent}
        problems: list[StepProblem] = []
        actions: list[BackportAction] = []
        if backport:
            actions = _backports(space, found, heads, now, dry_run, problems)
            document["backports"] = [_row(a) for a in actions]
            document["problems"] = [p.model_dump(mode="json") for p in problems]
        if as_json:
            click.echo(json.dumps(document, indent=2))
        else:
            _print(found)
            verb = "would " if dry_run else ""
            for a in actions:
                click.echo(f"{verb}{a.step.value:<7} {a.node}: {a.fix}: {a.reason}")
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        if problems:
            sys.exit(EXIT_ERROR)
        if any(c.overdue for c in found.coverage):
            sys.exit(EXIT_FINDING)


def _backports(
    space: Workspace,
    found: SecurityReport,
    heads: dict[str, str | None],
    now: datetime,
    dry_run: bool,
    problems: list[StepProblem],
) -> list[BackportAction]:
    from forkflow.bot import mover
    from forkflow.credential import Credential
    from forkflow.forge.local import LocalForge
    from forkflow.propose.bubble_up import committer_for
    from forkflow.security.backport import apply_backports, plan_backports

    forge = LocalForge(space.repo, space.store, space.manifest)
    committer, central = committer_for(space.repo), space.policy.security.central
    actions = plan_backports(space.repo, found, heads, forge.proposals(), committer=committer, now=now, central=central)
    problems += forge.problems
    if not dry_run:
        credential = Credential.from_env(
            os.environ, forge=space.manifest.network.forge
        )  # a node's server that asks: the forge's host only
        apply_backports(actions, forge, now, problems, mover(space, credential))
    return actions


def _row(action: BackportAction) -> dict[str, object]:
    p = action.proposal
    return {
        "node": action.node,
        "fix": action.fix,
        "step": action.step.value,
        "reason": action.reason,
        "number": action.number,
        "branch": p.branch if p else None,
        "head": p.head if p else None,
        "conflicts": p.conflicts if p else [],
    }


def _print(found: SecurityReport) -> None:
    if not found.fixes:
        click.echo("No security fixes marked (Forkflow-Security: trailer, or security.toml at central's head).")
        return
    for fix in found.fixes:
        click.echo(f"{fix.id}  published {fix.published.date()}  {len(fix.commits)} commit(s)  {fix.title}".rstrip())
        for c in (c for c in found.coverage if c.fix == fix.id):
            late = f", deadline {c.deadline.date()}" if c.deadline else ""
            state = {"covered": "covered", "not-affected": "not affected", "missing": "MISSING"}[c.status]
            tail = f" ({c.days} days{late}{', OVERDUE' if c.overdue else ''})" if c.status == "missing" else ""
            click.echo(f"  {c.node:<16} {state:<13} {c.how}{tail}")
    click.echo(
        f"Security coverage: {found.percent}% ({found.covered} of {found.total} fix x node); "
        f"longest exposure {found.longest_exposure} day(s)"
    )
