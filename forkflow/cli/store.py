"""The command line for the store itself: where it is (for a CI cache that keeps it between runs)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from forkflow.cli._common import workspace_options
from forkflow.cli.errors import handle_errors
from forkflow.store.db import is_url, without_password
from forkflow.workspace import store_location


@click.group("store")
def store() -> None:
    """The store: forkflow's caches, the history of scans and the local forge's proposals."""


@store.command("path")
@workspace_options
@click.option("--json", "as_json", is_flag=True, help="Print what kind of store it is, and where, as JSON.")
def store_path(repo: Path, manifest: Path | None, as_json: bool) -> None:
    """Print the SQLite store's file, as an absolute path; nothing for a PostgreSQL store.

    What a CI system's cache saves after a run and restores before the next one, so that a
    fresh runner starts warm (the GitHub Action does this with actions/cache).  The store is
    neither opened nor made.  A PostgreSQL store keeps its state itself: nothing to cache.
    """
    with handle_errors():
        location = store_location(repo, manifest, store=click.get_current_context().meta.get("forkflow.store"))
    if is_url(location) and not location.startswith("sqlite://"):
        shown = without_password(location)
        if as_json:
            click.echo(json.dumps({"kind": "postgresql", "location": shown}))
        else:
            click.echo(f"the store is a PostgreSQL database ({shown}): it keeps its state itself", err=True)
        return
    path = Path(location.removeprefix("sqlite:///")).resolve() if location.startswith("sqlite:///") else Path(location)
    if as_json:
        click.echo(json.dumps({"kind": "sqlite", "path": str(path), "exists": path.exists()}))
    else:
        click.echo(str(path))
