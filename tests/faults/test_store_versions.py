"""A store an older forkflow wrote (version 1 of the tables, made here by hand) is brought up to
date: its history and its proposals are kept, its caches are emptied, so no figure comes from
what an older forkflow computed.  A store a newer forkflow wrote is refused and left untouched."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from forkflow.codeid import code_id
from tests.faults.harness import forkflow_env, proposals_of, run, sqlite_rows, traceback_free

# The tables of version 1, as the last forkflow of that version made them.
VERSION_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE patch (commit_id TEXT PRIMARY KEY, paths TEXT NOT NULL, full INTEGER NOT NULL, patch_id TEXT,
    insertions INTEGER NOT NULL DEFAULT 0, deletions INTEGER NOT NULL DEFAULT 0, abbrev INTEGER NOT NULL DEFAULT 0,
    features BLOB);
CREATE TABLE pair (parent_head TEXT NOT NULL, node_head TEXT NOT NULL, version INTEGER NOT NULL, result TEXT NOT NULL,
    PRIMARY KEY (parent_head, node_head, version));
CREATE TABLE report_cache (key TEXT PRIMARY KEY, saved_at REAL NOT NULL, report TEXT NOT NULL);
CREATE TABLE proposal (number INTEGER PRIMARY KEY AUTOINCREMENT, network TEXT NOT NULL, change_id TEXT NOT NULL,
    record TEXT NOT NULL);
CREATE INDEX proposal_change ON proposal(network, change_id);
CREATE TABLE commit_check (network TEXT NOT NULL, node TEXT NOT NULL, sha TEXT NOT NULL, state TEXT NOT NULL,
    title TEXT NOT NULL, summary TEXT NOT NULL, PRIMARY KEY (network, node, sha));
CREATE TABLE scan (run_id TEXT PRIMARY KEY, network TEXT NOT NULL, scanned_at TEXT NOT NULL, report TEXT NOT NULL);
"""
OLD_PROPOSAL = {
    "change_id": "exact-0ld0ld0ld0ld",
    "kind": "exact",
    "target": "central",
    "branch": "forkflow/bubble-up/exact-0ld0ld0ld0ld",
    "state": "open",
    "title": "Reject empty uploads",
    "body": "Proposed by an older forkflow.\n",
    "base": "0" * 40,
    "head": None,
    "carriers": ["alpha", "beta"],
    "created_at": "2025-06-01T00:00:00+00:00",
    "updated_at": "2025-06-01T00:00:00+00:00",
}
OLD_SCANS = [  # version 1 kept each scan's whole report
    ("a1", "2025-06-01T00:00:00+00:00", {"version": 1, "network": "faults", "unmet_needs": {"percent": 80.0}}),
    ("a2", "2025-07-01T00:00:00+00:00", {"version": 1, "network": "faults", "unmet_needs": {"percent": 75.0}}),
]


def version_1_store(path: Path, current: Path) -> None:
    """A version-1 store at ``path``: the caches of ``current`` (a store this forkflow wrote), one
    comparison and one patch-id as an older forkflow might have got them wrong, and a history,
    a proposal and a check that are not caches."""
    rows = sqlite_rows(current)
    db = sqlite3.connect(path)
    db.executescript(VERSION_1)
    db.execute("INSERT INTO meta VALUES ('schema', '1')")
    for row in rows["patch"]:
        wrong = "f" * 40 if row is rows["patch"][0] else row["patch_id"]
        features = bytes.fromhex(row["features"]) if row["features"] else None
        values = (row["commit_id"], row["paths"], row["full"], wrong, row["insertions"], row["deletions"], 0, features)
        db.execute("INSERT INTO patch VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values)
    for row in rows["pair"]:
        result = json.loads(row["result"])
        if row is rows["pair"][-1]:
            result["ahead"] += 7
        db.execute(
            "INSERT INTO pair VALUES (?, ?, ?, ?)",
            (row["parent_head"], row["node_head"], row["version"], json.dumps(result, sort_keys=True)),
        )
    db.execute("INSERT INTO report_cache VALUES ('old-key', 0, '{}')")
    db.execute(
        "INSERT INTO proposal(network, change_id, record) VALUES ('faults', ?, ?)",
        ("exact-0ld0ld0ld0ld", json.dumps(OLD_PROPOSAL)),
    )
    db.execute("INSERT INTO commit_check VALUES ('faults', 'central', ?, 'success', 'ok', '')", ("1" * 40,))
    for run_id, at, report in OLD_SCANS:
        db.execute("INSERT INTO scan VALUES (?, 'faults', ?, ?)", (run_id, at, json.dumps(report)))
    db.commit()
    db.close()


def test_an_older_store_is_brought_up_to_date_keeping_its_history_and_proposals(
    network: Callable[[str], Path], tmp_path: Path
) -> None:
    donor = network("scanned")
    root = network("fetched")
    work = root / "work"
    store = work / ".forkflow" / "store.sqlite"
    version_1_store(store, donor / "work" / ".forkflow" / "store.sqlite")
    warm = run(work, "scan", "--json")
    assert warm.returncode == 0 and traceback_free(warm.stderr), warm.stderr
    assert warm.stderr.splitlines() == [
        f"warning: {store}: the store was brought from version 1 of its tables to version 2; its caches were "
        "emptied and fill again as forkflow runs, its history of scans and its proposals are kept"
    ]
    cold = run(work, "scan", "--json", "--no-cache")
    assert (cold.returncode, cold.stdout) == (0, warm.stdout)  # nothing an older forkflow computed was used
    again = run(work, "scan", "--json")
    assert (again.returncode, again.stdout, again.stderr) == (0, warm.stdout, "")  # upgraded once
    rows = sqlite_rows(store)
    assert rows["meta"] == [{"key": "code", "value": code_id()}, {"key": "schema", "value": "2"}]
    old_history = [(run_id, json.dumps(report)) for run_id, _, report in OLD_SCANS]
    assert [(r["run_id"], r["report"]) for r in rows["scan"] if r["run_id"] in ("a1", "a2")] == old_history
    assert rows["commit_check"] == [
        {"network": "faults", "node": "central", "sha": "1" * 40, "state": "success", "title": "ok", "summary": ""}
    ]
    assert [(p["number"], p["change_id"], p["state"]) for p in proposals_of(work)] == [
        (1, "exact-0ld0ld0ld0ld", "open")
    ]
    proposed = run(work, "propose")  # the old open proposal still counts: numbers go on from it
    assert proposed.returncode == 0, proposed.stderr
    assert [p["number"] for p in proposals_of(work)] == [1, 2, 3, 4, 5, 6]


def newer_store(path: Path) -> bytes:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('schema', '3')")
    db.execute("CREATE TABLE scan_v3 (run_id TEXT PRIMARY KEY, figures BLOB)")  # what version 3 might keep
    db.execute("INSERT INTO scan_v3 VALUES ('r1', x'00ff')")
    db.close()
    return path.read_bytes()


NEWER = (
    "error: {store}: this store was written by a newer forkflow (its tables are version 3; this forkflow knows "
    "version 2 at most), and was left as it is: upgrade forkflow (pip install --upgrade forkflow), or name "
    "another store with --store PATH"
)


def test_a_newer_store_is_refused_and_left_as_it_is(network: Callable[[str], Path]) -> None:
    work = network("fetched") / "work"
    store = work / ".forkflow" / "store.sqlite"
    before = newer_store(store)
    for args in (["scan"], ["propose"]):
        done = run(work, *args)
        assert (done.returncode, done.stderr.splitlines()) == (1, [NEWER.format(store=store)])
    assert hashlib.sha256(store.read_bytes()).digest() == hashlib.sha256(before).digest()
    assert set(sqlite_rows(store)) == {"meta", "scan_v3"}  # no table of this forkflow's was added


def test_a_newer_postgresql_store_is_refused_and_left_as_it_is(
    network: Callable[[str], Path], postgres_url: str
) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('schema', '3')")
    work = network("fetched") / "work"
    done = run(work, "scan", env=forkflow_env(FORKFLOW_STORE=postgres_url))
    location = postgres_url.replace(":forkflow@", ":***@")
    assert (done.returncode, done.stderr.splitlines()) == (1, [NEWER.format(store=location)])
    with psycopg.connect(postgres_url, autocommit=True) as db:
        tables = db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    assert tables == [("meta",)]
