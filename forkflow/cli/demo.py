"""forkflow demo: the Land Grant example, built, scanned and taken through one bubble-up round."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from forkflow.cli._common import (
    now_utc,
    print_scan,
    progress_bar,
    run_scan,
)
from forkflow.cli.errors import handle_errors
from forkflow.cli.scan import run_fetch
from forkflow.errors import ExampleError
from forkflow.exitcodes import EXIT_ERROR
from forkflow.model import ScanReport
from forkflow.needs.figure import scan_summary
from forkflow.network.fetch import plan_fetch
from forkflow.workspace import Workspace, open_workspace

if TYPE_CHECKING:
    from forkflow.demo import BuiltExample


@click.command()
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
    from forkflow.demo import example_dir

    try:
        source = example_dir(example)
    except ExampleError as err:
        raise click.BadParameter(str(err), param_hint=["--example"]) from err
    if into is not None and into.is_dir() and any(into.iterdir()):
        raise click.BadParameter(f"{into} is not empty; pick a new folder for the demo", param_hint=["--into"])
    with handle_errors():
        built = _build(source, into or Path(tempfile.mkdtemp(prefix="forkflow-demo-")), example)
        click.echo(f"built {len(built.nodes)} node repositories under {built.root / 'forge'}", err=True)
        space = open_workspace(built.work)
        results = run_fetch(space, plan_fetch(space.network))
        if any(not result.ok for result in results):
            sys.exit(EXIT_ERROR)
        report = run_scan(space)
        if no_proposals:
            print_scan(report, as_json=as_json, markdown=markdown)
        else:
            if not as_json:
                print_scan(report, markdown=markdown)
            _round_and_later(space, built, report, as_json)
        click.echo(f"\nThe network is in {built.root}. Next: cd {built.work} && forkflow scan", err=True)


def _build(source: Path, target: Path, example: str) -> BuiltExample:
    from forkflow.demo import build_example

    with progress_bar() as progress:
        task = progress.add_task(f"building {example}", total=None)

        def on_step(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return build_example(source, target, on_step=on_step)


def _round_and_later(space: Workspace, built: BuiltExample, report: ScanReport, as_json: bool) -> None:
    """One bubble-up round, a security fix carried to every node, then four years of the network's life."""
    from forkflow.demo import bubble_up_round, four_years_later, round_lines
    from forkflow.demo_security import security_act

    done = bubble_up_round(space, report, now_utc())
    space.store.record_scan(scan_summary(done.after))
    act = security_act(built.work, now_utc())
    later, final = four_years_later(built.work, built.root / "forge", now_utc(), done.after.unmet_needs.percent)
    space.store.record_scan(scan_summary(final))
    if as_json:
        print_scan(final, as_json=True)
    else:
        for line in [*round_lines(done.opened, done.merged, done.before, done.after), *act.lines, *later]:
            click.echo(line)
