"""What a scan computed and what it read from the store, counted: cold, warm, and one head moved."""

from __future__ import annotations

from pathlib import Path

from forkflow.scan.pipeline import scan_network
from forkflow.scan.work import ScanWork, counting
from forkflow.store.store import Store
from forkflow.workspace import open_workspace
from tests.networks import build_small
from tests.scan.test_pipeline import NOW


def counted(path: Path, store: Store) -> ScanWork:
    space = open_workspace(path)
    with counting() as work:
        scan_network(space.network, space.repo, store, policy=space.policy, now=NOW)
    return work


def test_a_scan_counts_what_it_computed_and_what_it_read(tmp_path: Path) -> None:
    small = build_small(tmp_path / "net")
    store = Store(tmp_path / "store.sqlite")
    cold = counted(small.git.path, store)
    assert (cold.reports_read, cold.pairs_compared, cold.pairs_read, cold.groups_computed) == (0, 4, 0, 1)
    # Every commit whose facts the scan needed: the nodes' own and the parents' beside them, from git.
    assert {small.ids[name] for name in ("e1", "e2", "d1", "d2", "a1", "a2", "v1")} <= cold.commits_read
    assert cold.cold and cold.line().startswith("scan: 4 node comparisons computed and 0 read from the store, ")

    warm = counted(small.git.path, store)
    assert warm == ScanWork(reports_read=1) and not warm.cold
    assert warm.line() == "scan: everything read from the store (nothing computed from git)"

    small.git.checkout("vet")  # vet moves: its comparison is made again, the others are read
    small.git.commit("Vet second hotfix", {"vet.md": "dogs\n"})
    small.git.checkout("main")
    moved = counted(small.git.path, store)
    assert (moved.reports_read, moved.pairs_compared, moved.pairs_read) == (0, 1, 3)
    assert small.git.head("vet") in moved.commits_read


def test_nothing_is_counted_outside_counting(tmp_path: Path) -> None:
    small = build_small(tmp_path / "net")
    space = open_workspace(small.git.path)
    with counting() as work:
        pass
    scan_network(space.network, space.repo, Store(tmp_path / "s.sqlite"), policy=space.policy, now=NOW)
    assert work == ScanWork()
