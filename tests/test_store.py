"""The store: idempotent cache rows, all-or-nothing writes, a clear error when it is damaged."""

from __future__ import annotations

from pathlib import Path

import pytest

from forkflow.errors import StoreError
from forkflow.store import CachedPatch, Store

ROW = CachedPatch(("a.py",), True, "f" * 40, 3, 1, 0)


def test_rows_are_upserted_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.save_patches({"c1": ROW})
    store.save_patches({"c1": ROW, "c2": ROW})
    assert store.patches(["c1", "c2", "c3"]) == {"c1": ROW, "c2": ROW}


def test_paths_only_rows_never_overwrite_full_ones(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.save_patches({"c1": ROW})
    store.save_patches({"c1": CachedPatch(("a.py",), False, None, 0, 0, 0)})
    assert store.patches(["c1"])["c1"] == ROW


def test_an_interrupted_write_leaves_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    with pytest.raises(KeyboardInterrupt), store.transaction() as db:
        db.execute("INSERT INTO patch(commit_id, paths, full) VALUES ('c1', '[]', 0)")
        raise KeyboardInterrupt
    assert store.patches(["c1"]) == {}
    reopened = Store(tmp_path / "s.sqlite")
    assert reopened.patches(["c1"]) == {}


def test_pairs_and_scans_round_trip(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.save_pairs({("p", "n"): {"ahead": 1}}, version=1)
    assert store.pairs([("p", "n"), ("p", "x")], version=1) == {("p", "n"): {"ahead": 1}}
    assert store.pairs([("p", "n")], version=2) == {}
    store.record_scan("net", {"version": 1}, run_id="r1")
    store.record_scan("net", {"version": 1}, run_id="r1")  # a re-run adds nothing twice
    assert store.scans("net") == [{"version": 1}]


def test_a_damaged_store_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="delete it to start afresh"):
        Store(path)
