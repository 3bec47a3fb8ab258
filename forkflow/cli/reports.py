"""The command line for the figure over time and the reports: trend, report."""

from __future__ import annotations

from pathlib import Path

import click

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
from forkflow.errors import OutputError
from forkflow.model import ScanReport
from forkflow.needs.figure import Weight, reweigh
from forkflow.needs.kept import KeptTrend
from forkflow.needs.trend import Period, Trend, build_trend
from forkflow.policy.check import Violation, all_violations
from forkflow.report.document import ReportInput, report_html, report_markdown
from forkflow.report.files import write_whole
from forkflow.report.junit import report_junit
from forkflow.report.svg import trend_svg
from forkflow.security.coverage import SecurityReport
from forkflow.security.history import with_security
from forkflow.workspace import Workspace

WEIGHT = click.option(
    "--weight",
    type=click.Choice([w.value for w in Weight]),
    default=Weight.CHANGES.value,
    show_default=True,
    help="A need weighs 1 (changes) or its changed lines (lines).",
)
PERIOD = click.option(
    "--period", type=click.Choice([p.value for p in Period]), default=Period.MONTH.value, show_default=True
)


def weighted(report: ScanReport, weight: str) -> ScanReport:
    return reweigh(report, Weight(weight))


def _scan_with_history(space: Workspace, weight: str) -> tuple[ScanReport, list[dict[str, object]]]:
    before = space.store.scans(space.network.name)  # the scans recorded before this one
    report = weighted(run_scan(space), weight)
    return report, before


@click.command()
@workspace_options
@PERIOD
@WEIGHT
@click.option("--json", "as_json", is_flag=True, help="Print the trend as JSON.")
@click.option(
    "--chart",
    "charts",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw the chart into FILE (.png or .svg; repeatable).",
)
def trend(repo: Path, manifest: Path | None, period: str, weight: str, as_json: bool, charts: tuple[Path, ...]) -> None:
    """The unmet-needs figure over time, rebuilt from git history alone.

    A need is born at its first commit in the node and met when the parent's equivalent commit
    was committed; merged bubble-up proposals are marked.  Scans recorded in the store are shown
    beside it, as the refs were seen then.
    """
    for chart in charts:
        if chart.suffix.lower() not in (".png", ".svg"):
            raise click.UsageError(f"--chart {chart}: give a .png or .svg file")
    with handle_errors():
        space = open_space(repo, manifest)
        report, before = _scan_with_history(space, weight)
        built = with_security(_trend(space, report, before, period, weight), _security(space), now_utc())
        if charts:
            from forkflow.report.chart import write_chart

            for chart in charts:
                try:
                    write_chart(built, chart)
                except OSError as err:
                    raise OutputError(f"{chart}: the chart cannot be written ({err})") from err
        if as_json:
            click.echo(built.model_dump_json(indent=2))
            return
        _print_trend(built)
        for chart in charts:
            click.echo(f"chart written to {chart}", err=True)


def _trend(space: Workspace, report: ScanReport, before: list[dict[str, object]], period: str, weight: str) -> Trend:
    """The trend of this scan, its points computed only where the store keeps none that still hold."""
    kept = KeptTrend(space.store, space.network.name, Period(period), Weight(weight))
    built = build_trend(report, period=Period(period), weight=Weight(weight), scans=[*before], kept=kept.points)
    kept.save(built)
    return built


def _print_trend(built: Trend) -> None:
    console = console_out()
    if not built.points:
        console.print("No needs observed yet: no node carries a change of its own.")
    else:
        _print_needs(built)
    if built.security:
        console.print(f"security coverage by {built.period.value} (fix x node pairs published by then)", markup=False)
        console.print(f"{'period ending':<14} {'covered':>8} {'of':>6} {'covered %':>10}", markup=False)
        for point in built.security:
            row = f"{point.end.date().isoformat():<14} {point.covered:>8} {point.total:>6} {point.percent:>9.1f}%"
            console.print(row, markup=False)


def _print_needs(built: Trend) -> None:
    console = console_out()
    console.print(f"{built.network}: unmet needs by {built.period.value} (weight: {built.weight})", markup=False)
    console.print(f"{'period ending':<14} {'unmet':>6} {'met':>6} {'unmet %':>8}  events", markup=False)
    for point in built.points:
        events = "; ".join(point.events)
        line = f"{point.end.date().isoformat():<14} {point.unmet:>6} {point.met:>6} {point.percent:>7.1f}%  {events}"
        console.print(line.rstrip(), markup=False, soft_wrap=True)


@click.command()
@workspace_options
@WEIGHT
@PERIOD
@click.option(
    "--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), help="Write the HTML report here."
)
@click.option("--json", "as_json", is_flag=True, help="Print every node, change and problem as JSON.")
@click.option(
    "--junit",
    "junit_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the checks as JUnit XML here (one suite per node, one case per check).",
)
@forge_option()
def report(
    repo: Path,
    manifest: Path | None,
    weight: str,
    period: str,
    html_file: Path | None,
    as_json: bool,
    junit_file: Path | None,
    forge_kind: str | None,
) -> None:
    """The figure, the network and what waits: Markdown on stdout, or files.

    The Markdown suits a GitHub issue, a pull-request comment or an Actions step summary
    (the network is a Mermaid graph, summarised to fit Mermaid's limits on a large network).
    --html FILE writes the same with the trend chart and a table of every node, readable
    offline; --json prints all of it, nothing summarised.  --junit FILE writes one test
    suite per node and one test case per check (scanned, drift within limits, each policy
    rule, conflict prediction, proposals waiting), a failing case naming the evidence and
    the fix: Jenkins, GitLab CI and most CI systems show it.  A failing check is in the
    file, not in the exit code (0).
    """
    if as_json and html_file is not None:
        raise click.UsageError("--json and --html are one or the other")
    if as_json and junit_file is not None:
        raise click.UsageError("--json and --junit are one or the other")
    with handle_errors():
        space = open_space(repo, manifest)
        current, before = _scan_with_history(space, weight)
        previous = _previous_figure(before, weight)
        forge = chosen_forge(space, forge_kind)
        security = _security(space)
        data = ReportInput(current, previous, forge.proposals(), space.policy, security, space.network)
        if as_json:
            from forkflow.report.report_json import report_json

            click.echo(report_json(data), nl=False)
            return
        if html_file is None and junit_file is None:
            click.echo(report_markdown(data), nl=False)
            return
        if html_file is not None:
            write_whole(html_file, report_html(data, html_trend(space, data, before, period, weight)).encode())
            click.echo(f"report written to {html_file}")
        if junit_file is not None:
            write_whole(junit_file, report_junit(data, violations_of(space, data)))
            click.echo(f"JUnit report written to {junit_file}")


def html_trend(
    space: Workspace, data: ReportInput, before: list[dict[str, object]], period: str, weight: str
) -> str | None:
    """The trend chart the HTML report embeds (None: nothing to draw yet)."""
    built = with_security(_trend(space, data.report, before, period, weight), data.security, now_utc())
    return trend_svg(built) if built.points or built.security else None


def violations_of(space: Workspace, data: ReportInput) -> list[Violation]:
    """Every policy violation of the report: overdue security fixes first, as ``policy check`` lists them."""
    coverage = data.security.coverage if data.security is not None else None
    return all_violations(data.report, space.network, space.policy, coverage)


def _previous_figure(before: list[dict[str, object]], weight: str) -> float | None:
    """The figure of the last recorded scan (same weight), to say how it moved."""
    for scan in reversed(before):
        kept = scan.get("figures")
        if isinstance(kept, dict) and weight in kept:
            return float(kept[weight])
        try:  # a whole report, as an older forkflow recorded it
            old = weighted(ScanReport.model_validate(scan), weight)
        except ValueError:
            continue
        return old.unmet_needs.percent
    return None


def _security(space: Workspace) -> SecurityReport | None:
    """Who lacks which security fix now (None: central is not fetched)."""
    from forkflow.security.coverage import network_security

    return network_security(space.repo, space.network, space.policy, now_utc(), store=space.store)
