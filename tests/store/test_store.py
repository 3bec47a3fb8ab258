"""The store, on SQLite and on a real PostgreSQL server: idempotent cache rows, all-or-nothing
writes, many writers at once, a clear error when it is damaged or out of reach."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from forkflow.errors import StoreError
from forkflow.model import ScanSummary, UnmetNeeds
from forkflow.store.store import CachedPatch, ShardHead, Store

ROW = CachedPatch(("a.py",), True, "f" * 40, 3, 1, 0, (1, 5, 9))


def summary(percent: float, network: str = "net") -> ScanSummary:
    figure = UnmetNeeds(percent=percent, unmet=int(percent), met=100 - int(percent))
    return ScanSummary(
        network=network,
        scanned_at="2026-01-01T00:00:00+00:00",
        nodes=3,
        problems=0,
        unmet_needs=figure,
        figures={"changes": percent, "lines": percent / 2},
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "s.sqlite")
    return str(request.getfixturevalue("postgres_url"))


def test_rows_are_upserted_once(location: str) -> None:
    store = Store(location)
    store.save_patches({"c1": ROW})
    store.save_patches({"c1": ROW, "c2": ROW})
    assert store.patches(["c1", "c2", "c3"]) == {"c1": ROW, "c2": ROW}


def test_paths_only_rows_never_overwrite_full_ones(location: str) -> None:
    store = Store(location)
    store.save_patches({"c1": ROW})
    store.save_patches({"c1": CachedPatch(("a.py",), False, None, 0, 0, 0)})
    assert store.patches(["c1"])["c1"] == ROW


def test_a_row_without_its_fingerprint_keeps_the_fingerprint_stored(location: str) -> None:
    """A scan that needed only a commit's patch-id leaves the fingerprint another scan made."""
    store = Store(location)
    store.save_patches({"c1": ROW, "c2": ROW})
    lean = CachedPatch(("a.py",), True, "f" * 40, 3, 1, 0, None)
    store.save_patches({"c1": lean, "c3": lean})
    assert store.patches(["c1", "c2", "c3"]) == {"c1": ROW, "c2": ROW, "c3": lean}
    store.save_patches({"c3": ROW})
    assert store.patches(["c3"])["c3"] == ROW


def test_an_interrupted_write_leaves_nothing(location: str) -> None:
    store = Store(location)
    with pytest.raises(KeyboardInterrupt), store.transaction() as db:
        db.execute("INSERT INTO patch(commit_id, paths, \"full\") VALUES ('c1', '[]', 0)")
        raise KeyboardInterrupt
    assert store.patches(["c1"]) == {}
    store.close()
    assert Store(location).patches(["c1"]) == {}


def test_pairs_scans_facts_and_heads_round_trip(location: str) -> None:
    store = Store(location)
    store.save_pairs({("p", "n"): {"ahead": 1}}, version=1)
    assert store.pairs([("p", "n"), ("p", "x"), ("q", "n")], version=1) == {("p", "n"): {"ahead": 1}}
    assert store.pairs([("p", "n")], version=2) == {}
    store.record_scan(summary(10.0), run_id="r1")
    store.record_scan(summary(20.0), run_id="r1")  # a re-run replaces, never adds
    store.record_scan(summary(30.0), run_id="r2")
    store.record_scan(summary(40.0, network="other"), run_id="r3")
    assert [scan["unmet_needs"]["percent"] for scan in store.scans("net")] == [20.0, 30.0]
    assert store.scans("net")[0] == summary(20.0).model_dump(mode="json")
    store.save_commit_infos({"c1": {"summary": "Fix"}})
    store.save_commit_infos({"c1": {"summary": "Fix"}, "c2": {"summary": "Add"}})
    assert store.commit_infos(["c1", "c2", "c3"]) == {"c1": {"summary": "Fix"}, "c2": {"summary": "Add"}}
    store.save_fact("declared:abc", {"total": 2})
    assert (store.fact("declared:abc"), store.fact("declared:def")) == ({"total": 2}, None)
    store.save_shard_heads("net", "run-1", {"a": ShardHead("1" * 40), "b": ShardHead(None, "ref", "missing")})
    store.save_shard_heads("net", "run-1", {"a": ShardHead("2" * 40)})
    assert store.shard_heads("net", "run-1") == {"a": ShardHead("2" * 40), "b": ShardHead(None, "ref", "missing")}
    assert store.shard_heads("net", "run-2") == {}


def test_a_change_is_open_once_per_target(location: str) -> None:
    store = Store(location)
    record = {"target": "central", "state": "open", "title": "Add x"}
    first = store.add_proposal("net", "chg", record, run_id="r1")
    assert store.add_proposal("net", "chg", record, run_id="r2") == first
    other = store.add_proposal("net", "chg", {**record, "target": "college"})
    assert other != first
    store.update_proposal(first, {**record, "state": "closed"})
    reopened = store.add_proposal("net", "chg", record)
    assert reopened not in (first, other)
    assert [n for n, _ in store.proposals("net")] == [first, other, reopened]


def test_a_change_already_open_uses_up_no_number(location: str) -> None:
    store = Store(location)
    record = {"target": "central", "state": "open", "title": "Add x"}
    first = store.add_proposal("net", "chg", record)
    for _ in range(3):  # two runs opened it at once, say: the later ones get its number back
        assert store.add_proposal("net", "chg", record) == first
    assert store.add_proposal("net", "other", record) == first + 1  # numbers people type have no gaps


def _write_everything(location: str, writer: int) -> None:
    # Every writer writes the same rows, in its own order, and its own scan and check.
    store = Store(location)
    commits = [f"c{n:03d}" for n in range(200)]
    if writer % 2:
        commits.reverse()
    for start in range(0, 200, 25):
        chunk = commits[start : start + 25]
        store.save_patches({cid: ROW for cid in chunk})
        store.save_pairs({(cid, "head"): {"ahead": 1} for cid in chunk}, version=1)
        store.save_commit_infos({cid: {"summary": cid} for cid in chunk})
    store.record_scan(summary(float(writer)), run_id=f"run-{writer}")
    store.record_scan(summary(float(writer)), run_id="shared-run")
    store.add_proposal("net", "chg", {"target": "central", "state": "open"}, run_id=f"run-{writer}")
    store.save_shard_heads("net", "run", {f"node-{writer}": ShardHead("a" * 40)})
    store.save_check("net", "central", "sha", "success", "ok", "")
    store.close()


@pytest.mark.parametrize("writers", [6])
def test_concurrent_writers_neither_corrupt_nor_duplicate(location: str, writers: int) -> None:
    Store(location).close()  # the tables exist before the race, as after any first run
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_write_everything, args=(location, n)) for n in range(writers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [p.exitcode for p in processes] == [0] * writers
    store = Store(location)
    with store.transaction() as db:
        counts = {
            table: db.execute(f"SELECT COUNT(*) FROM {table}")[0][0]
            for table in ("patch", "pair", "commit_info", "scan", "proposal", "shard_head", "commit_check")
        }
    assert counts == {
        "patch": 200,
        "pair": 200,
        "commit_info": 200,
        "scan": writers + 1,
        "proposal": 1,
        "shard_head": writers,
        "commit_check": 1,
    }
    assert store.patches(["c000", "c199"]) == {"c000": ROW, "c199": ROW}


def test_many_commands_make_a_new_store_at_once(tmp_path: Path) -> None:
    path = str(tmp_path / "fresh.sqlite")
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_write_everything, args=(path, n)) for n in range(6)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [p.exitcode for p in processes] == [0] * 6
    assert len(Store(path).scans("net")) == 6 + 1


def test_many_machines_create_the_tables_at_once(postgres_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=Store, args=(postgres_url,)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert [p.exitcode for p in processes] == [0] * 4
    assert Store(postgres_url).scans("net") == []


def test_a_damaged_store_is_moved_aside_and_a_new_one_begun(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    store = Store(path)
    (aside,) = tmp_path.glob("s.sqlite.damaged-*")
    assert aside.read_bytes() == b"this is not a database" * 100  # kept as it was, never deleted
    assert store.notes == [
        f"{path}: the store was damaged (file is not a database); it was moved aside to {aside}, and a new store "
        f"begun. Its caches fill again as forkflow runs; the history of scans and the local forge's proposals it "
        f"held are in {aside} (README: 'A damaged store')"
    ]
    store.record_scan(summary(1.0))
    assert len(Store(path).scans("net")) == 1


def test_an_unreachable_server_is_named_without_its_password() -> None:
    with pytest.raises(StoreError) as caught:
        Store("postgresql://bot:s3cret@127.0.0.1:9/forkflow")
    assert str(caught.value).startswith(
        "postgresql://bot:***@127.0.0.1:9/forkflow: cannot connect to the PostgreSQL store"
    )
    assert "s3cret" not in str(caught.value)


def test_a_sqlite_url_names_a_file(tmp_path: Path) -> None:
    Store(f"sqlite:///{tmp_path}/u.sqlite").save_fact("k", 1)
    assert Store(tmp_path / "u.sqlite").fact("k") == 1
    with pytest.raises(StoreError, match="sqlite:////absolute/path"):
        Store("sqlite://host/x")


def test_the_store_is_the_option_else_the_environment_else_the_manifest_else_beside_the_repo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    from click.testing import CliRunner

    from forkflow.cli import main
    from tests.networks import build_small

    small = build_small(tmp_path / "net")
    manifest = small.git.path / "forkflow.toml"

    def scans_in(location: str | Path) -> int:
        return len(Store(location).scans("small"))

    def scan(*args: str) -> None:
        result = CliRunner().invoke(main, ["scan", "--repo", str(small.git.path), *args])
        assert result.exit_code == 0, result.output

    scan()
    assert scans_in(small.git.path / ".forkflow" / "store.sqlite") == 1
    manifest.write_text(manifest.read_text().replace('name = "small"\n', 'name = "small"\nstore = "db/s.sqlite"\n', 1))
    scan()
    assert scans_in(small.git.path / "db" / "s.sqlite") == 1  # relative to the manifest's folder
    monkeypatch.setenv("FORKFLOW_STORE", postgres_url)
    scan()
    assert scans_in(postgres_url) == 1
    scan("--store", str(tmp_path / "given.sqlite"))
    assert (
        scans_in(tmp_path / "given.sqlite"),
        scans_in(postgres_url),
        scans_in(small.git.path / "db" / "s.sqlite"),
    ) == (
        1,
        1,
        1,
    )
