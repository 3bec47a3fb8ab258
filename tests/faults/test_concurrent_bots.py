"""Two ``forkflow bot --forge local`` runs started at once on the same repository and store:
neither crashes, no proposal is opened twice, no store write is lost, and the network ends as
two runs one after the other leave it."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.faults.harness import (
    Shared,
    command,
    copy_network,
    differences,
    forkflow_env,
    run,
    state,
    traceback_free,
    unnumbered,
)

ROUNDS = 2  # races are caught by repeating; bounded so the suite stays fast


def bot_env(tmp_path: Path, run_id: str) -> dict[str, str]:
    files = {name: tmp_path / f"{name}-{run_id}" for name in ("summary", "output")}
    for path in files.values():
        path.write_text("")
    return forkflow_env(
        GITHUB_EVENT_NAME="schedule",
        GITHUB_RUN_ID=run_id,
        GITHUB_STEP_SUMMARY=str(files["summary"]),
        GITHUB_OUTPUT=str(files["output"]),
    )


def outputs(env: dict[str, str]) -> dict[str, str]:
    return dict(line.split("=", 1) for line in Path(env["GITHUB_OUTPUT"]).read_text().splitlines())


def without_runs(found: dict[str, Any]) -> dict[str, Any]:
    """A state without what says which run did what: the run ids kept with proposals and scans."""
    kept: dict[str, Any] = json.loads(json.dumps(found))
    for table in ("proposal", "scan"):
        for row in kept["store"].get(table, []):
            row["run_id"] = None
    return kept


@pytest.fixture(scope="module")
def two_runs(templates: dict[str, Path], shared: Shared) -> dict[str, Any]:
    """What one bot run, then another, leave (the second opens nothing)."""

    def make(folder: Path) -> dict[str, Any]:
        root = folder / "net"
        work = copy_network(templates["fetched"], root)
        for run_id in ("1", "2"):
            done = run(work, "bot", "--forge", "local", env=bot_env(folder, run_id))
            assert done.returncode == 0, done.stderr
        return state(root)

    found: dict[str, Any] = shared("two-bots", make)
    return found


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_bots_at_once_open_nothing_twice_and_lose_nothing(
    round_: int, two_runs: dict[str, Any], network: Callable[[str], Path], tmp_path: Path
) -> None:
    root = network("fetched")
    work = root / "work"
    envs = [bot_env(tmp_path, f"{round_}0{n}") for n in (1, 2)]
    started = [
        subprocess.Popen(
            command("bot", "--forge", "local"),
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for env in envs
    ]
    finished = [process.communicate(timeout=120) for process in started]
    for process, (_, err) in zip(started, finished, strict=True):
        assert process.returncode == 0 and traceback_free(err), err
    opened = sum(int(outputs(env)["proposals-opened"]) for env in envs)
    after = state(root)
    assert len(after["proposals"]) == len(two_runs["proposals"]) == 8  # 5 bubble-up, 3 sync: once each
    assert opened == 8
    assert without_runs(after) == without_runs(two_runs)
    assert sorted(row["run_id"] for row in after["store"]["scan"]) == sorted(
        f"bot:{env['GITHUB_RUN_ID']}" for env in envs
    )
    db = sqlite3.connect(work / ".forkflow" / "store.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_a_ref_another_writer_holds_is_a_clear_error_and_a_rerun_finishes(
    network: Callable[[str], Path], one_run: Callable[[str], tuple[int, dict[str, Any]]]
) -> None:
    """A git that is writing one of the refs sync writes (its ``.lock`` file is there): sync
    stops with an error naming the ref, not a crash; once git is done, sync again finishes."""
    code, expected = one_run("sync")
    assert code == 0
    root = network("fetched")
    central = subprocess.run(
        ["git", "--git-dir", str(root / "forge" / "central.git"), "rev-parse", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    lock = root / "work" / ".git" / "refs" / "forkflow" / "sync" / "beta" / f"{central[:12]}.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text("")
    stopped = run(root / "work", "sync", "--force")
    assert stopped.returncode == 1 and traceback_free(stopped.stderr), stopped.stderr
    assert f"refs/forkflow/sync/beta/{central[:12]}: cannot be written" in stopped.stderr
    lock.unlink()
    assert run(root / "work", "sync", "--force").returncode == 0
    # the nodes after beta were synced in the first run (each node on its own), so their
    # proposals were numbered before beta's: the same proposals, each once, numbered otherwise
    assert differences(unnumbered(state(root)), unnumbered(expected)) == []
