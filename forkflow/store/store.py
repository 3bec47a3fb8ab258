"""The store: a SQLite file in ``.forkflow/`` of the working repository, or a PostgreSQL
database that many machines share (``--store postgresql://...``).

It caches what never changes (a commit's patch-id, line counts and touched paths; the
comparison of one pair of heads) and keeps the history of scans.  Every write is one
transaction and every cache row is an idempotent upsert, so an interrupted run leaves
nothing half-written and a re-run adds nothing twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forkflow.changes.fingerprint import pack, unpack
from forkflow.errors import StoreDamagedError
from forkflow.model import ScanSummary
from forkflow.store.db import Database, is_url, open_database
from forkflow.store.schema import SCHEMA_VERSION, create_tables

__all__ = ["SCHEMA_VERSION", "CachedPatch", "ShardHead", "Store", "local_folder"]


@dataclass(frozen=True)
class CachedPatch:
    paths: tuple[str, ...]
    full: bool
    patch_id: str | None
    insertions: int
    deletions: int
    abbrev: int
    features: tuple[int, ...] | None = None  # None: not computed yet (rows of an older forkflow)


STORE_NAME = "store.sqlite"
"""The store's file in :func:`local_folder`, when no other store is named."""


def local_folder(git_dir: Path, workdir: Path | None, *, make: bool = True) -> Path:
    """forkflow's folder in a working repository: ``<work tree>/.forkflow/`` (which git ignores)
    or, in a bare repository, ``<git dir>/forkflow/``; made when missing, unless not ``make``."""
    folder = workdir / ".forkflow" if workdir is not None else git_dir / "forkflow"
    if not make:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# forkflow's cache and history; never committed\n*\n")
    return folder


@dataclass(frozen=True)
class ShardHead:
    """A node's head as a shard resolved it, or why it could not."""

    head: str | None
    field: str | None = None
    problem: str | None = None


class Store:
    """Opens (and creates) a store: a SQLite file (the default) or a PostgreSQL database.

    ``location`` is a path, ``sqlite:///path`` or ``postgresql://user@host/db``.  Many
    machines may write to one PostgreSQL store at once: every cache row is an idempotent
    upsert, written in key order so that two writers never wait on each other in a circle.
    """

    def __init__(self, location: str | Path, *, read_only: bool = False):
        self.notes: list[str] = []
        """What the command line should tell the user about this store (an upgrade, a damaged file set aside)."""
        self.read_only = read_only
        """A read-only command's store: a SQLite store is read into memory and its file is never
        written (nor made); a PostgreSQL store takes only its idempotent cache rows, no history."""
        try:
            self._open(location)
        except StoreDamagedError as err:  # moved aside already: begin a new store in its place
            self.notes.append(
                f"{err.location}: the store was damaged ({err.reason}); it was moved aside to {err.aside}, "
                f"and a new store begun. Its caches fill again as forkflow runs; the history of scans and the "
                f"local forge's proposals it held are in {err.aside} (README: 'A damaged store')"
            )
            self._open(location)

    def _open(self, location: str | Path) -> None:
        self._db: Database = open_database(location, read_only=self.read_only)
        self.location = self._db.location  # for messages: a password is masked
        self.address = str(location) if is_url(str(location)) else str(Path(location).resolve())  # to reconnect
        note = create_tables(self._db)
        if note is not None:
            self.notes.append(note)

    @classmethod
    def for_repository(cls, git_dir: Path, workdir: Path | None, *, read_only: bool = False) -> Store:
        """The store inside a working repository (in its :func:`local_folder`)."""
        return cls(local_folder(git_dir, workdir, make=not read_only) / STORE_NAME, read_only=read_only)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        with self._db.transaction() as db:
            yield db

    # patches ----------------------------------------------------------------------------

    def patches(self, commit_ids: Iterable[str]) -> dict[str, CachedPatch]:
        found: dict[str, CachedPatch] = {}
        sql = 'SELECT commit_id, paths, "full", patch_id, insertions, deletions, abbrev, features FROM patch'
        for row in self._select_in(sql, "commit_id", list(commit_ids)):
            features = unpack(bytes(row[7])) if row[7] is not None else None
            paths = tuple(json.loads(row[1]))
            found[row[0]] = CachedPatch(paths, bool(row[2]), row[3], row[4], row[5], row[6], features)
        return found

    def save_patches(self, rows: dict[str, CachedPatch]) -> None:
        if not rows:
            return
        with self.transaction() as db:
            db.executemany(
                'INSERT INTO patch(commit_id, paths, "full", patch_id, insertions, deletions, abbrev, features) '
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                'ON CONFLICT (commit_id) DO UPDATE SET paths=excluded.paths, "full"=excluded."full", '
                "patch_id=excluded.patch_id, insertions=excluded.insertions, deletions=excluded.deletions, "
                "abbrev=excluded.abbrev, features=COALESCE(excluded.features, patch.features) "
                'WHERE excluded."full" >= patch."full"',
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
                    for cid, p in sorted(rows.items())
                ],
            )

    # what a report says of a commit (so that a collecting machine needs no git objects) ---

    def commit_infos(self, commit_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        rows = self._select_in("SELECT commit_id, info FROM commit_info", "commit_id", list(commit_ids))
        return {str(row[0]): json.loads(row[1]) for row in rows}

    def save_commit_infos(self, rows: dict[str, dict[str, Any]]) -> None:
        if not rows:
            return
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO commit_info(commit_id, info) VALUES (?, ?) ON CONFLICT (commit_id) DO NOTHING",
                [(cid, json.dumps(info, sort_keys=True)) for cid, info in sorted(rows.items())],
            )

    # pairs ------------------------------------------------------------------------------

    def pairs(self, keys: Iterable[tuple[str, str]], version: int) -> dict[tuple[str, str], dict[str, Any]]:
        wanted = set(keys)
        sql = "SELECT parent_head, node_head, result FROM pair"
        found: dict[tuple[str, str], dict[str, Any]] = {}
        heads = sorted({node for _, node in wanted})
        for row in self._select_in(sql, "node_head", heads, also=("version = ?", version)):
            key = (str(row[0]), str(row[1]))
            if key in wanted:
                found[key] = json.loads(row[2])
        return found

    def save_pairs(self, rows: dict[tuple[str, str], dict[str, Any]], version: int, *, replace: bool = False) -> None:
        """Keep comparisons; a complete comparison of two heads never changes, so the first one
        stays, unless ``replace`` (what a shard saw with objects missing: the latest view wins)."""
        if not rows:
            return
        conflict = "DO UPDATE SET result=excluded.result" if replace else "DO NOTHING"
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO pair(parent_head, node_head, version, result) VALUES (?, ?, ?, ?) "
                f"ON CONFLICT (parent_head, node_head, version) {conflict}",
                [(p, n, version, json.dumps(result, sort_keys=True)) for (p, n), result in sorted(rows.items())],
            )

    # whole reports and facts ----------------------------------------------------------------

    def cached_report(self, key: str) -> str | None:
        rows = self._db.execute("SELECT report FROM report_cache WHERE key=?", (key,))
        return str(rows[0][0]) if rows else None

    def save_report(self, key: str, report: str, keep: int = 8) -> None:
        """Keep the report for these heads (and only the few most recent ones of its kind: the
        part of the key before a ``:``, none for a scan's report, ``security`` for the coverage)."""
        kind = key.partition(":")[0] if ":" in key else ""
        same = "key LIKE ?" if kind else "key NOT LIKE ?"
        pattern = f"{kind}:%" if kind else "%:%"
        with self.transaction() as db:
            db.execute(
                "INSERT INTO report_cache(key, saved_at, report) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET saved_at=excluded.saved_at, report=excluded.report",
                (key, datetime.now(UTC).timestamp(), report),
            )
            db.execute(
                f"DELETE FROM report_cache WHERE {same} AND key NOT IN "
                f"(SELECT key FROM report_cache WHERE {same} ORDER BY saved_at DESC LIMIT ?)",
                (pattern, pattern, keep),
            )

    def fact(self, key: str) -> Any:
        """A fact kept for good (its key names the commit it was read from), or None."""
        rows = self._db.execute("SELECT value FROM fact WHERE key=?", (key,))
        return json.loads(rows[0][0]) if rows else None

    def save_fact(self, key: str, value: Any) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO fact(key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                (key, json.dumps(value, sort_keys=True)),
            )

    # shards: the heads each one saw, per run ----------------------------------------------

    def save_shard_heads(self, network: str, run_id: str, heads: dict[str, ShardHead]) -> None:
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO shard_head(network, run_id, node, head, field, problem) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (network, run_id, node) DO UPDATE SET "
                "head=excluded.head, field=excluded.field, problem=excluded.problem",
                [(network, run_id, node, h.head, h.field, h.problem) for node, h in sorted(heads.items())],
            )

    def shard_heads(self, network: str, run_id: str) -> dict[str, ShardHead]:
        rows = self._db.execute(
            "SELECT node, head, field, problem FROM shard_head WHERE network=? AND run_id=?", (network, run_id)
        )
        return {str(r[0]): ShardHead(r[1], r[2], r[3]) for r in rows}

    # scans ------------------------------------------------------------------------------

    def record_scan(self, summary: ScanSummary, run_id: str | None = None) -> str:
        """Keep a scan's summary in the history; recording the same run again replaces it, never adds a second.

        Without ``run_id``, the scan is known by what it says (its network, its time and its
        figures): a command that was stopped after recording its scan and is run again in the
        same second records the same scan, not a second one.
        """
        run_id = run_id or "scan-" + hashlib.sha256(summary.model_dump_json().encode()).hexdigest()[:32]
        with self.transaction() as db:
            db.execute(
                "INSERT INTO scan(run_id, network, scanned_at, report) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (run_id) DO UPDATE SET network=excluded.network, "
                "scanned_at=excluded.scanned_at, report=excluded.report",
                (
                    run_id,
                    summary.network,
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    summary.model_dump_json(),
                ),
            )
        return run_id

    def scans(self, network: str) -> list[dict[str, Any]]:
        order = self._db.types["order"]
        rows = self._db.execute(f"SELECT report FROM scan WHERE network=? ORDER BY scanned_at, {order}", (network,))
        return [json.loads(row[0]) for row in rows]

    # proposals (the local forge's record) -------------------------------------------------

    def add_proposal(self, network: str, change_id: str, record: dict[str, Any], run_id: str | None = None) -> int:
        """The new proposal's number; when the same change is already open at the same target
        (another machine opened it a moment ago), that proposal's number and nothing added."""
        target, is_open = record.get("target"), int(record.get("state") == "open")
        find = "SELECT number FROM proposal WHERE network=? AND change_id=? AND target=? AND is_open=1"
        with self.transaction() as db:
            # Looked for first: an insert that meets the open one would use up a number all the same
            # (SQLite's AUTOINCREMENT and PostgreSQL's identity both move on), leaving a gap.
            rows = db.execute(find, (network, change_id, target)) if is_open else []
            if rows:
                return int(rows[0][0])
            added = db.execute(
                "INSERT INTO proposal(network, change_id, record, target, is_open, run_id) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (network, change_id, target) WHERE is_open = 1 DO NOTHING RETURNING number",
                (network, change_id, json.dumps(record, sort_keys=True), target, is_open, run_id),
            )
            if added:
                return int(added[0][0])
            return int(db.execute(find, (network, change_id, target))[0][0])

    def update_proposal(self, number: int, record: dict[str, Any]) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE proposal SET record=?, target=?, is_open=? WHERE number=?",
                (json.dumps(record, sort_keys=True), record.get("target"), int(record.get("state") == "open"), number),
            )

    def proposals(self, network: str) -> list[tuple[int, dict[str, Any]]]:
        rows = self._db.execute("SELECT number, record FROM proposal WHERE network=? ORDER BY number", (network,))
        return [(int(row[0]), json.loads(row[1])) for row in rows]

    # checks (the local forge's commit statuses) ------------------------------------------

    def save_check(self, network: str, node: str, sha: str, state: str, title: str, summary: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO commit_check(network, node, sha, state, title, summary) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (network, node, sha) DO UPDATE SET "
                "state=excluded.state, title=excluded.title, summary=excluded.summary",
                (network, node, sha, state, title, summary),
            )

    def checks(self, network: str) -> list[tuple[str, str, str, str]]:
        order = self._db.types["order"]
        rows = self._db.execute(
            f"SELECT node, sha, state, title FROM commit_check WHERE network=? ORDER BY {order}", (network,)
        )
        return [(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    # ------------------------------------------------------------------------------------

    def _select_in(
        self, sql: str, column: str, values: list[str], *, also: tuple[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """``sql`` restricted to rows whose ``column`` is one of ``values`` (in chunks of 500),
        and, with ``also`` (a condition and its one parameter), to the rows that meet it too."""
        condition, extra = (f"{also[0]} AND ", [also[1]]) if also is not None else ("", [])
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows += self._db.execute(f"{sql} WHERE {condition}{column} IN ({marks})", [*extra, *chunk])
        return rows
