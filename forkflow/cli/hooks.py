"""The command line for contributors' git hooks: hooks install, pre-push, commit-msg, check-paths."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from forkflow.cli.errors import handle_errors
from forkflow.exitcodes import EXIT_FINDING
from forkflow.gitrepo import open_repository
from forkflow.hooks import (
    CENTRAL_CONFIG,
    hook_policy,
    install_hooks,
    need_register,
    protected_refusals,
    pushed_commits,
    refusal_message,
    unknown_needs,
)


@click.group()
def hooks() -> None:
    """Git hooks for contributors: protected paths on push, Need: trailers on commit."""


@hooks.command("install")
@click.option("--repo", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True)
@click.option("--force", is_flag=True, help="Replace hooks that forkflow did not write.")
def install(repo: Path, force: bool) -> None:
    """Install the pre-push and commit-msg hooks into this clone."""
    with handle_errors():
        for path in install_hooks(open_repository(repo), force=force):
            click.echo(f"installed {path}")


@hooks.command("pre-push")
@click.argument("remote", required=False)
@click.argument("url", required=False)
def pre_push(remote: str | None, url: str | None) -> None:
    """Refuse a push whose commits change protected paths (git's pre-push hook; reads the refs on stdin).

    A clone of central itself (git config forkflow.central true) may change them.  Exit code 4
    when the push is refused.
    """
    with handle_errors():
        repo = open_repository(".")
        if repo.config_flag(CENTRAL_CONFIG):
            return
        fields = [line.split() for line in sys.stdin.read().splitlines()]
        updates = [(f[0], f[1], f[2], f[3]) for f in fields if len(f) == 4]
        policy = hook_policy(repo)
        refusals = protected_refusals(repo, pushed_commits(repo, updates), policy)
        if refusals:
            click.echo(refusal_message(refusals, policy), err=True)
            sys.exit(EXIT_FINDING)


@hooks.command("commit-msg")
@click.argument("message_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def commit_msg(message_file: Path) -> None:
    """Refuse a commit whose Need: trailers name no need of needs.toml (git's commit-msg hook; exit code 4)."""
    with handle_errors():
        known = need_register(open_repository("."))
        if known is None:
            return
        unknown = unknown_needs(message_file.read_text(encoding="utf-8", errors="replace"), known)
        if unknown:
            click.echo(
                f"forkflow: commit refused: Need: {', '.join(unknown)} is not in needs.toml "
                f"(known needs: {', '.join(known) or 'none'}); fix the trailer or add the need to the register",
                err=True,
            )
            sys.exit(EXIT_FINDING)


@hooks.command("check-paths")
@click.argument("paths", nargs=-1)
def check_paths(paths: tuple[str, ...]) -> None:
    """Refuse changes to protected paths among PATHS (for the pre-commit framework, which passes the files; exit 4)."""
    with handle_errors():
        repo = open_repository(".")
        if repo.config_flag(CENTRAL_CONFIG):
            return
        policy = hook_policy(repo)
        touched = policy.protected(list(paths))
        if touched:
            click.echo(
                f"forkflow: only central may change {', '.join(touched)} "
                f"(protected_paths = {', '.join(repr(g) for g in policy.protecting(touched))}, {policy.source}); "
                "propose the change upstream with `forkflow contribute --to central`",
                err=True,
            )
            sys.exit(EXIT_FINDING)
