"""The command line.  The only module that prints, prompts or exits.

Exit codes (forkflow/exitcodes.py): 0 ok; 1 a forkflow error (a bad manifest, a node that could
not be fetched or scanned); 2 a usage error; 3 an unexpected error (the traceback goes to a
private log file, and a line says where); 4 a finding (policy violations, a refusal); 130
interrupted (SIGINT or SIGTERM).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from forkflow import __version__, faultpoints
from forkflow.cli_errors import ShardType, handle_errors, require_nodes, sigterm_interrupts
from forkflow.credential import Credential
from forkflow.errors import ExampleError, GitError
from forkflow.exitcodes import EXIT_ERROR, EXIT_FINDING
from forkflow.model import ScanReport, report_schema
from forkflow.needs.figure import Weight, reweigh, scan_summary
from forkflow.network.fetch import FetchResult, FetchStep, apply_fetch, plan_fetch
from forkflow.network.shard import Shard
from forkflow.report.render import scan_markdown, scan_table, summary_lines
from forkflow.scan.pipeline import DEFAULT_RUN, ScanDocument, report_json, scan_document
from forkflow.workspace import Workspace, open_workspace

F = TypeVar("F", bound=Callable[..., Any])

_errors = handle_errors
"""Every command runs inside it: failures become one line and an exit code (forkflow/cli_errors.py)."""


def _out() -> Console:
    # Piped output (CI logs, files) gets a fixed width unless COLUMNS says otherwise, so the
    # table is not squeezed into 80 columns.
    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 120
    return Console(soft_wrap=False, highlight=False, width=width)


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _progress(total: int | None = None) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_err(),
        transient=True,
        disable=not sys.stderr.isatty(),
    )


def _workspace_options(func: F) -> F:
    func = click.option(
        "--store",
        "store",
        metavar="PATH|URL",
        envvar="FORKFLOW_STORE",
        expose_value=False,
        callback=_remember_store,
        help="The store: a SQLite file or postgresql://user@host/db shared by many machines "
        "(default: the manifest's [network] store, else .forkflow/store.sqlite; env FORKFLOW_STORE).",
    )(func)
    func = click.option(
        "--manifest",
        "manifest",
        type=click.Path(dir_okay=False, path_type=Path),
        help="The manifest (default: forkflow.toml at the repository's root).",
    )(func)
    func = click.option(
        "--repo",
        "repo",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        show_default=True,
        help="The working repository (a clone, or a bare repository).",
    )(func)
    return func


def _remember_store(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    ctx.meta["forkflow.store"] = value


def open_space(repo: Path, manifest: Path | None, *, writes: bool = False) -> Workspace:
    """The workspace the command's options name (its --store included).

    With ``writes`` (a command that writes refs, proposals or the manifest), the repository's
    run lock (:mod:`forkflow.runlock`) is held from here to the end of the process: another
    writing run on this repository is waited for, and then planned after.
    """
    space = open_workspace(repo, manifest, store=click.get_current_context().meta.get("forkflow.store"))
    for note in space.store.notes:  # an older store brought up to date, a damaged one set aside
        click.echo(f"warning: {note}", err=True)
    if writes:
        from forkflow.runlock import hold_run_lock
        from forkflow.store.store import local_folder

        def waiting(holder: str) -> None:
            click.echo(f"waiting for {holder}: another forkflow run is writing to this repository", err=True)

        try:
            folder = local_folder(space.repo.git_dir, space.repo.workdir)
        except OSError as err:
            raise GitError(f"{err.filename}: forkflow cannot write here ({err.strerror})") from None
        hold_run_lock(folder / "run.lock", on_wait=waiting)
    return space


class _Main(click.Group):
    """The entry point: while a command runs, SIGTERM interrupts like SIGINT and no failure ends in a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        with sigterm_interrupts(), handle_errors():
            return super().invoke(ctx)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="forkflow")
def main() -> None:
    """forkflow keeps a network of forks of one product in order.

    A central repository holds the product; every college, department or developer runs a
    node (a fork) at a tier: central, decentralized or developer.  The network is described
    in forkflow.toml.  Start with `forkflow demo`, then `forkflow fetch` and `forkflow scan`
    in your own repository.
    """
    try:
        faultpoints.arm(os.environ)
    except ValueError as err:
        raise click.UsageError(str(err)) from None


@main.command()
@_workspace_options
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
    with _errors():
        space = open_space(repo, manifest, writes=not dry_run)
        require_nodes(
            nodes, space.network.graph, "--node", lambda names: f"no node named {names} in {space.manifest.path}"
        )
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
        results = _run_fetch(space, steps)
        if any(not result.ok for result in results):
            sys.exit(EXIT_ERROR)


def _run_fetch(space: Workspace, steps: list[FetchStep]) -> list[FetchResult]:
    manifest = space.manifest.path
    with _progress() as progress:
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

        # Private forks on GitHub: the token answers git's question on the forge's host, as the bot's fetch does.
        credential = Credential.from_env(os.environ)
        results = apply_fetch(space.repo, steps, on_start=on_start, on_done=on_done, credential=credential)
    failed = sum(not result.ok for result in results)
    click.echo(
        f"fetched {len(results) - failed} of {len(results)} node(s)" + (f"; {failed} failed" if failed else ""),
        err=True,
    )
    return results


@main.command()
@_workspace_options
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
    if as_json and markdown:
        raise click.UsageError("choose one of --json and --markdown")
    if shards is not None and dask is None:
        raise click.UsageError("--shards goes with --dask (one machine's shards: --shard K/N)")
    if dask is not None and (shard is not None or collect):
        raise click.UsageError("--dask runs the shards and collects; leave out --shard and --collect")
    if (collect or dask is not None) and no_cache:
        raise click.UsageError("--collect reads the store; it cannot go with --no-cache")
    with _errors():
        space = open_space(repo, manifest)
        if shard is not None:
            from forkflow.scan.pipeline import scan_shard

            done = scan_shard(space.network, space.repo, space.store, shard, run_id=run_id, policy=space.policy)
            click.echo(
                f"shard {shard} of run {run_id}: {len(done)} node(s) compared, results in {space.store.location}"
            )
            return
        if dask is not None:
            _scan_on_cluster(space, dask, shards, run_id)
            collect = True
        run = run_id if collect else None
        if as_json and Weight(weight) == Weight.CHANGES:  # the report's own weight: no model needed
            document = run_scan_document(space, use_cache=not no_cache, collect_run=run)
            click.echo(document.text)
            problems = document.problems
        else:
            report = reweigh(run_scan(space, use_cache=not no_cache, collect_run=run), Weight(weight))
            print_scan(report, as_json=as_json, markdown=markdown)
            problems = report.problems
        for problem in problems:
            click.echo(f"error: {problem.line(str(space.manifest.path))}", err=True)
        if problems:
            sys.exit(EXIT_ERROR)


def _scan_on_cluster(space: Workspace, address: str, shards: int | None, run_id: str) -> None:
    from forkflow.scale.dask_cluster import ShardDone, scan_on_cluster

    def done(outcome: ShardDone) -> None:
        click.echo(f"shard {outcome.shard}: {outcome.compared} node(s) compared", err=True)
        for problem in outcome.problems:
            click.echo(f"error: shard {outcome.shard}: {problem}", err=True)

    scan_on_cluster(space, address, shards=shards, run_id=run_id, on_done=done)


def run_scan(
    space: Workspace, *, use_cache: bool = True, collect_run: str | None = None, record: bool = True
) -> ScanReport:
    """Scan (or, with ``collect_run``, collect that run's shards) and, with ``record``, keep the scan in the history."""
    return run_scan_document(space, use_cache=use_cache, collect_run=collect_run, record=record).report()


def run_scan_document(
    space: Workspace, *, use_cache: bool = True, collect_run: str | None = None, record: bool = True
) -> ScanDocument:
    """:func:`run_scan`, with the report as its ``--json`` text (built from no model when it comes from the cache)."""
    with _progress() as progress:
        task = progress.add_task("scanning", total=None)

        def step(what: str, done: int, total: int) -> None:
            progress.update(task, description=what, completed=done, total=total)

        document = scan_document(
            space.network,
            space.repo,
            space.store if use_cache else None,
            policy=space.policy,
            now=_now(),
            progress=step,
            collect=collect_run is not None,
            run_id=collect_run or DEFAULT_RUN,
        )
    if record:
        run = f"collect:{collect_run}" if collect_run is not None else None  # collecting again replaces it
        space.store.record_scan(document.summary, run_id=run)
        faultpoints.reached("scan.recorded")
    return document


def _now() -> datetime:
    """The scan's "now"; SOURCE_DATE_EPOCH fixes it, for reproducible reports."""
    fixed = os.environ.get("SOURCE_DATE_EPOCH")
    if fixed and fixed.isdigit():
        return datetime.fromtimestamp(int(fixed), UTC)
    return datetime.now(UTC)


def round_lines(opened: list[Any], merged: list[Any], before: ScanReport, after: ScanReport) -> list[str]:
    """The demo's bubble-up round in words."""
    lines = ["", f"Bubble-up round: {len(opened)} proposal(s) opened (forkflow proposals list)"]
    for proposal in opened:
        lines.append(f"  #{proposal.number:<3} {proposal.title}  -> {proposal.target} ({len(proposal.carriers)} nodes)")
    for proposal in merged:
        lines.append(f"  merged #{proposal.number} into {proposal.target}: {proposal.title}")
    lines.append(
        f"Unmet needs: {before.unmet_needs.percent:.1f}% before, {after.unmet_needs.percent:.1f}% after "
        f"({after.unmet_needs.met - before.unmet_needs.met} more need(s) met by the parents)"
    )
    old, new = before.unmet_needs.declared, after.unmet_needs.declared
    if old is not None and new is not None:
        lines.append(f"Declared needs (needs.toml) unmet: {old.percent:.1f}% before, {new.percent:.1f}% after")
    return lines


def print_scan(report: ScanReport, *, as_json: bool = False, markdown: bool = False) -> None:
    if as_json:
        click.echo(report_json(report.model_dump(mode="json")))
    elif markdown:
        click.echo(scan_markdown(report), nl=False)
    else:
        console = _out()
        console.print(scan_table(report))
        for line in summary_lines(report):
            console.print(line, markup=False, soft_wrap=True)


@main.command()
@click.option(
    "--into",
    type=click.Path(file_okay=False, path_type=Path),
    help="Build the example here (an empty or new folder; default: a new temporary folder).",
)
@click.option("--example", default="landgrant", show_default=True, help="Which example network to build.")
@click.option("--json", "as_json", is_flag=True, help="Print the scan report as JSON.")
@click.option("--markdown", is_flag=True, help="Print the scan report as Markdown.")
@click.option("--no-proposals", is_flag=True, help="Stop after the first scan (no bubble-up round).")
def demo(into: Path | None, example: str, as_json: bool, markdown: bool, no_proposals: bool) -> None:
    """Build the Land Grant example network, fetch every node, scan it, and run one bubble-up round.

    Runs offline with no token: the nodes are local repositories under DIR/forge and the
    working repository is DIR/work.  The round proposes every shared change that is ready,
    merges the two biggest into central (as its maintainers would) and scans again, so the
    unmet-needs figure falls.  With --json, the last scan is printed.  Afterwards, `cd
    DIR/work` and try `forkflow scan`, `forkflow shared` and `forkflow proposals list`.
    """
    from forkflow.demo import build_example, example_dir

    try:
        source = example_dir(example)
    except ExampleError as err:
        raise click.BadParameter(str(err), param_hint=["--example"]) from err
    if into is not None and into.is_dir() and any(into.iterdir()):
        raise click.BadParameter(f"{into} is not empty; pick a new folder for the demo", param_hint=["--into"])
    with _errors():
        target = into or Path(tempfile.mkdtemp(prefix="forkflow-demo-"))
        with _progress() as progress:
            task = progress.add_task(f"building {example}", total=None)

            def on_step(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            built = build_example(source, target, on_step=on_step)
        click.echo(f"built {len(built.nodes)} node repositories under {built.root / 'forge'}", err=True)
        space = open_workspace(built.work)
        results = _run_fetch(space, plan_fetch(space.network))
        if any(not result.ok for result in results):
            sys.exit(EXIT_ERROR)
        report = run_scan(space)
        if no_proposals:
            print_scan(report, as_json=as_json, markdown=markdown)
        else:
            from forkflow.demo import bubble_up_round

            if not as_json:
                print_scan(report, markdown=markdown)
            done = bubble_up_round(space, report, _now())
            space.store.record_scan(scan_summary(done.after))
            from forkflow.demo import four_years_later

            later, final = four_years_later(built.work, built.root / "forge", _now(), done.after.unmet_needs.percent)
            space.store.record_scan(scan_summary(final))
            if as_json:
                print_scan(final, as_json=True)
            else:
                for line in [*round_lines(done.opened, done.merged, done.before, done.after), *later]:
                    click.echo(line)
        click.echo(f"\nThe network is in {built.root}. Next: cd {built.work} && forkflow scan", err=True)


@main.group()
def policy() -> None:
    """The robot's rules: policies/*.toml (shipped) or a file named in forkflow.toml."""


@policy.command("check")
@_workspace_options
@click.option("--json", "as_json", is_flag=True, help="Print the violations as JSON.")
def policy_check(repo: Path, manifest: Path | None, as_json: bool) -> None:
    """Every violation of the policy in the network, with its evidence and a fix.

    Exit code: 0 when there is none, 4 when there are violations (1 for errors, as always).
    """
    from forkflow.policy.check import check_policy

    with _errors():
        space = open_space(repo, manifest)
        found = check_policy(run_scan(space), space.network, space.policy)
        if as_json:
            click.echo(json.dumps([v.model_dump(mode="json") for v in found], indent=2))
        else:
            for violation in found:
                click.echo(f"{violation.node}: {violation.rule}: {violation.message}")
                evidence = [c[:12] for c in violation.commits] + violation.paths
                if evidence:
                    click.echo(f"  evidence: {', '.join(evidence)}")
                click.echo(f"  fix: {violation.fix}")
            nodes = len({v.node for v in found})
            summary = f"{len(found)} violation(s) in {nodes} node(s)" if found else "No violations"
            click.echo(f"{summary} (policy: {space.policy.source})")
        if found:
            sys.exit(EXIT_FINDING)


@policy.command("schema")
def policy_schema_command() -> None:
    """Print the JSON Schema of a policy file (also in docs/policy.schema.json)."""
    from forkflow.policy.rules import policy_schema

    click.echo(json.dumps(policy_schema(), indent=2, sort_keys=True))


from forkflow import (  # noqa: E402  (they register their commands)
    cli_bot,
    cli_hooks,
    cli_lifecycle,
    cli_proposals,
    cli_reports,
    cli_sync,
)

__all__ = ["cli_bot", "cli_hooks", "cli_lifecycle", "cli_proposals", "cli_reports", "cli_sync", "main"]
