"""A full disk under the store (a small tmpfs): a clear error, exit 1, and the store as it was
before the write that did not fit, whole (``PRAGMA integrity_check``); once there is room, the
next run goes on from it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.faults.harness import (
    fill,
    finish,
    forkflow_env,
    mount,
    run,
    sqlite_rows,
    start_paused,
    traceback_free,
    unmount,
)

SIZE = 4 << 20  # room for the store and some; the test fills the rest


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A small file system of its own (tmpfs), mounted for this test."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mount("-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(folder))
    try:
        yield folder
    finally:
        unmount(folder)


def no_space(store: Path) -> str:
    return f"error: {store}: no space left on the disk that holds the store ("


def assert_no_space(returncode: int, stderr: str, store: Path) -> None:
    assert returncode == 1 and traceback_free(stderr), stderr
    (line,) = stderr.splitlines()
    assert line.startswith(no_space(store)), line
    assert line.endswith(
        "); this write was not kept and the store is as it was before it; free some space (or name a store "
        "elsewhere with --store PATH) and run the command again"
    )


def whole(store: Path) -> bool:
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        return db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        db.close()


def test_a_full_disk_before_the_run_is_a_clear_error_and_the_store_stays_whole(
    disk: Path, network: Callable[[str], Path]
) -> None:
    work = network("fetched") / "work"
    store = disk / "store.sqlite"
    env = forkflow_env(FORKFLOW_STORE=str(store))
    assert run(work, "scan", env=env).returncode == 0
    before = sqlite_rows(store)
    filler = fill(disk)
    # The scan again, with nothing changed, has nothing to write (a re-run adds no history row):
    # it may end well, or fail clearly when opening the store needs room; either way it keeps the store.
    scan = run(work, "scan", env=env)
    assert traceback_free(scan.stderr), scan.stderr
    if scan.returncode == 0:
        assert sqlite_rows(store, immutable=True) == before
    else:
        assert_no_space(scan.returncode, scan.stderr, store)
    done = run(work, "propose", env=env)  # it records proposals: a write that does not fit
    assert_no_space(done.returncode, done.stderr, store)
    filler.unlink()
    assert sqlite_rows(store) == before and whole(store)
    assert run(work, "propose", env=env).returncode == 0  # room again: it goes on from the same store


def test_a_disk_that_fills_during_a_scan_keeps_every_write_done_before(
    disk: Path, network: Callable[[str], Path], tmp_path: Path
) -> None:
    work = network("fetched") / "work"
    store = disk / "store.sqlite"
    env = forkflow_env(FORKFLOW_STORE=str(store))
    pause = tmp_path / "pause"
    scanning = start_paused(work, ["scan", "--json"], "scan.pairs-saved", pause, env=env)
    before = sqlite_rows(store)  # the comparisons are in; the report is not
    assert before["pair"] and not before["report_cache"]
    filler = fill(disk)
    pause.unlink()  # go on: the next write finds no room
    code, _, err = finish(scanning, "the disk filled")
    assert code == 1 and traceback_free(err), err
    (line,) = err.splitlines()
    assert line.startswith(no_space(store)), line
    filler.unlink()
    assert sqlite_rows(store) == before and whole(store)
    warm, cold = run(work, "scan", "--json", env=env), run(work, "scan", "--json", "--no-cache", env=env)
    assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout) == (0, cold.stdout)
