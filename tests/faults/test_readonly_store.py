"""A store on a read-only disk (a read-only bind mount: root ignores file modes, not mounts):
a clear error naming the file and what to do, and the store as it was."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.faults.harness import forkflow_env, mount, run, sqlite_rows, traceback_free, unmount


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(a folder, the same folder seen through a bind mount that can be made read-only)."""
    source, seen = tmp_path / "disk", tmp_path / "mounted"
    source.mkdir()
    seen.mkdir()
    mount("--bind", str(source), str(seen))
    try:
        yield source, seen
    finally:
        unmount(seen)


def test_a_store_on_a_read_only_disk_is_a_clear_error_and_stays_as_it_was(
    disk: tuple[Path, Path], network: Callable[[str], Path]
) -> None:
    source, seen = disk
    work = network("fetched") / "work"
    store = seen / "store.sqlite"
    assert run(work, "scan", "--store", str(store)).returncode == 0
    before = sqlite_rows(source / "store.sqlite")
    mount("-o", "remount,ro,bind", str(seen))
    assert not _writable(seen)  # the mount, not a file mode, keeps root out
    message = (
        f"error: {store}: the store cannot be written: {seen} is on a read-only file system. forkflow keeps its "
        "caches, the history of scans and the local forge's proposals there: name a writable store with "
        "--store PATH (or FORKFLOW_STORE); a copy of this file keeps all of it"
    )
    for done in (
        run(work, "scan", "--store", str(store)),
        run(work, "propose", env=forkflow_env(FORKFLOW_STORE=str(store))),
    ):
        assert (done.returncode, done.stderr.splitlines()) == (1, [message])
        assert traceback_free(done.stderr)
    assert sqlite_rows(source / "store.sqlite") == before
    db = sqlite3.connect(f"file:{source / 'store.sqlite'}?mode=ro", uri=True)
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def _writable(folder: Path) -> bool:
    try:
        (folder / "probe").write_text("x")
    except OSError:
        return False
    (folder / "probe").unlink()
    return True
