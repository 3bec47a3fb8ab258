"""A damaged store file (garbage, cut short, damaged inside) is moved aside, never deleted, and a
new store begun; the scan then says what a scan without any cache says.  A folder where the
store's file should be is refused, and left alone."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.faults.harness import run, traceback_free


def scanned(network: Callable[[str], Path]) -> tuple[Path, Path]:
    """A network scanned once (its store full of caches, one scan in its history); its store is closed."""
    work = network("scanned") / "work"
    return work, work / ".forkflow" / "store.sqlite"


def garbage(store: Path) -> None:
    store.write_bytes(b"\x89 this is no database \x00" * 400)


def cut_short(store: Path) -> None:
    os.truncate(store, store.stat().st_size // 2)


def damaged_inside(store: Path) -> None:
    """Overwrite the cached reports' table: the file opens, the scan's first read of it fails."""
    db = sqlite3.connect(store)
    (root_page,) = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'report_cache'").fetchone()
    (page_size,) = db.execute("PRAGMA page_size").fetchone()
    db.close()
    with open(store, "r+b") as handle:
        handle.seek((root_page - 1) * page_size)
        handle.write(b"\xa5" * page_size)


@pytest.mark.parametrize("damage", [garbage, cut_short])
def test_a_damaged_store_is_moved_aside_and_the_scan_is_right(
    damage: Callable[[Path], None], network: Callable[[str], Path]
) -> None:
    work, store = scanned(network)
    damage(store)
    bytes_before = store.read_bytes()
    warm = run(work, "scan", "--json")
    assert warm.returncode == 0 and traceback_free(warm.stderr), warm.stderr
    (aside,) = store.parent.glob("store.sqlite.damaged-*")
    assert aside.read_bytes() == bytes_before  # nothing of it deleted
    (line,) = warm.stderr.splitlines()
    assert line.startswith(f"warning: {store}: the store was damaged (")
    assert line.endswith(
        f"); it was moved aside to {aside}, and a new store begun. Its caches fill again as forkflow runs; the "
        f"history of scans and the local forge's proposals it held are in {aside} (README: 'A damaged store')"
    )
    cold = run(work, "scan", "--json", "--no-cache")
    assert (cold.returncode, cold.stdout, cold.stderr) == (0, warm.stdout, "")


def test_a_store_damaged_inside_stops_the_run_then_the_next_one_begins_anew(network: Callable[[str], Path]) -> None:
    work, store = scanned(network)
    damaged_inside(store)
    stopped = run(work, "scan", "--json")
    assert stopped.returncode == 1 and traceback_free(stopped.stderr), stopped.stderr
    (aside,) = store.parent.glob("store.sqlite.damaged-*")
    assert stopped.stderr.splitlines() == [
        f"error: {store}: the store is damaged (database disk image is malformed); it was moved aside to {aside}, "
        "and the next run starts a new store (see the README: 'A damaged store')"
    ]
    warm = run(work, "scan", "--json")
    cold = run(work, "scan", "--json", "--no-cache")
    assert (warm.returncode, warm.stderr) == (0, "")
    assert (cold.returncode, cold.stdout) == (0, warm.stdout)


def test_a_folder_where_the_store_should_be_is_refused_and_left_alone(network: Callable[[str], Path]) -> None:
    root = network("fetched")
    work = root / "work"
    folder = work / ".forkflow" / "store.sqlite"
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("someone's\n")
    done = run(work, "scan")
    assert (done.returncode, done.stderr.splitlines()) == (
        1,
        [
            f"error: {folder}: is a folder, not a forkflow store; move it away, or name a store file with "
            "--store PATH (or FORKFLOW_STORE)"
        ],
    )
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert not list(folder.parent.glob("store.sqlite.damaged-*"))


def test_another_programs_database_is_refused_and_left_alone(network: Callable[[str], Path], tmp_path: Path) -> None:
    work = network("fetched") / "work"
    theirs = tmp_path / "app.db"
    db = sqlite3.connect(theirs)
    db.execute("CREATE TABLE users (name TEXT)")
    db.execute("INSERT INTO users VALUES ('ada')")
    db.commit()
    db.close()
    done = run(work, "scan", "--store", str(theirs))
    assert (done.returncode, done.stderr.splitlines()) == (
        1,
        [
            f"error: {theirs}: is a SQLite database, but not a forkflow store (its tables: users); "
            "name another file with --store PATH"
        ],
    )
    db = sqlite3.connect(theirs)
    assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("users",)]
