"""forkflow policy check and forkflow policy schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from forkflow.cli._common import (
    now_utc,
    open_space,
    run_scan,
    workspace_options,
)
from forkflow.cli.errors import handle_errors
from forkflow.exitcodes import EXIT_FINDING


@click.group()
def policy() -> None:
    """The robot's rules: policies/*.toml (shipped) or a file named in forkflow.toml."""


@policy.command("check")
@workspace_options
@click.option("--json", "as_json", is_flag=True, help="Print the violations as JSON.")
def policy_check(repo: Path, manifest: Path | None, as_json: bool) -> None:
    """Every violation of the policy in the network, with its evidence and a fix.

    Exit code: 0 when there is none, 4 when there are violations (1 for errors, as always).
    """
    from forkflow.policy.check import all_violations
    from forkflow.security.coverage import network_security

    with handle_errors():
        space = open_space(repo, manifest)
        report = run_scan(space)
        covered = network_security(space.repo, space.network, space.policy, now_utc(), store=space.store)
        found = all_violations(report, space.network, space.policy, covered.coverage if covered is not None else None)
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
