"""Shards as tasks on a real (local) Dask cluster: the collected report equals one machine's."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from distributed import LocalCluster

from forkflow.cli import main
from forkflow.manifest.spec import load_manifest
from forkflow.network.shard import Shard
from forkflow.network.tree import Network
from tests.gitcli import Git
from tests.network.test_shard import url_manifest
from tests.networks import build_random


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """Two worker processes, one thread each, on loopback: a cluster as a user runs one."""
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        yield str(cluster.scheduler_address)


def test_shards_on_a_dask_cluster_give_one_machines_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheduler: str, postgres_url: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    origin, text = build_random(tmp_path / "origin", seed=33, nodes=10, steps=100)
    here = Git.init(tmp_path / "here")  # this machine: the manifest, nothing fetched
    (here.path / "forkflow.toml").write_text(url_manifest(origin.path, text))
    alone = Git.init(tmp_path / "alone")
    (alone.path / "forkflow.toml").write_text(url_manifest(origin.path, text))
    forkflow = [sys.executable, "-m", "forkflow"]
    subprocess.run([*forkflow, "fetch"], cwd=alone.path, check=True, capture_output=True)
    one_machine = subprocess.run(
        [*forkflow, "scan", "--json", "--no-cache"], cwd=alone.path, check=True, capture_output=True, text=True
    ).stdout

    args = ["scan", "--json", "--dask", scheduler, "--shards", "3", "--store", postgres_url, "--repo", str(here.path)]
    result = CliRunner().invoke(main, [*args, "--run-id", "dask-1"])
    assert result.exit_code == 0, result.output
    assert result.stdout == one_machine
    network = Network(load_manifest(here.path / "forkflow.toml"))
    assert sorted(result.stderr.splitlines()) == [
        f"shard {k}/3: {len(Shard(k, 3).nodes(network))} node(s) compared" for k in (1, 2, 3)
    ]
    assert not list(here.path.glob(".git/refs/forkflow/nodes/*"))  # the workers fetched, not this machine


def test_a_cluster_cannot_read_nodes_that_live_only_here(tmp_path: Path, scheduler: str, postgres_url: str) -> None:
    git, text = build_random(tmp_path / "net", seed=34, nodes=3, steps=20)
    (git.path / "forkflow.toml").write_text(text)
    args = ["scan", "--dask", scheduler, "--store", postgres_url, "--repo", str(git.path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    names = ", ".join(spec.name for spec in load_manifest(git.path / "forkflow.toml").nodes)
    assert result.output == (
        f"error: {git.path / 'forkflow.toml'}: nodes {names} are read by ref from this repository, "
        f"which the workers do not have; give them a url to scan them on a cluster\n"
    )


def test_an_unreachable_scheduler_is_named(tmp_path: Path) -> None:
    git, text = build_random(tmp_path / "net", seed=35, nodes=2, steps=10)
    (git.path / "forkflow.toml").write_text(text)
    result = CliRunner().invoke(main, ["scan", "--dask", "tcp://127.0.0.1:9", "--repo", str(git.path)])
    assert result.exit_code == 1
    assert result.output.startswith("error: cannot reach the Dask scheduler at tcp://127.0.0.1:9")
