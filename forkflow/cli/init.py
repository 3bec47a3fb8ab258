"""forkflow init: a first forkflow.toml from the clone's remotes or from GitHub, checked and scanned at once."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from forkflow.cli._common import console_out, open_space, run_scan, workspace_options
from forkflow.cli.errors import handle_errors
from forkflow.cli.scan import run_fetch
from forkflow.exitcodes import EXIT_ERROR
from forkflow.gitrepo import GitRepo, open_repository
from forkflow.init import ForgeRepo, plan_from_forge, plan_from_remotes
from forkflow.manifest.edit import check_manifest_text
from forkflow.manifest.first import FirstManifest, refuse_existing, render, write_new_manifest
from forkflow.manifest.spec import MANIFEST_NAME
from forkflow.network.fetch import plan_fetch
from forkflow.report.render import summary_lines


@click.command("init")
@workspace_options
@click.option("--central", metavar="REMOTE", help="The remote that is central (default: upstream, else origin).")
@click.option("--skip", "skip", multiple=True, metavar="REMOTE", help="Leave this remote out (repeatable).")
@click.option(
    "--from", "source", metavar="github:OWNER/NAME", help="Central on GitHub: it and its forks are the nodes."
)
@click.option("--org", help="With --from: only the forks this organisation owns (and their forks).")
@click.option(
    "--token", envvar="GITHUB_TOKEN", help="With --from: GitHub token (default: $GITHUB_TOKEN); never printed."
)
@click.option("--dry-run", is_flag=True, help="Print the file it would write; write nothing.")
@click.option("--no-scan", is_flag=True, help="Write the manifest only: no fetch, no scan.")
def init(
    repo: Path,
    manifest: Path | None,
    central: str | None,
    skip: tuple[str, ...],
    source: str | None,
    org: str | None,
    token: str | None,
    dry_run: bool,
    no_scan: bool,
) -> None:
    """Write a first forkflow.toml, then fetch the nodes and scan them.

    The nodes are the remotes of this clone (each remote's default branch; central is --central,
    else upstream, else origin; the others are its children), or, with --from github:OWNER/NAME,
    central on GitHub and its forks, forks of forks under their parents.  Tiers, owners and
    branches forkflow only guessed are marked "guessed" in comments.  An existing manifest is
    never replaced; --dry-run prints the file and writes nothing.  Exit code 1 when the manifest
    cannot be written, or a node cannot be fetched or scanned.
    """
    forge = _forge_source(source, central, skip, org)
    with handle_errors():
        git = open_repository(repo)
        path = _manifest_path(git, manifest)
        refuse_existing(path)
        first = plan_from_remotes(git, central, skip) if forge is None else _from_github(forge, org, token)
        text = render(first)
        check_manifest_text(path, text)  # what a dry run shows is what would be written: a valid manifest
        for warning in first.warnings:
            click.echo(f"warning: {warning}", err=True)
        if dry_run:
            click.echo(text, nl=False)
            click.echo(f"dry run: nothing was written ({path} would hold the above)", err=True)
            return
        write_new_manifest(path, text)
        click.echo(f"wrote {path}: {_described(first)}; check the lines marked 'guessed'")
        if not no_scan:
            _fetch_and_scan(repo, path)


def _forge_source(source: str | None, central: str | None, skip: tuple[str, ...], org: str | None) -> str | None:
    """OWNER/NAME of ``--from github:OWNER/NAME``, or None (the remotes); a usage mistake for any other mix."""
    if source is None:
        if org is not None:
            raise click.UsageError("--org goes with --from github:OWNER/NAME")
        return None
    if central is not None or skip:
        raise click.UsageError("--central and --skip choose among the remotes; with --from, central is OWNER/NAME")
    kind, _, full_name = source.partition(":")
    owner, _, name = full_name.partition("/")
    if kind != "github" or not owner or not name or "/" in name:
        raise click.BadParameter("takes github:OWNER/NAME", param_hint=["--from"])
    return full_name


def _manifest_path(git: GitRepo, manifest: Path | None) -> Path:
    if manifest is not None:
        return manifest
    if git.workdir is None:
        raise click.UsageError(f"{git.git_dir} is a bare repository: say where the manifest goes with --manifest FILE")
    return git.workdir / MANIFEST_NAME


def _from_github(central: str, org: str | None, token: str | None) -> FirstManifest:
    from forkflow.forge.github import PUBLIC_API, GitHubClient, credentials_from_env, list_forks
    from forkflow.forge.http import timeout_from_env

    api = os.environ.get("GITHUB_API_URL", PUBLIC_API)
    client = GitHubClient(credentials_from_env(dict(os.environ), token), api, timeout=timeout_from_env(os.environ))
    found = [
        ForgeRepo(f.full_name, f.parent, f.clone_url or f.url, f.branch, f.owner)
        for f in list_forks(client, central, org)
    ]
    return plan_from_forge(found, "GitHub")


def _described(first: FirstManifest) -> str:
    children = len(first.nodes) - 1
    return f"{len(first.nodes)} node(s), central {first.nodes[0].name!r} and {children} under it"


def _fetch_and_scan(repo: Path, path: Path) -> None:
    """Fetch every node and scan, as ``forkflow fetch`` and ``forkflow scan`` do; the scan's summary."""
    space = open_space(repo, path, writes=True)
    results = run_fetch(space, plan_fetch(space.network, None))
    if any(not result.ok for result in results):
        click.echo(f"error: not scanned; the manifest is written: fix {path}, then run forkflow fetch", err=True)
        sys.exit(EXIT_ERROR)
    report = run_scan(space)
    console = console_out()
    for line in summary_lines(report):
        console.print(line, markup=False, soft_wrap=True)
    click.echo("forkflow scan shows every node's figures")
    for problem in report.problems:
        click.echo(f"error: {problem.line(str(space.manifest.path))}", err=True)
    if report.problems:
        sys.exit(EXIT_ERROR)
