"""The command line for the bot, on GitHub Actions, GitLab CI, Jenkins or any CI: bot; and discover."""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from forkflow.bot import PULL_REQUEST, BotResult, run_bot
from forkflow.ci import CiKind, CiRun, ci_run, detect_ci
from forkflow.cli._common import chosen_forge, forge_option, now_utc, open_space, workspace_options
from forkflow.cli.errors import handle_errors
from forkflow.cli.reports import html_trend
from forkflow.credential import Credential
from forkflow.exitcodes import EXIT_ERROR, EXIT_FINDING, EXIT_OK
from forkflow.forge.fork import Fork
from forkflow.propose.bubble_up import committer_for
from forkflow.report.document import ReportInput, report_html
from forkflow.report.files import write_folder
from forkflow.report.junit import pull_request_junit, report_junit

LIFECYCLE = ("provision", "merge", "retire")
DEFAULT_REPORT_DIR = "forkflow-report"


@click.command()
@workspace_options
@forge_option(fallback="github")
@click.option("--token", envvar="GITHUB_TOKEN", help="GitHub token (default: $GITHUB_TOKEN); never printed.")
@click.option("--dry-run", is_flag=True, help="Decide everything, change nothing.")
@click.option("--command", "command", type=click.Choice(LIFECYCLE), help="A lifecycle command (workflow_dispatch).")
@click.option("--args", "args", default="", help="Its arguments, as one string.")
@click.option(
    "--ci",
    "ci",
    type=click.Choice(["auto", *(k.value for k in CiKind)]),
    default="auto",
    show_default=True,
    envvar="FORKFLOW_CI",
    help="The CI that runs the bot (env FORKFLOW_CI); auto: from its own variables, else generic.",
)
@click.option(
    "--event",
    "event_name",
    envvar="FORKFLOW_EVENT",
    help="The event to act on (schedule, push, pull_request, ...), instead of the CI's own (env FORKFLOW_EVENT).",
)
@click.option(
    "--report-dir",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="FORKFLOW_REPORT_DIR",
    help="Write the report files here (env FORKFLOW_REPORT_DIR; default off GitHub Actions: forkflow-report/ "
    "in the working repository).",
)
def bot(
    repo: Path,
    manifest: Path | None,
    forge_kind: str | None,
    token: str | None,
    dry_run: bool,
    command: str | None,
    args: str,
    ci: str,
    event_name: str | None,
    report_dir: Path | None,
) -> None:
    """Do what the CI's event calls for: GitHub Actions, GitLab CI, Jenkins or any other.

    schedule / workflow_dispatch / push: fetch, scan, sync, propose, report.  pull_request: the
    policy check on the pull request's commits (a check run, and a comment when it fails); on a
    bubble-up pull request, a comment listing the carriers.  The event comes from the CI's
    variables: GitHub's GITHUB_EVENT_NAME and GITHUB_EVENT_PATH; GitLab's CI_PIPELINE_SOURCE
    (schedule, web, api, trigger, pipeline: the scheduled run; push; merge_request_event: the
    pull-request check); on Jenkins and elsewhere every run is the scheduled run.

    On GitHub Actions the report goes to GITHUB_STEP_SUMMARY and unmet-needs, proposals-opened
    and violations to GITHUB_OUTPUT.  Elsewhere (or with --report-dir) the report is written to
    files in the report folder: report.md, report.html, junit.xml (one suite per node, one case
    per check) and figures.json (the figures and the exit code); each file is written whole.  A
    --dry-run writes them only to a folder named by --report-dir or FORKFLOW_REPORT_DIR.

    Each step succeeds or fails on its own: a node that cannot be fetched, a push or a pull
    request the forge refuses, a pull request whose forkflow block cannot be read, is reported
    (node, step, reason) on stderr and in the report, and the run goes on.

    \b
    Exit codes, on every CI:
      0    the run is done; findings (drift, policy) are in the report, a JUnit failure each
      1    a step failed, or the run stopped (an exhausted rate limit); the report says which
      2    a usage mistake (an option that is malformed or names nothing)
      3    unexpected: the traceback is in a log file, a line says where
      4    a pull request (a merge request) breaks the policy
      130  interrupted
    FORKFLOW_GITHUB_TIMEOUT: seconds to wait for one answer from GitHub (default 30).
    """
    if command is not None:  # a lifecycle button: the command itself, confirmed by the button press
        _run_lifecycle_command(repo, manifest, forge_kind, dry_run, command, args)
        return
    with handle_errors():
        kind = detect_ci(os.environ) if ci == "auto" else CiKind(ci)
        run = ci_run(kind, os.environ, event_name=event_name)
        space = open_space(repo, manifest, writes=not dry_run, read_only=dry_run)
        fallback = "gitlab" if kind is CiKind.GITLAB else "github"  # a GitLab pipeline's forge is GitLab
        forge = chosen_forge(space, forge_kind, fallback=fallback, token=token)
        before, now = space.store.scans(space.network.name), now_utc()
        result = run_bot(
            space,
            forge,
            run.event_name,
            run.event,
            credential=Credential.from_env(os.environ, token, forge=forge.name),
            committer=committer_for(space.repo),
            now=now,
            dry_run=dry_run,
            run_id=run.run_id,
        )
        # A dry run writes nothing it was not asked to: the folder only when named (option or variable).
        folder = report_dir or (None if kind is CiKind.GITHUB or dry_run else repo / DEFAULT_REPORT_DIR)
        trend = lambda data: html_trend(space, data, before, "month", "changes")  # noqa: E731  # only when written
        _report_run(result, folder, Files(run, space.network.name, now.isoformat(), trend))


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


@dataclass(frozen=True)
class Files:
    """What the report folder's files say besides the run's result: the run, the network, the time, the trend."""

    run: CiRun
    network: str
    when: str
    trend: Callable[[ReportInput], str | None]


def _report_run(result: BotResult, folder: Path | None, files: Files) -> None:
    """The report where the CI reads it (GitHub's files, or the report folder), on stdout too, and the exit code."""
    code = exit_code(result, files.run.event_name)
    if files.run.kind is CiKind.GITHUB:
        _append(os.environ.get("GITHUB_STEP_SUMMARY"), result.summary)
        _append(os.environ.get("GITHUB_OUTPUT"), "".join(f"{k}={v}\n" for k, v in result.outputs.items()))
    if folder is not None:
        write_folder(folder, report_files(result, code, files))
    click.echo(result.summary, nl=False)
    if result.work:
        click.echo(result.work, err=True)
    for problem in result.problems:
        click.echo(f"error: {problem}", err=True)
    if folder is not None:
        click.echo(f"report written to {folder}", err=True)
    if code:
        sys.exit(code)


def exit_code(result: BotResult, event_name: str) -> int:
    """1 when any step failed, else 4 when a pull request breaks the policy, else 0."""
    if result.problems:
        return EXIT_ERROR
    if event_name in PULL_REQUEST and result.violations:
        return EXIT_FINDING
    return EXIT_OK


def report_files(result: BotResult, code: int, files: Files) -> dict[str, bytes]:
    """The report folder's files: the Markdown, the JUnit, the figures and, for a scheduled run, the HTML."""
    run = files.run
    figures = {
        "ci": run.kind.value,
        "event": run.event_name,
        "run_id": run.run_id,
        **result.outputs,
        "problems": [str(p) for p in result.problems],
        "exit_code": code,
    }
    out = {"report.md": result.summary.encode()}
    if result.report is not None:
        out["report.html"] = report_html(result.report, files.trend(result.report)).encode()
        out["junit.xml"] = report_junit(result.report, result.found)
    elif result.pull_request is not None:
        out["junit.xml"] = pull_request_junit(files.network, result.pull_request, files.when, result.found)
    out["figures.json"] = (json.dumps(figures, indent=2) + "\n").encode()
    return out


def _node_url(fork: Fork, forge_kind: str) -> str:
    """A node's url: GitHub's page (git takes it), GitLab's clone url (``.git``: git over https everywhere)."""
    return fork.clone_url if forge_kind == "gitlab" and fork.clone_url else fork.url


def _forks_of(forge_kind: str, central: str, org: str | None, token: str | None) -> list[Fork]:
    """Central and its forks, from GitHub (``token``, GITHUB_TOKEN) or GitLab (GITLAB_TOKEN, CI_JOB_TOKEN)."""
    if forge_kind == "gitlab":
        from forkflow.forge.gitlab import client_from_env
        from forkflow.forge.gitlab import list_forks as gitlab_forks

        return gitlab_forks(client_from_env(os.environ), central, org)
    from forkflow.forge.github import PUBLIC_API, GitHubClient, credentials_from_env, list_forks
    from forkflow.forge.http import timeout_from_env

    api = os.environ.get("GITHUB_API_URL", PUBLIC_API)
    client = GitHubClient(credentials_from_env(dict(os.environ), token), api, timeout=timeout_from_env(os.environ))
    return list_forks(client, central, org)


def _append(path: str | None, text: str) -> None:
    if path and text:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


@click.command("discover")
@click.option(
    "--central", required=True, metavar="OWNER/NAME", help="The central repository (on GitLab: GROUP/.../NAME)."
)
@click.option("--org", help="Only forks owned by this organisation, or GitLab group (and their forks).")
@click.option(
    "--forge",
    "forge_kind",
    type=click.Choice(["github", "gitlab"]),
    default="github",
    show_default=True,
    help="Where central lives: GitHub (GITHUB_API_URL) or GitLab (GITLAB_URL, else CI_SERVER_URL, else gitlab.com).",
)
@click.option("--tier", type=click.Choice(["central", "decentralized", "developer"]), default="decentralized")
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path), default=Path("forkflow.toml"))
@click.option("--write", is_flag=True, help="Append the new nodes to the manifest (default: print them).")
@click.option("--token", envvar="GITHUB_TOKEN", help="GitHub token (default: $GITHUB_TOKEN); never printed.")
def discover_forks(
    central: str, org: str | None, forge_kind: str, tier: str, manifest: Path, write: bool, token: str | None
) -> None:
    """Find central's forks on GitHub or GitLab (forks of forks too) and add the new ones to forkflow.toml.

    Nodes already in the manifest (by url) are left alone; new ones are appended as [[node]]
    tables, so the file's comments and order are kept.  The file is checked, then replaced in
    one rename: a bad result never reaches it.  A fork whose url or default branch cannot be
    written is left out with a line that says why (exit code 1); the others are added.
    GITHUB_API_URL selects GitHub Enterprise; on GitLab, the token is GITLAB_TOKEN (else CI_JOB_TOKEN).
    """
    from forkflow.manifest.edit import write_manifest
    from forkflow.manifest.forks import add_forks, network_header
    from forkflow.manifest.spec import NodeSpec, load_manifest

    owner, _, name = central.partition("/")
    if not owner or not name or ("/" in name and forge_kind == "github") or "" in central.split("/"):
        raise click.UsageError(
            "--central takes OWNER/NAME" + (" (or GROUP/SUBGROUP/NAME)" if forge_kind == "gitlab" else "")
        )
    name = central.rsplit("/", 1)[1]
    with handle_errors():
        found = _forks_of(forge_kind, central, org, token)
        existing: tuple[NodeSpec, ...] = ()
        text = network_header(name) + ('forge = "gitlab"\n' if forge_kind == "gitlab" else "")
        if manifest.exists():
            text = manifest.read_text(encoding="utf-8")
            has_nodes = "[[node]]" in text  # a new manifest may have only its [network] table yet
            existing = load_manifest(manifest).nodes if has_nodes else ()
        done = add_forks(
            text, existing, [(f.full_name, f.parent, _node_url(f, forge_kind), f.branch) for f in found], tier
        )
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
