"""The command line for the GitHub Actions bot: bot."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

import click

from forkflow.bot import BotResult, run_bot
from forkflow.cli._common import chosen_forge, forge_option, now_utc, open_space, workspace_options
from forkflow.cli.errors import handle_errors
from forkflow.credential import Credential
from forkflow.errors import EventError
from forkflow.exitcodes import EXIT_ERROR, EXIT_FINDING
from forkflow.propose.bubble_up import committer_for

LIFECYCLE = ("provision", "merge", "retire")


@click.command()
@workspace_options
@forge_option(fallback="github")
@click.option("--token", envvar="GITHUB_TOKEN", help="GitHub token (default: $GITHUB_TOKEN); never printed.")
@click.option("--dry-run", is_flag=True, help="Decide everything, change nothing.")
@click.option("--command", "command", type=click.Choice(LIFECYCLE), help="A lifecycle command (workflow_dispatch).")
@click.option("--args", "args", default="", help="Its arguments, as one string.")
def bot(
    repo: Path,
    manifest: Path | None,
    forge_kind: str | None,
    token: str | None,
    dry_run: bool,
    command: str | None,
    args: str,
) -> None:
    """Do what the GitHub event calls for (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH).

    schedule / workflow_dispatch / push: fetch, scan, sync, propose, report.  pull_request: the
    policy check on the pull request's commits (a check run, and a comment when it fails); on a
    bubble-up pull request, a comment listing the carriers.  The report goes to
    GITHUB_STEP_SUMMARY and unmet-needs, proposals-opened and violations to GITHUB_OUTPUT.

    Each step succeeds or fails on its own: a node that cannot be fetched, a push or a pull
    request GitHub refuses, a pull request whose forkflow block cannot be read, is reported
    (node, step, reason) on stderr and in the summary, and the run goes on.  Exit code 1 when
    any step failed (or the run stopped: an exhausted rate limit); else 4 when a pull request
    breaks the policy.  FORKFLOW_GITHUB_TIMEOUT: seconds to wait for one answer (default 30).
    """
    if command is not None:  # a lifecycle button: the command itself, confirmed by the button press
        _run_lifecycle_command(repo, manifest, forge_kind, dry_run, command, args)
        return
    with handle_errors():
        event_name = os.environ.get("GITHUB_EVENT_NAME", "workflow_dispatch")
        event = _event(os.environ.get("GITHUB_EVENT_PATH"))
        space = open_space(repo, manifest, writes=not dry_run, read_only=dry_run)
        forge = chosen_forge(space, forge_kind, fallback="github", token=token)
        result = run_bot(
            space,
            forge,
            event_name,
            event,
            credential=Credential.from_env(os.environ, token),
            committer=committer_for(space.repo),
            now=now_utc(),
            dry_run=dry_run,
            run_id=os.environ.get("GITHUB_RUN_ID"),
        )
        _report_run(result, event_name)


def _run_lifecycle_command(
    repo: Path, manifest: Path | None, forge_kind: str | None, dry_run: bool, command: str, args: str
) -> None:
    extra = ["--dry-run"] if dry_run else ["--yes"]
    options = ["--repo", str(repo), *(["--manifest", str(manifest)] if manifest else [])]
    if command in ("retire", "provision"):  # the bot's forge: the option, else the manifest's, else GitHub
        chosen = forge_kind or open_space(repo, manifest, read_only=True).manifest.network.forge or "github"
        options += ["--forge", chosen]
    try:
        words = shlex.split(args)
    except ValueError as err:  # an unclosed quote
        raise click.BadParameter(str(err), param_hint=["--args"]) from err
    root = click.get_current_context().find_root().command  # forkflow's group: the lifecycle command, as typed
    root.main(args=[command, *words, *options, *extra], prog_name="forkflow")


def _report_run(result: BotResult, event_name: str) -> None:
    """The summary and outputs where the workflow reads them, the summary on stdout, and the exit code."""
    _append(os.environ.get("GITHUB_STEP_SUMMARY"), result.summary)
    _append(os.environ.get("GITHUB_OUTPUT"), "".join(f"{k}={v}\n" for k, v in result.outputs.items()))
    click.echo(result.summary, nl=False)
    if result.work:
        click.echo(result.work, err=True)
    for problem in result.problems:
        click.echo(f"error: {problem}", err=True)
    if result.problems:
        sys.exit(EXIT_ERROR)
    if event_name in ("pull_request", "pull_request_target") and result.violations:
        sys.exit(EXIT_FINDING)


def _event(path: str | None) -> dict[str, object]:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise EventError(f"GITHUB_EVENT_PATH {path}: cannot be read as JSON ({err})") from err
    return data if isinstance(data, dict) else {}


def _append(path: str | None, text: str) -> None:
    if path and text:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


@click.command("discover")
@click.option("--central", required=True, metavar="OWNER/NAME", help="The central repository on GitHub.")
@click.option("--org", help="Only forks owned by this organisation (and their forks).")
@click.option("--tier", type=click.Choice(["central", "decentralized", "developer"]), default="decentralized")
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path), default=Path("forkflow.toml"))
@click.option("--write", is_flag=True, help="Append the new nodes to the manifest (default: print them).")
@click.option("--token", envvar="GITHUB_TOKEN", help="GitHub token (default: $GITHUB_TOKEN); never printed.")
def discover_forks(central: str, org: str | None, tier: str, manifest: Path, write: bool, token: str | None) -> None:
    """Find central's forks on GitHub (forks of forks too) and add the new ones to forkflow.toml.

    Nodes already in the manifest (by url) are left alone; new ones are appended as [[node]]
    tables, so the file's comments and order are kept.  The file is checked, then replaced in
    one rename: a bad result never reaches it.  A fork whose url or default branch cannot be
    written is left out with a line that says why (exit code 1); the others are added.
    GITHUB_API_URL selects GitHub Enterprise.
    """
    from forkflow.forge.github import PUBLIC_API, GitHubClient, credentials_from_env, list_forks
    from forkflow.forge.http import timeout_from_env
    from forkflow.manifest.edit import write_manifest
    from forkflow.manifest.forks import add_forks, network_header
    from forkflow.manifest.spec import NodeSpec, load_manifest

    owner, _, name = central.partition("/")
    if not owner or not name or "/" in name:
        raise click.UsageError("--central takes OWNER/NAME")
    with handle_errors():
        api = os.environ.get("GITHUB_API_URL", PUBLIC_API)
        client = GitHubClient(credentials_from_env(dict(os.environ), token), api, timeout=timeout_from_env(os.environ))
        found = list_forks(client, central, org)
        existing: tuple[NodeSpec, ...] = ()
        text = network_header(name)
        if manifest.exists():
            text = manifest.read_text(encoding="utf-8")
            has_nodes = "[[node]]" in text  # a new manifest may have only its [network] table yet
            existing = load_manifest(manifest).nodes if has_nodes else ()
        done = add_forks(text, existing, [(f.full_name, f.parent, f.url, f.branch) for f in found], tier)
        for problem in done.refused:
            click.echo(f"error: {problem}", err=True)
        if not write:
            click.echo(done.tables or "# nothing new: every repository is in the manifest already", nl=False)
        else:
            if done.added:
                write_manifest(manifest, done.text)
            click.echo(f"{len(done.added)} node(s) added to {manifest}")
        if done.refused:
            sys.exit(EXIT_ERROR)
