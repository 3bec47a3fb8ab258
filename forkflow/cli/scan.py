"""forkflow fetch and forkflow scan."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import click
from rich.markup import escape

from forkflow.cli._common import (
    now_utc,
    open_space,
    print_scan,
    progress_bar,
    run_scan,
    run_scan_document,
    workspace_options,
)
from forkflow.cli.errors import ShardType, handle_errors, require_nodes
from forkflow.credential import Credential
from forkflow.exitcodes import EXIT_ERROR
from forkflow.model import Problem, report_schema
from forkflow.needs.figure import Weight, reweigh
from forkflow.network.fetch import FetchResult, FetchStep, apply_fetch, plan_fetch
from forkflow.network.shard import Shard
from forkflow.report.document import security_line
from forkflow.scan.cached import report_json
from forkflow.scan.shards import DEFAULT_RUN
from forkflow.security.coverage import SecurityReport
from forkflow.workspace import Workspace


@click.command()
@workspace_options
@click.option("--node", "nodes", multiple=True, metavar="NAME", help="Fetch only this node (repeatable).")
@click.option("--dry-run", is_flag=True, help="Print what would be fetched, fetch nothing.")
@click.option(
    "--shard", "shard", type=ShardType(), metavar="K/N", help="Fetch shard K of N's nodes, their parents and central."
)
def fetch(repo: Path, manifest: Path | None, nodes: tuple[str, ...], dry_run: bool, shard: Shard | None) -> None:
    """Bring every node named by url up to date in the working repository.

    Each node's branch lands in refs/forkflow/nodes/<name>.  A node that cannot be fetched
    is reported with the reason and the others go on; the exit code is then 1.
    """
    with handle_errors():
        space = open_space(repo, manifest, writes=not dry_run, read_only=dry_run)
        require_nodes(nodes, space.network, "--node", lambda names: f"no node named {names} in {space.manifest.path}")
        wanted = set(nodes) if nodes else None
        if shard is not None:
            wanted = (wanted or set()) | set(shard.fetched(space.network))
        steps = plan_fetch(space.network, wanted)
        if dry_run:
            for step in steps:
                click.echo(
                    f"would fetch {step.node}: {step.url} {step.branch or '(default branch)'} -> {step.dest_ref}"
                )
            click.echo(f"{len(steps)} node(s) to fetch; nothing was fetched (--dry-run)")
            return
        results = run_fetch(space, steps)
        if any(not result.ok for result in results):
            sys.exit(EXIT_ERROR)


def run_fetch(space: Workspace, steps: list[FetchStep]) -> list[FetchResult]:
    manifest = space.manifest.path
    with progress_bar() as progress:
        overall = progress.add_task("fetching", total=len(steps))

        def on_start(step: FetchStep) -> Callable[[int, int], None]:
            progress.update(overall, description=f"fetching {step.node}")

            def objects(received: int, total: int) -> None:
                progress.update(overall, description=f"fetching {step.node} ({received}/{total} objects)")

            return objects

        def on_done(result: FetchResult) -> None:
            progress.advance(overall)
            step = result.step
            if result.ok and result.outcome is not None:
                state = "updated" if result.outcome.updated else "up to date"
                progress.console.print(escape(f"{step.node}: {state} at {result.outcome.head[:12]}"))
            else:
                line = escape(f"{manifest}: node {step.node!r}: field 'url': {result.error}")
                progress.console.print(f"[red]error:[/red] {line}")

        # Private forks on the forge: the token answers git's question on the forge's host, as the bot's fetch does.
        credential = Credential.from_env(os.environ, forge=space.manifest.network.forge)
        results = apply_fetch(space.repo, steps, on_start=on_start, on_done=on_done, credential=credential)
    failed = sum(not result.ok for result in results)
    click.echo(
        f"fetched {len(results) - failed} of {len(results)} node(s)" + (f"; {failed} failed" if failed else ""),
        err=True,
    )
    return results


@click.command()
@workspace_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (format: docs/scan-report.md).")
@click.option("--markdown", is_flag=True, help="Print the report as Markdown.")
@click.option("--no-cache", is_flag=True, help="Recompute everything instead of reading the store's cache.")
@click.option("--schema", is_flag=True, help="Print the JSON Schema of the --json report and exit.")
@click.option(
    "--weight",
    type=click.Choice(["changes", "lines"]),
    default="changes",
    show_default=True,
    help="A need weighs 1 (changes) or its changed lines (lines).",
)
@click.option(
    "--shard",
    "shard",
    type=ShardType(),
    metavar="K/N",
    help="Compare only shard K of N's nodes; results go to the store.",
)
@click.option("--collect", is_flag=True, help="Assemble the report from the shards' results in the store.")
@click.option(
    "--dask",
    "dask",
    metavar="ADDRESS",
    help="Run the shards as tasks on this Dask scheduler (tcp://host:8786), then collect; needs a shared --store.",
)
@click.option(
    "--shards",
    type=click.IntRange(min=1),
    metavar="N",
    help="With --dask: how many shards (default: one per worker thread).",
)
@click.option(
    "--run-id",
    metavar="ID",
    envvar=["FORKFLOW_RUN_ID", "GITHUB_RUN_ID"],
    default=DEFAULT_RUN,
    show_default=True,
    help="Which run's shards --shard records and --collect reads (env FORKFLOW_RUN_ID, else GITHUB_RUN_ID).",
)
def scan(
    repo: Path,
    manifest: Path | None,
    as_json: bool,
    markdown: bool,
    no_cache: bool,
    schema: bool,
    weight: str,
    shard: Shard | None,
    collect: bool,
    dask: str | None,
    shards: int | None,
    run_id: str,
) -> None:
    """Measure how far every node has drifted from its parent.

    For each node: ahead/behind (as git rev-list --left-right --count), the merge base and
    its age, the carried and upstreamed commits (as git cherry), the size of the carried
    changes, and the files that would conflict if the parent were merged now.  Exit code 1
    when some node could not be scanned (each is named on stderr).
    """
    if schema:
        click.echo(json.dumps(report_schema(), indent=2, sort_keys=True))
        return
    _refuse_option_mixes(as_json, markdown, no_cache, shard, collect, dask, shards)
    with handle_errors():
        space = open_space(repo, manifest)
        if shard is not None:
            _scan_one_shard(space, shard, run_id)
            return
        if dask is not None:
            _scan_on_cluster(space, dask, shards, run_id)
            collect = True
        problems = _scan_and_print(space, as_json, markdown, Weight(weight), no_cache, run_id if collect else None)
        for problem in problems:
            click.echo(f"error: {problem.line(str(space.manifest.path))}", err=True)
        if problems:
            sys.exit(EXIT_ERROR)


def _refuse_option_mixes(
    as_json: bool,
    markdown: bool,
    no_cache: bool,
    shard: Shard | None,
    collect: bool,
    dask: str | None,
    shards: int | None,
) -> None:
    if as_json and markdown:
        raise click.UsageError("choose one of --json and --markdown")
    if shards is not None and dask is None:
        raise click.UsageError("--shards goes with --dask (one machine's shards: --shard K/N)")
    if dask is not None and (shard is not None or collect):
        raise click.UsageError("--dask runs the shards and collects; leave out --shard and --collect")
    if (collect or dask is not None) and no_cache:
        raise click.UsageError("--collect reads the store; it cannot go with --no-cache")


def _scan_one_shard(space: Workspace, shard: Shard, run_id: str) -> None:
    from forkflow.scan.shards import scan_shard

    done = scan_shard(space.network, space.repo, space.store, shard, run_id=run_id, policy=space.policy)
    click.echo(f"shard {shard} of run {run_id}: {len(done)} node(s) compared, results in {space.store.location}")


def _scan_and_print(
    space: Workspace, as_json: bool, markdown: bool, weight: Weight, no_cache: bool, run: str | None
) -> list[Problem]:
    """Scan (or collect ``run``), print the report with its security section, and return the nodes' problems.

    The terminal shows the nodes past a security deadline first, above the table.
    """
    if as_json and weight == Weight.CHANGES:  # the report's own weight: no model needed
        document = run_scan_document(space, use_cache=not no_cache, collect_run=run)
        click.echo(with_security(document.text, _security(space, no_cache)))
        return list(document.problems)
    report = reweigh(run_scan(space, use_cache=not no_cache, collect_run=run), weight)
    security = _security(space, no_cache)
    if as_json:
        click.echo(with_security(report_json(report.model_dump(mode="json")), security))
        return list(report.problems)
    if not markdown and security is not None:
        for c in (c for c in security.coverage if c.overdue):
            deadline = c.deadline.date().isoformat() if c.deadline else ""
            click.secho(f"OVERDUE: {c.node} lacks security fix {c.fix} for {c.days} day(s), past {deadline}", fg="red")
    print_scan(report, markdown=markdown)
    if not markdown and security is not None and security.fixes:
        click.echo(security_line(security).replace("**", ""))
    return list(report.problems)


def _security(space: Workspace, no_cache: bool) -> SecurityReport | None:
    """Who lacks which security fix (the store's answer for these heads, unless --no-cache)."""
    from forkflow.security.coverage import network_security

    store = None if no_cache else space.store
    return network_security(space.repo, space.network, space.policy, now_utc(), store=store)


def with_security(text: bytes, security: SecurityReport | None) -> bytes:
    """The report's ``--json`` text with its ``security`` section last (none when no fix is marked)."""
    if security is None or not security.fixes:
        return text
    section = report_json(security.model_dump(mode="json") | {"percent": security.percent})
    body = text.rstrip()
    return body[:-1].rstrip() + b',\n  "security": ' + section.replace(b"\n", b"\n  ") + b"\n}"


def _scan_on_cluster(space: Workspace, address: str, shards: int | None, run_id: str) -> None:
    from forkflow.scale.dask_cluster import ShardDone, scan_on_cluster

    def done(outcome: ShardDone) -> None:
        click.echo(f"shard {outcome.shard}: {outcome.compared} node(s) compared", err=True)
        for problem in outcome.problems:
            click.echo(f"error: shard {outcome.shard}: {problem}", err=True)

    scan_on_cluster(space, address, shards=shards, run_id=run_id, on_done=done)
