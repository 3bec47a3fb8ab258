"""Shards: N machines' partial scans, collected, give one machine's report byte for byte."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from forkflow.cli import main
from forkflow.errors import ShardError
from forkflow.manifest.spec import load_manifest
from forkflow.network.shard import Shard, parse_shard, shard_of
from forkflow.network.tree import Network
from tests.gitcli import Git
from tests.networks import build_random, build_vendored, partial_clone


def run(repo: Path, *args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("count", [1, 3, 4])
def test_n_shards_collected_equal_one_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    git, manifest = build_random(tmp_path / "net", seed=11, nodes=9, steps=90)
    (git.path / "forkflow.toml").write_text(manifest)
    network = Network(load_manifest(git.path / "forkflow.toml"))
    one_machine = run(git.path, "scan", "--json", "--no-cache")
    store = git.path / ".forkflow" / "store.sqlite"
    for number in range(1, count + 1):
        mine = len(Shard(number, count).nodes(network))
        expected = f"shard {number}/{count} of run local: {mine} node(s) compared, results in {store}\n"
        assert run(git.path, "scan", "--shard", f"{number}/{count}") == expected
    collected = run(git.path, "scan", "--json", "--collect")
    assert collected == one_machine


def url_manifest(origin: Path, manifest: str) -> str:
    """The same network, every node fetched from ``origin`` by url (as machines apart would)."""
    return re.sub(r'ref = "refs/heads/([^"]+)"', rf'url = "{origin}"\nbranch = "\1"', manifest)


def machine(path: Path, manifest: str) -> Path:
    Git.init(path)
    (path / "forkflow.toml").write_text(manifest)
    return path


def objects_in(path: Path) -> set[str]:
    listed = Git(path)("cat-file", "--batch-all-objects", "--batch-check=%(objectname)")
    return set(listed.split())


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_machines_apart_share_only_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, backend: str
) -> None:
    """Each shard machine fetches only its share; the collecting machine fetches nothing."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    origin, text = build_random(tmp_path / "origin", seed=5, nodes=10, steps=110)
    manifest = url_manifest(origin.path, text)
    store = str(tmp_path / "shared.sqlite") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    alone = machine(tmp_path / "alone", manifest)
    run(alone, "fetch")
    one_machine = run(alone, "scan", "--json", "--no-cache")
    count = 3
    for number in range(1, count + 1):
        box = machine(tmp_path / f"shard{number}", manifest)
        run(box, "fetch", "--shard", f"{number}/{count}")
        assert objects_in(box) < objects_in(alone)  # a share of the objects, not all of them
        run(box, "scan", "--shard", f"{number}/{count}", "--store", store, "--run-id", "run-7")
    collector = machine(tmp_path / "collector", manifest)
    assert objects_in(collector) == set()
    collected = run(collector, "scan", "--json", "--collect", "--store", store, "--run-id", "run-7")
    assert collected == one_machine
    # Running a shard again, or collecting again, adds nothing twice.
    run(tmp_path / "shard1", "scan", "--shard", f"1/{count}", "--store", store, "--run-id", "run-7")
    assert run(collector, "scan", "--json", "--collect", "--store", store, "--run-id", "run-7") == one_machine


def test_collect_refuses_when_a_shard_is_missing(tmp_path: Path) -> None:
    git, manifest = build_random(tmp_path / "net", seed=12, nodes=6, steps=40)
    (git.path / "forkflow.toml").write_text(manifest)
    run(git.path, "scan", "--shard", "1/2", "--run-id", "r1")
    network = Network(load_manifest(git.path / "forkflow.toml"))
    seen = set(Shard(1, 2).fetched(network))  # shard 1 records its nodes, their parents and central
    missing = ", ".join(name for name in Shard(2, 2).nodes(network) if name not in seen)
    result = CliRunner().invoke(main, ["scan", "--collect", "--run-id", "r1", "--repo", str(git.path)])
    assert result.exit_code == 1
    assert result.output == (
        f"error: run 'r1': no shard has recorded {missing}; "
        f"run their shards first (forkflow scan --shard K/N --run-id r1)\n"
    )
    other = CliRunner().invoke(main, ["scan", "--collect", "--run-id", "r2", "--repo", str(git.path)])
    assert other.exit_code == 1 and "run 'r2': no shard has recorded central, " in other.output


def test_shards_are_stable_and_cover_every_node() -> None:
    names = [f"college-{n}" for n in range(200)]
    shards = [Shard(k, 8) for k in range(1, 9)]
    assert all(sum(shard.holds(name) for shard in shards) == 1 for name in names)
    assert shard_of("college-7", 8) == shard_of("college-7", 8) == 5  # the same on every machine, every run
    assert parse_shard("3/8") == Shard(3, 8)
    with pytest.raises(ShardError, match=r"^'9/8' is not K/N with 1 <= K <= N \(e.g. 2/8\)$"):
        parse_shard("9/8")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_shards_of_partial_clones_collect_as_one_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, backend: str
) -> None:
    """Every shard machine is a partial clone lacking the larger blobs, as a blobless clone of a
    real network is; the collecting machine has no objects at all.  The nodes whose commits
    cannot be read are reported as one machine on such a clone reports them."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    origin, text = build_random(tmp_path / "origin", seed=11, nodes=9, steps=90)
    manifest = tmp_path / "forkflow.toml"
    manifest.write_text(text)
    alone, missing = partial_clone(origin, tmp_path / "alone.git")
    one_machine = run(alone.path, "scan", "--json", "--no-cache", "--manifest", str(manifest))
    unreadable = [node for node in json.loads(one_machine)["nodes"] if node["unreadable"]]
    assert len(unreadable) >= 3 and {c for n in unreadable for c in n["unreadable"]}  # the case at hand
    store = str(tmp_path / "shared.sqlite") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    count = 4
    for number in range(1, count + 1):
        box, lacking = partial_clone(origin, tmp_path / f"shard{number}.git")
        assert lacking == missing
        run(box.path, "scan", "--shard", f"{number}/{count}", "--store", store, "--manifest", str(manifest))
    collector = machine(tmp_path / "collector", text)
    assert objects_in(collector) == set()
    collected = run(collector, "scan", "--json", "--collect", "--store", store)
    assert collected == one_machine


def test_unreadable_commits_shared_by_nodes_of_different_shards_collect_as_one_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same unread commits in nodes that different shards compare: the collecting machine, with
    no objects, reports them shared, with their authors and dates, as one machine does."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    origin = build_vendored(tmp_path / "origin")
    text = (origin.git.path / "forkflow.toml").read_text()
    manifest = tmp_path / "forkflow.toml"
    manifest.write_text(text)
    alone, _ = partial_clone(origin.git, tmp_path / "alone.git")
    one_machine = run(alone.path, "scan", "--json", "--no-cache", "--manifest", str(manifest))
    shared = json.loads(one_machine)["shared"]
    assert [change["nodes"] for change in shared if change["id"].startswith("exact-commit-")] == [
        ["alpha", "beta", "gamma"],
        ["alpha", "beta"],
    ]
    count = 3
    assert len({shard_of(name, count) for name in ("alpha", "beta", "gamma")}) >= 2  # the case at hand
    store = str(tmp_path / "shared.sqlite")
    for number in range(1, count + 1):
        box, _ = partial_clone(origin.git, tmp_path / f"shard{number}.git")
        run(box.path, "scan", "--shard", f"{number}/{count}", "--store", store, "--manifest", str(manifest))
    collector = machine(tmp_path / "collector", text)
    assert objects_in(collector) == set()
    assert run(collector, "scan", "--json", "--collect", "--store", store) == one_machine


def test_a_shard_that_gets_the_missing_objects_later_is_collected_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a shard saw with objects missing is never a cache: once the objects are there, the
    next run's shards compare again, and the collected report is the complete one."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    origin, text = build_random(tmp_path / "origin", seed=11, nodes=9, steps=90)
    manifest = tmp_path / "forkflow.toml"
    manifest.write_text(text)
    complete = run(origin.path, "scan", "--json", "--no-cache", "--manifest", str(manifest))
    box, missing = partial_clone(origin, tmp_path / "box.git")
    store = str(tmp_path / "shared.sqlite")
    for number in (1, 2):
        run(box.path, "scan", "--shard", f"{number}/2", "--store", store, "--manifest", str(manifest))
    first = run(box.path, "scan", "--json", "--collect", "--store", store, "--manifest", str(manifest))
    assert first != complete and '"unreadable": [\n' in first
    box("cat-file", "--batch", input="".join(f"{blob}\n" for blob in sorted(missing)).encode())  # fetched lazily
    assert box("rev-list", "--objects", "--all", "--missing=print").count("?") == 0
    for number in (1, 2):
        run(box.path, "scan", "--shard", f"{number}/2", "--store", store, "--manifest", str(manifest), "--run-id", "r2")
    again = run(
        box.path, "scan", "--json", "--collect", "--store", store, "--manifest", str(manifest), "--run-id", "r2"
    )
    assert again == complete
