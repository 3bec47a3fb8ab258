"""The SQLite adapter: opening a file other processes are using."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from forkflow.store.db import SqliteDatabase


def test_a_new_store_opened_while_another_process_writes_waits_for_it(tmp_path: Path) -> None:
    # SQLite answers "database is locked" at once, without waiting, when a file is switched to
    # its write-ahead log while another connection writes in the old mode: two commands making
    # a new store together meet it. The opening waits, as any write does.
    path = tmp_path / "new.sqlite"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE t(x)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (1)")
    done = threading.Timer(0.5, writer.execute, ("COMMIT",))
    done.start()
    try:
        database = SqliteDatabase(path)
    finally:
        done.join()
    assert database.execute("SELECT x FROM t") == [(1,)]
    database.close()
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert check.execute("SELECT x FROM t").fetchall() == [(1,)]  # the other writer's row is kept
