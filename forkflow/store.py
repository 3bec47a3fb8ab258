"""The store: a SQLite file in ``.forkflow/`` of the working repository.

It caches what never changes (a commit's patch-id, line counts and touched paths; the
comparison of one pair of heads) and keeps the history of scans.  Every write is one
transaction and every cache row is an idempotent upsert, so an interrupted run leaves
nothing half-written and a re-run adds nothing twice.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forkflow.errors import StoreError
from forkflow.fingerprint import pack, unpack

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS patch (
    commit_id TEXT PRIMARY KEY,
    paths TEXT NOT NULL,          -- JSON list of touched paths
    full INTEGER NOT NULL,        -- 1 when patch_id and line counts are known
    patch_id TEXT,                -- NULL for an empty diff or a merge
    insertions INTEGER NOT NULL DEFAULT 0,
    deletions INTEGER NOT NULL DEFAULT 0,
    abbrev INTEGER NOT NULL DEFAULT 0,
    features BLOB                 -- the fingerprint (forkflow.fingerprint), packed
);
CREATE TABLE IF NOT EXISTS pair (
    parent_head TEXT NOT NULL,
    node_head TEXT NOT NULL,
    version INTEGER NOT NULL,
    result TEXT NOT NULL,         -- JSON: the comparison of the two heads
    PRIMARY KEY (parent_head, node_head, version)
);
CREATE TABLE IF NOT EXISTS report_cache (
    key TEXT PRIMARY KEY,         -- the network's nodes and heads, hashed
    saved_at REAL NOT NULL,
    report TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS proposal (
    number INTEGER PRIMARY KEY AUTOINCREMENT,  -- what people type: forkflow proposals show 3
    network TEXT NOT NULL,
    change_id TEXT NOT NULL,      -- the shared change it proposes
    record TEXT NOT NULL          -- JSON: forkflow.forge.Proposal
);
CREATE INDEX IF NOT EXISTS proposal_change ON proposal(network, change_id);
CREATE TABLE IF NOT EXISTS commit_check (
    network TEXT NOT NULL,
    node TEXT NOT NULL,
    sha TEXT NOT NULL,
    state TEXT NOT NULL,          -- success or failure
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    PRIMARY KEY (network, node, sha)
);
CREATE TABLE IF NOT EXISTS scan (
    run_id TEXT PRIMARY KEY,
    network TEXT NOT NULL,
    scanned_at TEXT NOT NULL,
    report TEXT NOT NULL          -- JSON: the scan report
);
"""


@dataclass(frozen=True)
class CachedPatch:
    paths: tuple[str, ...]
    full: bool
    patch_id: str | None
    insertions: int
    deletions: int
    abbrev: int
    features: tuple[int, ...] | None = None  # None: not computed yet (rows of an older forkflow)


class Store:
    """Opens (and creates) the store of one working repository."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            with self.transaction():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                columns = {row[1] for row in self._db.execute("PRAGMA table_info(patch)")}
                if "features" not in columns:  # a store written before fingerprints existed
                    self._db.execute("ALTER TABLE patch ADD COLUMN features BLOB")
        except sqlite3.DatabaseError as err:
            raise StoreError(
                f"{self.path}: the forkflow store cannot be opened ({err}); "
                f"delete it to start afresh (it only holds caches and history)"
            ) from None

    @classmethod
    def for_repository(cls, git_dir: Path, workdir: Path | None) -> Store:
        """The store inside a working repository: ``<work tree>/.forkflow/`` or ``<git dir>/forkflow/``."""
        folder = workdir / ".forkflow" if workdir is not None else git_dir / "forkflow"
        folder.mkdir(parents=True, exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# forkflow's cache and history; never committed\n*\n")
        return cls(folder / "store.sqlite")

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # patches ----------------------------------------------------------------------------

    def patches(self, commit_ids: Iterable[str]) -> dict[str, CachedPatch]:
        ids = list(commit_ids)
        found: dict[str, CachedPatch] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT commit_id, paths, full, patch_id, insertions, deletions, abbrev, features "
                f"FROM patch WHERE commit_id IN ({marks})",
                chunk,
            )
            for row in rows:
                features = unpack(row[7]) if row[7] is not None else None
                paths = tuple(json.loads(row[1]))
                found[row[0]] = CachedPatch(paths, bool(row[2]), row[3], row[4], row[5], row[6], features)
        return found

    def save_patches(self, rows: dict[str, CachedPatch]) -> None:
        if not rows:
            return
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO patch(commit_id, paths, full, patch_id, insertions, deletions, abbrev, features) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(commit_id) DO UPDATE SET paths=excluded.paths, full=excluded.full, "
                "patch_id=excluded.patch_id, insertions=excluded.insertions, deletions=excluded.deletions, "
                "abbrev=excluded.abbrev, features=excluded.features WHERE excluded.full >= patch.full",
                [
                    (
                        cid,
                        json.dumps(list(p.paths)),
                        int(p.full),
                        p.patch_id,
                        p.insertions,
                        p.deletions,
                        p.abbrev,
                        pack(p.features) if p.features is not None else None,
                    )
                    for cid, p in rows.items()
                ],
            )

    # pairs ------------------------------------------------------------------------------

    def pairs(self, keys: Iterable[tuple[str, str]], version: int) -> dict[tuple[str, str], dict[str, Any]]:
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for parent_head, node_head in keys:
            row = self._db.execute(
                "SELECT result FROM pair WHERE parent_head=? AND node_head=? AND version=?",
                (parent_head, node_head, version),
            ).fetchone()
            if row is not None:
                found[(parent_head, node_head)] = json.loads(row[0])
        return found

    def save_pairs(self, rows: dict[tuple[str, str], dict[str, Any]], version: int) -> None:
        if not rows:
            return
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO pair(parent_head, node_head, version, result) VALUES (?, ?, ?, ?)",
                [(p, n, version, json.dumps(result, sort_keys=True)) for (p, n), result in rows.items()],
            )

    # whole reports ----------------------------------------------------------------------

    def cached_report(self, key: str) -> str | None:
        row = self._db.execute("SELECT report FROM report_cache WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row is not None else None

    def save_report(self, key: str, report: str, keep: int = 8) -> None:
        """Keep the report for these heads (and only the few most recent ones)."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO report_cache(key, saved_at, report) VALUES (?, ?, ?)",
                (key, datetime.now(UTC).timestamp(), report),
            )
            db.execute(
                "DELETE FROM report_cache WHERE key NOT IN "
                "(SELECT key FROM report_cache ORDER BY saved_at DESC LIMIT ?)",
                (keep,),
            )

    # scans ------------------------------------------------------------------------------

    def record_scan(self, network: str, report: dict[str, Any], run_id: str | None = None) -> str:
        run_id = run_id or uuid.uuid4().hex
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO scan(run_id, network, scanned_at, report) VALUES (?, ?, ?, ?)",
                (run_id, network, datetime.now(UTC).isoformat(timespec="seconds"), json.dumps(report, sort_keys=True)),
            )
        return run_id

    def scans(self, network: str) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT report FROM scan WHERE network=? ORDER BY scanned_at, rowid", (network,))
        return [json.loads(row[0]) for row in rows]

    # proposals (the local forge's record) -------------------------------------------------

    def add_proposal(self, network: str, change_id: str, record: dict[str, Any]) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO proposal(network, change_id, record) VALUES (?, ?, ?)",
                (network, change_id, json.dumps(record, sort_keys=True)),
            )
            return int(cursor.lastrowid or 0)

    def update_proposal(self, number: int, record: dict[str, Any]) -> None:
        with self.transaction() as db:
            db.execute("UPDATE proposal SET record=? WHERE number=?", (json.dumps(record, sort_keys=True), number))

    def proposals(self, network: str) -> list[tuple[int, dict[str, Any]]]:
        rows = self._db.execute("SELECT number, record FROM proposal WHERE network=? ORDER BY number", (network,))
        return [(int(row[0]), json.loads(row[1])) for row in rows]

    # checks (the local forge's commit statuses) ------------------------------------------

    def save_check(self, network: str, node: str, sha: str, state: str, title: str, summary: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO commit_check(network, node, sha, state, title, summary) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (network, node, sha, state, title, summary),
            )

    def checks(self, network: str) -> list[tuple[str, str, str, str]]:
        rows = self._db.execute(
            "SELECT node, sha, state, title FROM commit_check WHERE network=? ORDER BY rowid", (network,)
        )
        return [(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]
