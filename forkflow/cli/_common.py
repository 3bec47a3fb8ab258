"""What every command shares: the consoles, the progress bar, the workspace options, opening the
workspace, the scan with its progress, and printing a scan report."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from forkflow.errors import GitError
from forkflow.forge import Forge
from forkflow.forge.choice import FORGES, open_forge
from forkflow.model import ScanReport
from forkflow.report.render import scan_markdown, scan_table, summary_lines
from forkflow.scan.cached import ScanDocument, report_json
from forkflow.scan.run import scan_workspace
from forkflow.workspace import Workspace, open_workspace

F = TypeVar("F", bound=Callable[..., Any])


def console_out() -> Console:
    # Piped output (CI logs, files) gets a fixed width unless COLUMNS says otherwise, so the
    # table is not squeezed into 80 columns.
    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 120
    return Console(soft_wrap=False, highlight=False, width=width)


def console_err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def progress_bar(total: int | None = None) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console_err(),
        transient=True,
        disable=not sys.stderr.isatty(),
    )


def workspace_options(func: F) -> F:
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


def forge_option(fallback: str = "local") -> Callable[[F], F]:
    """``--forge``: where the command reads and writes proposals, comments, checks and forks."""
    return click.option(
        "--forge",
        "forge_kind",
        type=click.Choice(FORGES),
        envvar="FORKFLOW_FORGE",
        help="Where proposals, comments, checks and forks live: local (the store), github or gitlab "
        f"(env FORKFLOW_FORGE; default: the manifest's [network] forge, else {fallback}).",
    )


def chosen_forge(space: Workspace, kind: str | None, *, fallback: str = "local", token: str | None = None) -> Forge:
    """The forge ``--forge`` (or FORKFLOW_FORGE) names, else the manifest's, else ``fallback``."""
    return open_forge(space, kind or space.manifest.network.forge or fallback, token=token, environ=os.environ)


def _remember_store(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    ctx.meta["forkflow.store"] = value


def open_space(repo: Path, manifest: Path | None, *, writes: bool = False, read_only: bool = False) -> Workspace:
    """The workspace the command's options name (its --store included).

    With ``writes`` (a command that writes refs, proposals or the manifest), the repository's
    run lock (:mod:`forkflow.runlock`) is held from here to the end of the process: another
    writing run on this repository is waited for, and then planned after.  With ``read_only``
    (a dry run, a listing) nothing is written to the disk at all.
    """
    context = click.get_current_context()
    space = open_workspace(repo, manifest, store=context.meta.get("forkflow.store"), read_only=read_only)
    context.call_on_close(space.close)  # the store's file is closed (its write-ahead log folded in) as the command ends
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


def run_scan(
    space: Workspace, *, use_cache: bool = True, collect_run: str | None = None, record: bool = True
) -> ScanReport:
    """:func:`forkflow.scan.run.scan_workspace` with a progress bar on the terminal: the report."""
    return run_scan_document(space, use_cache=use_cache, collect_run=collect_run, record=record).report()


def run_scan_document(
    space: Workspace, *, use_cache: bool = True, collect_run: str | None = None, record: bool = True
) -> ScanDocument:
    """:func:`run_scan`, with the report as its ``--json`` text (built from no model when it comes from the cache)."""
    with progress_bar() as progress:
        task = progress.add_task("scanning", total=None)

        def step(what: str, done: int, total: int) -> None:
            progress.update(task, description=what, completed=done, total=total)

        document = scan_workspace(
            space, now=now_utc(), use_cache=use_cache, collect_run=collect_run, record=record, progress=step
        )
    return document


def now_utc() -> datetime:
    """The scan's "now"; SOURCE_DATE_EPOCH fixes it, for reproducible reports."""
    fixed = os.environ.get("SOURCE_DATE_EPOCH")
    if fixed and fixed.isdigit():
        return datetime.fromtimestamp(int(fixed), UTC)
    return datetime.now(UTC)


def print_scan(report: ScanReport, *, as_json: bool = False, markdown: bool = False) -> None:
    if as_json:
        click.echo(report_json(report.model_dump(mode="json")))
    elif markdown:
        click.echo(scan_markdown(report), nl=False)
    else:
        console = console_out()
        console.print(scan_table(report))
        for line in summary_lines(report):
            console.print(line, markup=False, soft_wrap=True)
