"""Shared changes on a network whose answer is known by construction (tests/sharednet.py)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from forkflow.gitrepo import GitRepo
from forkflow.manifest.spec import load_manifest
from forkflow.model import ScanReport
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy, Similarity
from forkflow.scan.pipeline import scan_network
from forkflow.store.store import Store
from tests.gitcli import Git
from tests.networks import Small, build_vendored, partial_clone
from tests.sharednet import NODES, SharedNet, build_shared_network, manifest_text

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> SharedNet:
    return build_shared_network(tmp_path_factory.mktemp("shared"))


def scan(path: Path, *, store: Store | None = None, policy: Policy | None = None) -> ScanReport:
    network = Network(load_manifest(path / "forkflow.toml"))
    return scan_network(network, GitRepo(path), store, policy=policy, now=NOW)


def named(net: SharedNet, report: ScanReport) -> list[tuple[str, list[str], list[list[str]]]]:
    """(kind, carriers, variants as the labels of their commits) for every shared change, in report order."""
    labels = {commit: label for label, commit in net.ids.items()}
    return [
        (change.kind, change.nodes, [[labels[c] for c in variant.commits] for variant in change.variants])
        for change in report.shared
    ]


def test_every_shared_change_is_found_once_and_nothing_else(net: SharedNet) -> None:
    report = scan(net.git.path)
    assert named(net, report) == [
        ("exact", ["alpha", "beta", "gamma"], [["a1"]]),
        ("exact", ["alpha", "beta"], [["a2", "a3"]]),  # a series: one change, not one per commit
        ("similar", ["alpha", "beta"], [["a4", "a5"], ["b4"]]),  # split in alpha, squashed in beta
        ("exact", ["alpha-dept", "gamma-dept"], [["x1"]]),  # departments of two different colleges
        ("similar", ["gamma", "delta"], [["g1"], ["d1"]]),  # re-typed; epsilon's change to the same lines is not it
    ]


def test_exact_changes_are_what_git_patch_id_says(net: SharedNet) -> None:
    report = scan(net.git.path)
    for change in report.shared:
        if change.kind != "exact":
            continue
        by_git = {net.git.patch_id(commit) for commit in change.commits}
        assert by_git == set(change.patch_ids)
        carriers_by_git = {
            node.name for node in report.nodes if any(net.git.patch_id(c) in by_git for c in node.carried)
        }
        assert carriers_by_git == set(change.nodes)


def test_each_change_says_who_wrote_it_where_and_when(net: SharedNet) -> None:
    report = scan(net.git.path)
    faststart = report.shared[2]
    assert faststart.authors == ["Alice Adams <alice@alpha.example.edu>", "Boris Brandt <boris@beta.example.edu>"]
    assert faststart.paths == ["app/transcode.py", "tests/test_transcode.py"]
    assert faststart.first_seen == report.commits[net.ids["a4"]].date
    assert faststart.score == 1.0  # the two commits together are exactly the squashed one
    assert faststart.target == "central"
    cookie = report.shared[4]
    assert cookie.score is not None and 0.5 <= cookie.score <= 1.0
    assert report.shared[0].score is None


def test_departments_of_two_colleges_propose_to_their_common_ancestor(net: SharedNet) -> None:
    report = scan(net.git.path)
    assert report.shared[3].nodes == ["alpha-dept", "gamma-dept"]
    assert report.shared[3].target == "central"


def test_ids_stay_the_same_across_runs_and_when_a_carrier_joins(net: SharedNet, tmp_path: Path) -> None:
    first = {change.summary: change.id for change in scan(net.git.path).shared}
    Git(tmp_path)("clone", "-q", str(net.git.path), "clone")
    clone = Git(tmp_path / "clone")
    for name, _, _ in NODES:
        clone("branch", "-q", name, f"origin/{name}")
    clone.checkout("-b", "zeta", net.ids["c0"])
    clone.cherry_pick(net.ids["a1"])
    (clone.path / "forkflow.toml").write_text(manifest_text([*NODES, ("zeta", "central", "developer")]))
    again = scan(clone.path)
    assert {change.summary: change.id for change in again.shared} == first
    assert again.shared[0].nodes == ["alpha", "beta", "gamma", "zeta"]


def test_the_threshold_comes_from_the_policy(net: SharedNet) -> None:
    strict = Policy(similarity=Similarity(threshold=1.0, messages=False))
    kinds = [(change.kind, change.nodes) for change in scan(net.git.path, policy=strict).shared]
    assert ("similar", ["gamma", "delta"]) in kinds  # the re-typed cookie change is token for token the same
    assert ("similar", ["alpha", "beta"]) in kinds
    loose = Policy(similarity=Similarity(threshold=0.05, messages=False))
    changes = scan(net.git.path, policy=loose).shared
    for change in changes:
        assert len(set(change.nodes)) == len(change.nodes)  # a node carries a change once
        if change.kind == "similar":
            assert change.score is not None and change.score >= 0.05  # every pair clears it: complete linkage


def test_a_cached_report_is_not_reused_under_another_threshold(net: SharedNet, tmp_path: Path) -> None:
    store = Store(tmp_path / "store.sqlite")
    default = scan(net.git.path, store=store)
    strict = scan(net.git.path, store=store, policy=Policy(similarity=Similarity(threshold=1.0, messages=False)))
    assert len(default.shared) == 5
    assert [c.kind for c in strict.shared].count("similar") == 2
    assert scan(net.git.path, store=store).model_dump(exclude={"scanned_at"}) == default.model_dump(
        exclude={"scanned_at"}
    )


def test_shared_changes_from_the_store_are_the_ones_computed_afresh(net: SharedNet, tmp_path: Path) -> None:
    Git(tmp_path)("clone", "-q", str(net.git.path), "clone")
    clone = Git(tmp_path / "clone")
    for name, _, _ in NODES:
        clone("branch", "-q", name, f"origin/{name}")
    (clone.path / "forkflow.toml").write_text(manifest_text())
    store = Store(tmp_path / "store.sqlite")
    first = scan(clone.path, store=store)
    clone.commit("Unrelated upstream work", {"docs/notes.md": "notes\n"})  # every head pair is new
    again = scan(clone.path, store=store)
    fresh = scan(clone.path)
    assert again.shared == fresh.shared == first.shared
    with sqlite3.connect(tmp_path / "store.sqlite") as db:
        keys = [row[0] for row in db.execute("SELECT key FROM report_cache")]
    assert sum(key.startswith("shared:") for key in keys) == 1  # one grouping served both scans


@pytest.fixture(scope="module")
def vendored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Small, Path, Path]:
    """tests/networks.py's vendored network, its partial clone, and the manifest of both."""
    root = tmp_path_factory.mktemp("vendored")
    origin = build_vendored(root / "origin")
    manifest = root / "forkflow.toml"
    manifest.write_text((origin.git.path / "forkflow.toml").read_text())
    partial, missing = partial_clone(origin.git, root / "partial.git")
    for label in ("v1", "v2", "v2b"):
        blobs = origin.git("ls-tree", "-r", "--format=%(objectname)", origin.ids[label], "media").split()
        assert set(blobs) & missing, label  # the case at hand: the clone lacks a blob of each
    return origin, partial.path, manifest


def scan_at(path: Path, manifest: Path) -> ScanReport:
    return scan_network(Network(load_manifest(manifest)), GitRepo(path), now=NOW)


def carriers_by_git(git: Git, report: ScanReport) -> dict[str, set[str]]:
    """Every commit of ``central..node`` that two or more nodes have, and those nodes: git's answer."""
    having: dict[str, set[str]] = {}
    for node in report.nodes:
        if node.parent is not None:
            for cid in git("rev-list", "--no-merges", f"{report.node(node.parent).ref}..{node.ref}").split():
                having.setdefault(cid, set()).add(node.name)
    return {cid: nodes for cid, nodes in having.items() if len(nodes) >= 2}


def carriers_in(report: ScanReport) -> dict[str, set[str]]:
    return {cid: set(change.nodes) for change in report.shared for cid in change.commits}


def test_the_same_commits_are_shared_when_their_diff_cannot_be_read(vendored: tuple[Small, Path, Path]) -> None:
    """In a partial clone the commits whose blobs are missing are unreadable, yet the nodes that
    carry the very same commit ids share them, as on the complete origin and as git lists them."""
    origin, partial, manifest = vendored
    ids = origin.ids
    report, complete = scan_at(partial, manifest), scan_at(origin.git.path, manifest)
    assert report.node("alpha").unreadable == report.node("beta").unreadable == [ids["v1"], ids["v2"], ids["v2b"]]
    assert report.node("gamma").unreadable == [ids["v1"]]
    by_git = carriers_by_git(origin.git, report)
    assert sorted(by_git) == sorted([ids["v1"], ids["v2"], ids["v2b"], ids["v3"]])
    assert carriers_in(report) == by_git == carriers_in(complete)
    labels = {cid: label for label, cid in ids.items()}
    assert [(c.kind, c.nodes, [[labels[cid] for cid in v.commits] for v in c.variants]) for c in report.shared] == [
        ("exact", ["alpha", "beta", "gamma"], [["v1"]]),
        ("exact", ["alpha", "beta"], [["v3"]]),  # readable: its patch-id, as ever
        ("exact", ["alpha", "beta"], [["v2", "v2b"]]),  # a series of unreadable commits, as v2..v3 is one below
    ]
    assert [[labels[cid] for cid in c.variants[0].commits] for c in complete.shared] == [["v1"], ["v2", "v2b", "v3"]]


def test_an_unreadable_shared_change_says_what_its_commits_say(vendored: tuple[Small, Path, Path]) -> None:
    origin, partial, manifest = vendored
    v1, v2, v2b = (origin.ids[label] for label in ("v1", "v2", "v2b"))
    report = scan_at(partial, manifest)
    first, _, series = report.shared
    assert first.id == f"exact-commit-{v1[:12]}" and series.id.startswith("exact-commit-")
    assert (first.patch_id, first.patch_ids, first.paths, first.size, first.readable) == (None, [], [], 0, False)
    assert series.commits == sorted([v2, v2b]) and not series.readable
    assert first.summary == origin.git("log", "-1", "--format=%s", v1).strip() == "Add the player's poster frames"
    assert first.authors == [origin.git("log", "-1", "--format=%an <%ae>", v1).strip()]
    assert first.first_seen == origin.git("log", "-1", "--format=%aI", v1).strip()
    assert first.target == "central"
    assert report.commits[v1].patch_id is None and report.commits[v1].date == first.first_seen
    assert report.shared[1].readable and report.shared[1].patch_ids == [origin.git.patch_id(origin.ids["v3"])]
    assert scan_at(partial, manifest).shared == report.shared  # the ids are stable across runs


def test_unreadable_commits_count_neither_met_nor_unmet(vendored: tuple[Small, Path, Path]) -> None:
    """Whether the parent has an unreadable commit's patch is unknown, so it is no need either way:
    alpha and beta each have v3 and their own commit, gamma its own; v1, v2 and v2b count nowhere."""
    origin, partial, manifest = vendored
    report = scan_at(partial, manifest)
    figure = report.unmet_needs
    assert (figure.unmet, figure.met, figure.percent) == (5, 0, 100.0)
    assert [report.node(name).needs.unmet for name in ("alpha", "beta", "gamma")] == [2, 2, 1]
    complete = scan_at(origin.git.path, manifest).unmet_needs  # v1 and the series v2..v3 are one need each
    assert (complete.unmet, complete.met) == (8, 0)
