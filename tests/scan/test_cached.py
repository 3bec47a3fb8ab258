"""A warm scan is never stale: every input of the report is in its cache keys.

On the Land Grant example, each test changes one input (a policy field, a node's override, the
manifest, the declared needs, forkflow's own code) and checks that the warm scan prints what
``--no-cache`` prints.  Before the change, every cached report and every cached group of shared
changes in the store is marked, so that a cache read after the change would show: the control
test proves the mark shows when nothing changed.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from forkflow.cli import main
from forkflow.demo import build_example, example_dir
from forkflow.policy.rules import find_policy
from forkflow.scan.cached import CachedReport
from tests.gitcli import git_env

EPOCH = "1767225600"  # 2026-01-01: the scan's "now", the same for every run
MARK = "STALE-CACHE"


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example, fetched and scanned once: its store holds every cache a scan fills."""
    built = build_example(example_dir("landgrant"), tmp_path_factory.mktemp("keys") / "lg")
    assert _cli("fetch", "--repo", str(built.work)).exit_code == 0
    policy = find_policy("default", built.work)
    shutil.copy(policy, built.work / "policy.toml")  # a policy of the network's own, to edit
    _edit(built.work / "forkflow.toml", 'policy = "default"', 'policy = "policy.toml"')
    assert _cli("scan", "--json", "--repo", str(built.work)).exit_code == 0
    return built.work


@dataclass
class Case:
    change: Callable[[Path], None]
    changes_report: bool  # whether the change moves anything in the example's report


def _cli(*args: str) -> object:
    return CliRunner(env={"SOURCE_DATE_EPOCH": EPOCH}).invoke(main, list(args), catch_exceptions=False)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1))


def _copy(warm: Path, tmp_path: Path) -> Path:
    """The warm working repository, beside the original so its relative urls still reach the forge."""
    work = warm.parent / f"work-{tmp_path.name}"
    shutil.copytree(warm, work, symlinks=True)
    return work


def _mark_caches(store: Path, *, also: tuple[str, ...] = ()) -> int:
    """Mark every cached report and group of shared changes (and the ``also`` tables' rows)."""
    marked = 0
    with sqlite3.connect(store) as db:
        for key, report in db.execute("SELECT key, report FROM report_cache").fetchall():
            if key.startswith("shared:"):
                changes = json.loads(report)
                for change in changes:
                    change["title"] = MARK
                text = json.dumps(changes)
            elif key.startswith("security:"):
                coverage = json.loads(report)
                coverage["unlocated"] = [MARK]
                text = json.dumps(coverage)
            else:
                cached = CachedReport.decode(report)
                stale = cached.text.replace(b'"network": "landgrant"', f'"network": "{MARK}"'.encode())
                text = CachedReport(stale, cached.summary, cached.dates).encode()
            db.execute("UPDATE report_cache SET report=? WHERE key=?", (text, key))
            marked += 1
        if "pair" in also:
            for key, result in db.execute("SELECT parent_head || node_head, result FROM pair").fetchall():
                pair = json.loads(result)
                pair["conflicts"] = [MARK]
                db.execute("UPDATE pair SET result=? WHERE parent_head || node_head=?", (json.dumps(pair), key))
                marked += 1
    return marked


def _scan_json(work: Path, *extra: str) -> str:
    result = _cli("scan", "--json", "--repo", str(work), *extra)
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def _policy(old: str, new: str) -> Callable[[Path], None]:
    return lambda work: _edit(work / "policy.toml", old, new)


def _manifest(old: str, new: str) -> Callable[[Path], None]:
    return lambda work: _edit(work / "forkflow.toml", old, new)


def _declare_need(work: Path) -> None:
    """A new need in central's needs.toml: central's head moves."""
    clone = work.parent / f"{work.name}-central"
    subprocess.run(
        ["git", "clone", "-q", str(work.parent / "forge" / "central.git"), str(clone)], check=True, env=git_env()
    )
    with (clone / "needs.toml").open("a") as register:
        register.write('\n[[need]]\nid = "dark-mode"\ntitle = "A dark theme"\nnodes = ["agriculture"]\n')
    for command in (["add", "needs.toml"], ["commit", "-q", "-m", "Declare dark mode"], ["push", "-q"]):
        subprocess.run(["git", "-C", str(clone), *command], check=True, env=git_env())
    assert _cli("fetch", "--repo", str(work), "--node", "central").exit_code == 0


CASES = {
    "local_paths": Case(_policy('"**/*.local.*",', '"**/*.local.*",\n    "vms/**",'), True),
    "similarity.threshold": Case(_policy("threshold = 0.15", "threshold = 0.05"), True),
    "similarity.messages": Case(_policy("messages = true", "messages = false"), True),
    "protected_paths": Case(_policy('"policies/**",', '"policies/**",\n    "vms/**",'), False),
    "bubble_up.min_nodes": Case(_policy("min_nodes = 2", "min_nodes = 3"), False),
    "divergence.max_behind": Case(_policy("max_behind = 200", "max_behind = 5"), False),
    "tiers.developer.force_reset": Case(_policy("[tiers.developer]", "[tiers.developer]\nforce_reset = true"), False),
    "a node's override": Case(
        _manifest('name = "engineering"', 'name = "engineering"\npolicy = { "divergence.max_behind" = 7 }'), False
    ),
    "a node's tier": Case(_manifest('tier = "developer"', 'tier = "decentralized"'), True),
    "a node's owners": Case(_manifest('owners = ["@lgu-video-core"]', 'owners = ["@someone-else"]'), False),
    "the network's name": Case(_manifest('name = "landgrant"', 'name = "landgrant-2"'), True),
    "the declared needs": Case(_declare_need, True),
}


def test_the_mark_shows_when_nothing_changed(warm: Path, tmp_path: Path) -> None:
    """The control: with no input changed, the warm scan reads the (marked) cache."""
    work = _copy(warm, tmp_path)
    assert _mark_caches(work / ".forkflow" / "store.sqlite") >= 2
    assert MARK in _scan_json(work)


@pytest.mark.parametrize("name", list(CASES))
def test_a_changed_input_is_never_served_from_the_cache(warm: Path, tmp_path: Path, name: str) -> None:
    work = _copy(warm, tmp_path)
    before = _scan_json(work)
    _mark_caches(work / ".forkflow" / "store.sqlite")
    CASES[name].change(work)
    warm_text = _scan_json(work)
    assert MARK not in warm_text
    assert warm_text == _scan_json(work, "--no-cache")
    assert (warm_text != before) == CASES[name].changes_report


def test_the_demo_defect_local_paths(warm: Path, tmp_path: Path) -> None:
    """The case as it was found: ``vms/**`` made local turns 20-odd needs into local changes."""
    work = _copy(warm, tmp_path)
    before = json.loads(_scan_json(work))["unmet_needs"]
    CASES["local_paths"].change(work)
    after = json.loads(_scan_json(work))["unmet_needs"]
    assert after == json.loads(_scan_json(work, "--no-cache"))["unmet_needs"]
    assert after["local"] > before["local"] and after["unmet"] < before["unmet"]


def test_other_code_never_reads_this_codes_caches(warm: Path, tmp_path: Path) -> None:
    """forkflow's own source is an input: a copy of the package with one line changed (as a new
    release or a local edit would be) reads no cached report, pair or patch this code wrote."""
    work = _copy(warm, tmp_path)
    package = Path(sys.modules["forkflow"].__file__ or "").parent
    other = tmp_path / "other"
    shutil.copytree(package, other / "forkflow", ignore=shutil.ignore_patterns("__pycache__"))
    with (other / "forkflow" / "render.py").open("a") as module:
        module.write("\n# another release\n")
    store = work / ".forkflow" / "store.sqlite"
    _mark_caches(store, also=("pair",))

    def run(path: Path, *extra: str) -> str:
        env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONPATH": str(path)}
        args = [sys.executable, "-m", "forkflow", "scan", "--json", "--repo", str(work), *extra]
        done = subprocess.run(
            args, capture_output=True, text=True, env=env, cwd=tmp_path, check=True
        )  # -m puts cwd first
        return done.stdout

    parsed = work / ".forkflow" / "manifest.json"  # the parsed manifest is cached by text and code
    kept = json.loads(parsed.read_text())["sha256"]
    text = run(other)
    assert MARK not in text
    assert json.loads(parsed.read_text())["sha256"] != kept
    assert text == run(other, "--no-cache")
    with sqlite3.connect(store) as db:
        assert MARK not in json.dumps(db.execute("SELECT result FROM pair").fetchall())
        (code,) = db.execute("SELECT value FROM meta WHERE key='code'").fetchone()
    _mark_caches(store, also=("pair",))
    assert MARK in run(other)  # the other code reads its own caches again
    here = run(package.parent)
    assert MARK not in here  # and this code forgets them in turn
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT value FROM meta WHERE key='code'").fetchone()[0] != code
