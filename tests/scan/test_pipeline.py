"""The scan agrees with git: rev-list --left-right --count, git cherry, git merge-tree."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from forkflow.gitrepo import GitRepo
from forkflow.manifest.spec import load_manifest
from forkflow.model import ScanReport
from forkflow.network.tree import Network
from forkflow.scan.pipeline import scan_network
from forkflow.store.store import Store
from tests.gitcli import Git
from tests.networks import Small, build_random, build_small, partial_clone

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def scan(path: Path, store: Store | None = None, manifest: Path | None = None) -> ScanReport:
    network = Network(load_manifest(manifest or path / "forkflow.toml"))
    return scan_network(network, GitRepo(path), store, now=NOW)


def assert_agrees_with_git(git: Git, report: ScanReport) -> None:
    refs = {node.name: node.ref for node in report.nodes}
    for node in report.nodes:
        if node.parent is None:
            continue
        parent_ref = refs[node.parent]
        assert (node.ahead, node.behind) == git.rev_list_count(parent_ref, node.ref), node.name
        carried, upstreamed = git.cherry(parent_ref, node.ref)
        assert node.carried == carried, node.name
        assert node.upstreamed == upstreamed, node.name
        base = git("merge-base", parent_ref, node.ref).strip()
        assert node.merge_base == base, node.name
        assert node.head == git.head(node.ref)


def git_conflicts(git: Git, ours: str, theirs: str) -> list[str]:
    out = git("merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs, check=False)
    return sorted(set(out.splitlines()[1:]))


@pytest.fixture
def small(tmp_path: Path) -> Small:
    return build_small(tmp_path / "small")


def test_small_network_agrees_with_git(small: Small) -> None:
    report = scan(small.git.path)
    assert_agrees_with_git(small.git, report)


def test_small_network_by_hand(small: Small) -> None:
    """The numbers a person can work out from the history in tests/networks.py."""
    report = scan(small.git.path)
    ids = small.ids
    eng, aero, agri, vet = (report.node(n) for n in ("eng", "eng-aero", "agri", "vet"))
    assert (eng.ahead, eng.behind, eng.carried, eng.upstreamed) == (2, 5, [ids["e1"], ids["e2"]], [])
    assert eng.conflicts == ["app.py"]
    assert (aero.ahead, aero.behind, aero.carried) == (2, 0, [ids["d1"], ids["d2"]])
    assert (agri.carried, agri.upstreamed) == ([ids["a1"]], [ids["a2"]])
    assert (vet.ahead, vet.carried, vet.conflicts) == (1, [ids["v1"]], [])
    assert eng.diffstat.model_dump() == {"files": 2, "insertions": 2, "deletions": 2}
    assert [(c.kind, c.nodes, c.commits) for c in report.shared] == [
        ("exact", ["eng", "agri"], sorted([ids["a1"], ids["e1"]]))
    ]
    figure = report.unmet_needs
    assert (figure.percent, figure.unmet, figure.met) == (85.7, 6, 1)  # tests/needs/test_figure.py pins the definition
    committed = small.git("log", "-1", "--format=%cI", ids["c2"]).strip()
    assert eng.merge_base == ids["c2"]
    assert eng.merge_base_date == committed
    assert eng.days_since_merge_base == (NOW - datetime.fromisoformat(committed)).days


def test_conflict_prediction_agrees_with_git_merge_tree(small: Small) -> None:
    report = scan(small.git.path)
    for node in report.nodes:
        if node.parent is None:
            continue
        parent = report.node(node.parent)
        expected = git_conflicts(small.git, node.ref, parent.ref) if node.ahead and node.behind else []
        assert node.conflicts == expected, node.name


@pytest.mark.parametrize("seed", range(8))
def test_generated_networks_agree_with_git(tmp_path: Path, seed: int) -> None:
    git, manifest = build_random(tmp_path / "net", seed)
    (tmp_path / "forkflow.toml").write_text(manifest)
    report = scan(git.path, manifest=tmp_path / "forkflow.toml")
    assert_agrees_with_git(git, report)
    for node in report.nodes:
        if node.parent is not None and node.ahead and node.behind:
            assert node.conflicts == git_conflicts(git, node.ref, report.node(node.parent).ref)


@pytest.mark.parametrize("seed", [11, 3])
def test_generated_partial_clones_agree_with_git_on_the_whole_network(tmp_path: Path, seed: int) -> None:
    """A clone lacking the larger blobs, against git on the complete origin: the history's
    figures are git's; a commit is carried or upstreamed only where git cherry says so; and
    every commit git cherry names is carried, upstreamed or listed unreadable, never lost."""
    git, manifest = build_random(tmp_path / "net", seed, nodes=9, steps=90)
    (tmp_path / "forkflow.toml").write_text(manifest)
    partial, _missing = partial_clone(git, tmp_path / "partial.git")
    report = scan(partial.path, manifest=tmp_path / "forkflow.toml")
    refs = {node.name: node.ref for node in report.nodes}
    assert any(node.unreadable for node in report.nodes)
    for node in report.nodes:
        if node.parent is None:
            continue
        assert (node.ahead, node.behind) == git.rev_list_count(refs[node.parent], node.ref), node.name
        assert node.merge_base == git("merge-base", refs[node.parent], node.ref).strip(), node.name
        carried, upstreamed = git.cherry(refs[node.parent], node.ref)
        assert set(node.carried) <= set(carried) and set(node.upstreamed) <= set(upstreamed), node.name
        assert set(node.carried) | set(node.upstreamed) | set(node.unreadable) == set(carried) | set(upstreamed)
        assert not set(node.unreadable) & (set(node.carried) | set(node.upstreamed)), node.name


def test_generated_networks_exercise_what_they_claim(tmp_path: Path) -> None:
    """The random networks really hold upstreamed commits, merges and conflicts somewhere."""
    seen = {"upstreamed": 0, "conflicts": 0, "behind": 0, "ahead": 0}
    for seed in range(8):
        git, manifest = build_random(tmp_path / f"net{seed}", seed)
        (tmp_path / f"m{seed}.toml").write_text(manifest)
        report = scan(git.path, manifest=tmp_path / f"m{seed}.toml")
        for node in report.nodes:
            seen["upstreamed"] += len(node.upstreamed)
            seen["conflicts"] += len(node.conflicts)
            seen["behind"] += node.behind
            seen["ahead"] += node.ahead
    assert all(count > 0 for count in seen.values()), seen


def test_warm_scan_reads_the_store_and_equals_the_cold_one(small: Small, tmp_path: Path) -> None:
    store = Store(tmp_path / "store.sqlite")
    cold = scan(small.git.path, store)
    # Lose every loose blob: a scan that recomputed anything would now find commits
    # unreadable; one that reads the store gives the same answer.
    objects = small.git("cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectname)")
    blobs = [line.split()[1] for line in objects.splitlines() if line.startswith("blob ")]
    assert blobs
    for blob in blobs:
        (small.git.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    warm = scan(small.git.path, store)
    assert warm == cold
    assert scan(small.git.path).node("eng").unreadable != []


def test_missing_objects_are_listed_unreadable_and_the_scan_goes_on(small: Small) -> None:
    e1 = small.ids["e1"]
    blob = small.git("rev-parse", f"{e1}:lib/util.py").strip()
    (small.git.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    report = scan(small.git.path)
    eng = report.node("eng")
    assert e1 in eng.unreadable
    assert e1 not in eng.carried and e1 not in eng.upstreamed
    assert report.node("eng-aero").carried == [small.ids["d1"], small.ids["d2"]]


def test_blobless_partial_clone_scans_without_crashing(small: Small, tmp_path: Path) -> None:
    small.git("config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "partial"
    Git(tmp_path)("clone", "-q", "--bare", "--filter=blob:none", f"file://{small.git.path}", str(clone))
    partial = Git(clone)
    for branch in ("eng", "eng-aero", "agri", "vet"):
        assert partial.head(f"refs/heads/{branch}")
    manifest = tmp_path / "forkflow.toml"
    manifest.write_text((small.git.path / "forkflow.toml").read_text())
    report = scan(clone, manifest=manifest)
    eng = report.node("eng")
    assert (eng.ahead, eng.behind) == (2, 5)
    assert sorted(eng.unreadable + eng.carried) == sorted([small.ids["e1"], small.ids["e2"]])
    assert eng.unreadable  # the blobs of its commits are not there


def test_a_missing_ref_is_a_problem_and_the_rest_is_scanned(small: Small) -> None:
    small.git("branch", "-D", "eng")
    report = scan(small.git.path)
    assert [(p.node, p.field) for p in report.problems] == [("eng", "ref")]
    assert "refs/heads/eng does not exist" in report.problems[0].message
    assert report.node("eng").head is None
    assert report.node("eng-aero").problems == ["parent 'eng' could not be read, so this node was not compared"]
    assert report.node("agri").carried == [small.ids["a1"]]


def test_criss_cross_histories_agree_with_git(tmp_path: Path) -> None:
    """Two merge bases: counts, cherry, the base git names and the conflicts still agree."""
    git = Git.init(tmp_path / "cc")
    git.commit("base", {"a.txt": "a\n", "b.txt": "b\n"})
    git.checkout("-b", "node")
    git.commit("node 1", {"n.txt": "n1\n"})
    git.checkout("main")
    git.commit("main 1", {"m.txt": "m1\n"})
    node_1, main_1 = git.head("node"), git.head("main")
    git("merge", "-q", "--no-edit", node_1)
    git.checkout("node")
    git("merge", "-q", "--no-edit", main_1)
    git.commit("node 2", {"a.txt": "node\n"})
    git.checkout("main")
    git.commit("main 2", {"a.txt": "main\n"})
    assert len(git("merge-base", "--all", "main", "node").split()) == 2
    (tmp_path / "m.toml").write_text(
        '[network]\nname = "cc"\n\n[[node]]\nname = "central"\nref = "refs/heads/main"\n\n'
        '[[node]]\nname = "n"\nparent = "central"\ntier = "developer"\nref = "refs/heads/node"\n'
    )
    report = scan(git.path, manifest=tmp_path / "m.toml")
    assert_agrees_with_git(git, report)
    assert report.node("n").conflicts == git_conflicts(git, "node", "main") == ["a.txt"]


def test_incomplete_answers_are_not_cached(small: Small, tmp_path: Path) -> None:
    """A comparison with unreadable commits is recomputed once the objects are back."""
    e1 = small.ids["e1"]
    blob = small.git("rev-parse", f"{e1}:lib/util.py").strip()
    loose = small.git.path / ".git" / "objects" / blob[:2] / blob[2:]
    saved = loose.read_bytes()
    loose.chmod(0o644)
    loose.unlink()
    store = Store(tmp_path / "store.sqlite")
    assert e1 in scan(small.git.path, store).node("eng").unreadable
    loose.write_bytes(saved)
    assert scan(small.git.path, store).node("eng").carried == [e1, small.ids["e2"]]
