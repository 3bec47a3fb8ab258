"""The sharded example workflow: clean under actionlint, and run as written on this machine.

Each matrix entry of the ``shard`` job and then the ``collect`` job is played the way a runner
plays it: a fresh checkout of the manifest repository, the workflow's and the step's ``env``
with their expressions filled in, and every ``run`` script in bash.  The store is a real
PostgreSQL database; the collected report must equal one machine's, byte for byte.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.gitcli import Git
from tests.network.test_shard import url_manifest
from tests.networks import build_random
from tests.test_workflows import EXAMPLES, assert_clean, load, run_actionlint, triggers

SHARDED = EXAMPLES / "forkflow-sharded.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def test_actionlint_finds_nothing_in_the_sharded_workflow() -> None:
    assert_clean(run_actionlint(SHARDED.parent, Path(SHARDED.name)))


def test_the_sharded_workflow_is_a_matrix_and_a_collect_job() -> None:
    workflow = load(SHARDED)
    assert set(triggers(workflow)) == {"schedule", "workflow_dispatch"}
    shard, collect = workflow["jobs"]["shard"], workflow["jobs"]["collect"]
    assert shard["strategy"]["fail-fast"] is False
    assert shard["strategy"]["matrix"]["shard"] == list(range(1, 9))
    assert collect["needs"] == "shard"
    assert collect["if"] == "${{ !cancelled() }}"
    assert workflow["permissions"] == {"contents": "read"}
    assert "github.com/example-u/forkflow@v1" in workflow["env"]["FORKFLOW"]
    assert workflow["env"]["FORKFLOW"].startswith("forkflow[postgresql] @ ")


def fill(text: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        assert match.group(1) in values, f"the test does not know {match.group(1)!r}"
        return values[match.group(1)]

    return EXPRESSION.sub(value, text)


def play(job: dict[str, Any], workflow: dict[str, Any], source: Path, work: Path, values: dict[str, str]) -> None:
    """Run one job as a runner would, in ``work``: checkout, then every ``run`` step in order."""
    summary = work.parent / f"{work.name}-summary.md"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env |= {key: fill(str(v), values) for key, v in workflow["env"].items()}
    env["GITHUB_STEP_SUMMARY"] = str(summary)
    for step in job["steps"]:
        uses = step.get("uses", "")
        if uses.startswith("actions/checkout@"):
            subprocess.run(["git", "clone", "-q", str(source), str(work)], check=True)
            continue
        if uses.startswith(("actions/setup-python@", "actions/upload-artifact@")) or step.get("name") == (
            "Install forkflow"  # forkflow is installed here already: the one under test
        ):
            continue
        assert "run" in step, step
        step_env = env | {key: fill(str(v), values) for key, v in step.get("env", {}).items()}
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=work,
            env=step_env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert done.returncode == 0, f"{step.get('name')}: {done.stdout}{done.stderr}"


def test_the_sharded_workflow_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    origin, text = build_random(tmp_path / "origin", seed=21, nodes=12, steps=120)
    central = Git.init(tmp_path / "central")  # the repository that holds forkflow.toml
    central.commit("Describe the network", {"forkflow.toml": url_manifest(origin.path, text)})
    alone = tmp_path / "alone"
    subprocess.run(["git", "clone", "-q", str(central.path), str(alone)], check=True)
    forkflow = [sys.executable, "-m", "forkflow"]
    subprocess.run([*forkflow, "fetch"], cwd=alone, check=True, capture_output=True)
    one_machine = subprocess.run(
        [*forkflow, "scan", "--json", "--no-cache"], cwd=alone, check=True, capture_output=True, text=True
    ).stdout

    workflow = load(SHARDED)
    matrix = workflow["jobs"]["shard"]["strategy"]["matrix"]["shard"]
    common = {"secrets.FORKFLOW_STORE": postgres_url, "github.run_id": "4242", "github.token": ""}
    for entry in matrix:
        values = common | {"matrix.shard": str(entry), "strategy.job-total": str(len(matrix))}
        play(workflow["jobs"]["shard"], workflow, central.path, tmp_path / f"shard-{entry}", values)
    play(workflow["jobs"]["collect"], workflow, central.path, tmp_path / "collect", common)

    assert (tmp_path / "collect" / "scan.json").read_text() == one_machine
    summary = (tmp_path / "collect-summary.md").read_text()
    assert summary.startswith("# ") and "unmet" in summary.lower()
