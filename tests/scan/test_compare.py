"""The scan fingerprints only what similar-change detection compares, and says the same as a scan
that fingerprinted every commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from forkflow.gitrepo import GitRepo
from forkflow.manifest.spec import load_manifest
from forkflow.model import ScanReport
from forkflow.network.tree import Network
from forkflow.scan.facts import CommitFacts
from forkflow.scan.pipeline import scan_network
from forkflow.store.store import Store
from tests.gitcli import Git
from tests.networks import build_random
from tests.scan.test_pipeline import NOW, assert_agrees_with_git

APP = "".join(f"def handler_{n}(request):\n    return render(request, 'page_{n}.html')\n\n\n" for n in range(12))
LIB = "".join(f"CONSTANT_{n} = {n}\n" for n in range(30))
MANIFEST = """[network]
name = "lean"

[[node]]
name = "central"
ref = "refs/heads/main"

[[node]]
name = "b"
parent = "central"
tier = "decentralized"
ref = "refs/heads/b"

[[node]]
name = "d"
parent = "central"
tier = "decentralized"
ref = "refs/heads/d"
"""


def login(quote: str, comment: str = "") -> str:
    check = f"    if request.user is None:\n        raise PermissionError({quote}login required{quote}){comment}\n"
    return APP.replace("def handler_5(request):\n", "def handler_5(request):\n" + check)


def build(path: Path) -> tuple[Git, dict[str, str]]:
    """b carries B's own fix and a fix central picked (upstreamed); d carries a login check that
    central typed again in its own words (similar); central also changed lib.py apart."""
    git = Git.init(path)
    ids = {"base": git.commit("Initial", {"app.py": APP, "lib.py": LIB})}
    git.checkout("-b", "b")
    ids["picked"] = git.commit("Fix constant 3", {"lib.py": LIB.replace("CONSTANT_3 = 3", "CONSTANT_3 = 33")})
    ids["own"] = git.commit("B's page", {"page_b.py": "PAGE = 'b'\n"})
    git.checkout("-b", "d", ids["base"])
    ids["login"] = git.commit("Require a login for handler 5", {"app.py": login("'")})
    git.checkout("main")
    ids["central-pick"] = git.cherry_pick(ids["picked"])
    ids["retyped"] = git.commit("Handler 5 needs a login", {"app.py": login('"', "  # for all")})
    ids["apart"] = git.commit("Constant 9", {"lib.py": LIB.replace("CONSTANT_3 = 3", "CONSTANT_3 = 33") + "X = 1\n"})
    (path / "forkflow.toml").write_text(MANIFEST)
    return git, ids


def scan(path: Path, store: Store) -> ScanReport:
    return scan_network(Network(load_manifest(path / "forkflow.toml")), GitRepo(path), store, now=NOW)


def every_fingerprint(git: Git, store: Store) -> None:
    """Fill the store with every commit's facts, fingerprints and all, as a scan of old did."""
    facts = CommitFacts(GitRepo(git.path), store)
    facts.prefetch(git("rev-list", "--all", "--reverse").split())
    facts.flush()


def test_only_the_carried_commits_and_the_parent_commits_beside_them_are_fingerprinted(tmp_path: Path) -> None:
    git, ids = build(tmp_path / "net")
    store = Store(str(tmp_path / "lean.sqlite"))
    lean = scan(git.path, store)
    assert lean.node("b").upstreamed == [ids["picked"]] and lean.node("b").carried == [ids["own"]]
    assert lean.node("d").similar_met == [ids["login"]]
    rows = store.patches(ids.values())
    fingerprinted = {name for name, commit in ids.items() if commit in rows and rows[commit].features is not None}
    # the carried commits, and the parent commit touching a carried commit's paths
    assert fingerprinted == {"own", "login", "retyped"}
    assert all(rows[ids[name]].full for name in ("picked", "central-pick"))  # their patch-ids were needed
    eager = Store(str(tmp_path / "eager.sqlite"))
    every_fingerprint(git, eager)
    assert scan(git.path, eager) == lean
    assert_agrees_with_git(git, lean)


@pytest.mark.parametrize("seed", range(6))
def test_a_lean_scan_says_what_a_scan_with_every_fingerprint_says(tmp_path: Path, seed: int) -> None:
    git, manifest = build_random(tmp_path / "net", seed)
    (git.path / "forkflow.toml").write_text(manifest)
    lean_store = Store(str(tmp_path / "lean.sqlite"))
    lean = scan(git.path, lean_store)
    eager = Store(str(tmp_path / "eager.sqlite"))
    every_fingerprint(git, eager)
    assert scan(git.path, eager) == lean
    assert_agrees_with_git(git, lean)
    carried = {c for node in lean.nodes for c in node.carried}
    rows = lean_store.patches(sorted(carried))
    assert all(rows[c].features is not None for c in carried if lean.commits[c].patch_id is not None)


def test_a_fingerprint_left_out_is_made_when_it_is_asked_for(tmp_path: Path) -> None:
    git, ids = build(tmp_path / "net")
    store = Store(str(tmp_path / "s.sqlite"))
    scan(git.path, store)
    assert store.patches([ids["picked"]])[ids["picked"]].features is None
    facts = CommitFacts(GitRepo(git.path), store)
    facts.load([ids["picked"]])
    row = facts.full(ids["picked"])
    assert row is not None and row.features == GitRepo(git.path).patch_facts(ids["picked"]).fingerprint
    assert row.features and row.patch_id == git.patch_id(ids["picked"])
    facts.flush()
    assert store.patches([ids["picked"]])[ids["picked"]] == row
