"""SIGINT and SIGTERM in the middle of fetch, scan, propose, sync --force and merge, then the
same command again: the refs of every repository, every row of the store and the forge's
proposals end exactly as one uninterrupted run leaves them, and the interrupted process exits
130 with one line, no traceback.

Each case stops forkflow at a named point (:mod:`forkflow.faultpoints`), sends the signal,
runs the command again to its end, and compares the whole state with the state that one
plain run leaves on another copy of the same network (:func:`tests.faults.harness.state`).
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.faults.harness import COMMANDS, differences, forkflow_env, interrupt, run, state, traceback_free
from tests.postgres import SERVER

INT, TERM = signal.SIGINT, signal.SIGTERM
CASES = [
    ("fetch", "fetch.node-done#1", INT),  # central fetched, alpha not
    ("fetch", "fetch.node-done#5", TERM),
    ("scan", "scan.pairs-saved", TERM),  # comparisons kept, no report yet
    ("scan", "scan.recorded", INT),  # the scan is in the history; the report not printed
    ("propose", "forge.branch-written#1", INT),  # the first proposal's branch, no record yet
    ("propose", "propose.applied#2", TERM),  # two proposals open, three to go
    ("sync", "sync.half-moved#1", INT),  # gamma reset: its repository's branch moved, forkflow's ref not
    ("sync", "forge.branch-written#2", TERM),  # beta's sync branch pushed, no proposal recorded
    ("merge", "lifecycle.repository-begun", TERM),  # the new repository exists, empty
    ("merge", "lifecycle.step-done#6", INT),  # gamma-dept moved, beta retired, gamma not yet
]


@pytest.mark.parametrize(("command", "point", "sig"), CASES, ids=[f"{c}-{p}-{s.name}" for c, p, s in CASES])
def test_an_interrupted_run_then_a_rerun_ends_as_one_run(
    command: str,
    point: str,
    sig: signal.Signals,
    one_run: Callable[[str], tuple[int, dict[str, Any]]],
    network: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    code, expected = one_run(command)
    assert code == 0
    template, args = COMMANDS[command]
    root = network(template)
    stopped = interrupt(root / "work", args, point, sig, tmp_path / "pause")
    assert stopped.paused.startswith(point if "#" in point else f"{point}#1")
    assert (stopped.code, stopped.stderr.splitlines()[-1:]) == (130, ["interrupted; nothing was left half-written"])
    assert traceback_free(stopped.stderr), stopped.stderr
    again = run(root / "work", *args)
    assert again.returncode == code, again.stderr
    after = state(root)
    assert differences(after, expected, caches_may_grow=command == "merge") == []
    if after["store"] != expected["store"]:  # the caches grew: what they hold is never stale
        warm, cold = run(root / "work", "scan", "--json"), run(root / "work", "scan", "--json", "--no-cache")
        assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout)


@pytest.fixture
def two_databases(postgres_url: str) -> Iterator[tuple[str, str]]:
    """Two new, empty PostgreSQL databases: one for the interrupted network, one for the other."""
    second = postgres_url + "_b"
    with psycopg.connect(SERVER, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{second.rsplit("/", 1)[1]}"')
    try:
        yield postgres_url, second
    finally:
        with psycopg.connect(SERVER, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{second.rsplit("/", 1)[1]}" WITH (FORCE)')


def test_on_a_postgresql_store_too(
    two_databases: tuple[str, str], network: Callable[[str], Path], tmp_path: Path
) -> None:
    """propose on a shared PostgreSQL store, stopped between two proposals, then run again."""
    stopped_store, plain_store = two_databases
    plain = network("fetched")
    assert run(plain / "work", "propose", env=forkflow_env(FORKFLOW_STORE=plain_store)).returncode == 0
    expected = state(plain, plain_store)
    root = network("fetched")
    env = forkflow_env(FORKFLOW_STORE=stopped_store)
    stopped = interrupt(root / "work", ["propose"], "propose.applied#3", TERM, tmp_path / "pause", env=env)
    assert stopped.code == 130 and traceback_free(stopped.stderr), stopped.stderr
    assert run(root / "work", "propose", env=env).returncode == 0
    assert len(expected["proposals"]) == 5
    assert differences(state(root, stopped_store), expected) == []
