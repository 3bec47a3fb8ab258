"""The command line.  The only module that prints, prompts or exits.

Exit codes (forkflow/exitcodes.py): 0 ok; 1 a forkflow error (a bad manifest, a node that could
not be fetched or scanned); 2 a usage error; 3 an unexpected error (the traceback goes to a
private log file, and a line says where); 4 a finding (policy violations, a refusal); 130
interrupted (SIGINT or SIGTERM).
"""

from __future__ import annotations

import os
from typing import Any

import click

from forkflow import __version__, faultpoints
from forkflow.cli.bot import bot, discover_forks
from forkflow.cli.demo import demo
from forkflow.cli.errors import handle_errors, sigterm_interrupts
from forkflow.cli.hooks import hooks
from forkflow.cli.init import init
from forkflow.cli.lifecycle import merge_nodes, provision, retire
from forkflow.cli.policy import policy
from forkflow.cli.proposals import contribute, proposals, propose, shared
from forkflow.cli.reports import report, trend
from forkflow.cli.scan import fetch, scan
from forkflow.cli.security import security
from forkflow.cli.store import store
from forkflow.cli.sync import sync


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


for _command in (
    bot,
    contribute,
    demo,
    discover_forks,
    fetch,
    hooks,
    init,
    merge_nodes,
    policy,
    proposals,
    propose,
    provision,
    report,
    retire,
    scan,
    security,
    shared,
    store,
    sync,
    trend,
):
    main.add_command(_command)

__all__ = ["main"]
