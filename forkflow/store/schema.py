"""The store's tables, and their versions.

``meta.schema`` says which version of the tables a store holds.  A store of an older version
is brought up to this one when opened: the tables and columns it lacks are added, and its
caches are emptied (an older forkflow computed them, perhaps otherwise), while what is not a
cache (the history of scans, the local forge's proposals and checks) is kept as it is.  A
store of a newer version is refused, untouched: this forkflow cannot know what its rows mean.
"""

from __future__ import annotations

from forkflow.codeid import code_id
from forkflow.errors import StoreError
from forkflow.store.db import Database, PostgresDatabase, SqliteDatabase

SCHEMA_VERSION = 2
"""1: the first tables (patches, pairs, reports, scans, proposals, checks); 2: commit infos,
facts and shard heads, proposals open once per target."""

CACHES = ("patch", "commit_info", "pair", "report_cache", "fact")
"""The tables that only cache what the code computed from git objects; the rest (the history of
scans, proposals, checks, the heads shards saw) is a record, kept whatever code reads it."""

# One text for both databases: {blob}, {real}, {serial} and {seq} are each database's own
# words (forkflow.store.db); everything else is SQL they share.
_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS patch (
    commit_id TEXT PRIMARY KEY,
    paths TEXT NOT NULL,          -- JSON list of touched paths
    "full" INTEGER NOT NULL,      -- 1 when patch_id and line counts are known
    patch_id TEXT,                -- NULL for an empty diff or a merge
    insertions INTEGER NOT NULL DEFAULT 0,
    deletions INTEGER NOT NULL DEFAULT 0,
    abbrev INTEGER NOT NULL DEFAULT 0,
    features {blob}               -- the fingerprint (forkflow.changes.fingerprint), packed
);
CREATE TABLE IF NOT EXISTS commit_info (
    commit_id TEXT PRIMARY KEY,
    info TEXT NOT NULL            -- JSON: author, dates, message (what a report says of a commit)
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
    saved_at {real} NOT NULL,
    report TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fact (
    key TEXT PRIMARY KEY,         -- what it is about, with the commit it was read from
    value TEXT NOT NULL           -- JSON
);
CREATE TABLE IF NOT EXISTS shard_head (
    network TEXT NOT NULL,
    run_id TEXT NOT NULL,         -- the run the shards belong to (forkflow scan --run-id)
    node TEXT NOT NULL,
    head TEXT,                    -- NULL when the shard could not resolve it
    field TEXT,
    problem TEXT,
    PRIMARY KEY (network, run_id, node)
);
CREATE TABLE IF NOT EXISTS proposal (
    number {serial},              -- what people type: forkflow proposals show 3
    network TEXT NOT NULL,
    change_id TEXT NOT NULL,      -- the shared change it proposes
    record TEXT NOT NULL,         -- JSON: forkflow.forge.Proposal
    target TEXT,
    is_open INTEGER NOT NULL DEFAULT 0,
    run_id TEXT                   -- the run that opened it
);
CREATE TABLE IF NOT EXISTS commit_check (
    network TEXT NOT NULL,
    node TEXT NOT NULL,
    sha TEXT NOT NULL,
    state TEXT NOT NULL,          -- success or failure
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    PRIMARY KEY (network, node, sha){seq}
);
CREATE TABLE IF NOT EXISTS scan (
    run_id TEXT PRIMARY KEY,
    network TEXT NOT NULL,
    scanned_at TEXT NOT NULL,
    report TEXT NOT NULL          -- JSON: the scan report
    {seq}
);
"""
_INDEXES = """
CREATE INDEX IF NOT EXISTS proposal_change ON proposal(network, change_id);
CREATE UNIQUE INDEX IF NOT EXISTS proposal_open ON proposal(network, change_id, target) WHERE is_open = 1;
"""
# A store written by an older forkflow gets the columns it lacks (SQLite only: PostgreSQL
# stores are newer than every one of them).
_ADDED_COLUMNS = {
    "patch": {"features": "BLOB"},
    "proposal": {"target": "TEXT", "is_open": "INTEGER NOT NULL DEFAULT 0", "run_id": "TEXT"},
}


def create_tables(db: Database) -> str | None:
    """Create the tables, or bring an older store's up to date; returns what to tell the user
    of an upgrade (None when there was none to do)."""
    statements = [s for s in _TABLES.format(**db.types).split(";") if s.strip()]
    with db.transaction():
        if isinstance(db, PostgresDatabase):
            db.lock("forkflow-schema")
        found = _version(db)
        if found is not None and found > SCHEMA_VERSION:
            raise StoreError(
                f"{db.location}: this store was written by a newer forkflow (its tables are version {found}; "
                f"this forkflow knows version {SCHEMA_VERSION} at most), and was left as it is: upgrade forkflow "
                "(pip install --upgrade forkflow), or name another store with --store PATH"
            )
        for statement in statements:
            db.execute(statement)
        if isinstance(db, SqliteDatabase):
            _add_columns(db)
        for statement in _INDEXES.split(";"):
            if statement.strip():
                db.execute(statement)
        if found is not None and found < SCHEMA_VERSION:
            for table in CACHES:
                db.execute(f"DELETE FROM {table}")
        db.execute(
            "INSERT INTO meta(key, value) VALUES ('schema', ?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
            (str(SCHEMA_VERSION),),
        )
        _adopt_code(db, code_id())
    if found is None or found == SCHEMA_VERSION:
        return None
    return (
        f"{db.location}: the store was brought from version {found} of its tables to version {SCHEMA_VERSION}; "
        "its caches were emptied and fill again as forkflow runs, its history of scans and its proposals are kept"
    )


def _adopt_code(db: Database, code: str) -> None:
    """Forget the cached rows other code computed (another release, a local edit, another libgit2,
    or a forkflow from before the store said which code wrote it): they may disagree with what
    this code computes, so they are never read, and this code's rows replace them."""
    rows = db.execute("SELECT value FROM meta WHERE key='code'")
    if rows and rows[0][0] == code:
        return
    for table in CACHES:
        db.execute(f"DELETE FROM {table}")  # the names are the constant above
    db.execute(
        "INSERT INTO meta(key, value) VALUES ('code', ?) ON CONFLICT (key) DO UPDATE SET value=excluded.value", (code,)
    )


def _version(db: Database) -> int | None:
    """The store's version (None: a new, empty database); refuses a SQLite file that is another program's."""
    tables = set(db.tables())
    if not tables:
        return None
    if "meta" not in tables:
        if isinstance(db, SqliteDatabase):
            raise StoreError(
                f"{db.location}: is a SQLite database, but not a forkflow store (its tables: "
                f"{', '.join(sorted(tables))}); name another file with --store PATH"
            )
        return None  # a PostgreSQL database may hold other programs' tables beside forkflow's
    rows = db.execute("SELECT value FROM meta WHERE key='schema'")
    value = str(rows[0][0]) if rows else ""
    return int(value) if value.isdigit() else 1


def _add_columns(db: SqliteDatabase) -> None:
    for table, columns in _ADDED_COLUMNS.items():
        present = db.columns(table)
        for column, kind in columns.items():
            if column not in present:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    db.execute(
        "UPDATE proposal SET target=json_extract(record, '$.target'), "
        "is_open=(json_extract(record, '$.state') = 'open') WHERE target IS NULL"
    )
