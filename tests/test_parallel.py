"""Facts computed on several cores give the very same scan as one process."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.gennet import generate
from forkflow.gitrepo import GitRepo
from forkflow.manifest import load_manifest
from forkflow.network import Network
from forkflow.parallel import MIN_PARALLEL
from forkflow.scan import scan_network
from tests.gitcli import Git
from tests.test_scan import NOW, assert_agrees_with_git


def test_parallel_and_serial_scans_are_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "net"
    generate(repo, nodes=24, carried=25, upstream=600)
    network = Network(load_manifest(repo / "forkflow.toml"))
    monkeypatch.setenv("FORKFLOW_JOBS", "1")
    serial = scan_network(network, GitRepo(repo), None, now=NOW)
    monkeypatch.setenv("FORKFLOW_JOBS", "2")
    parallel = scan_network(network, GitRepo(repo), None, now=NOW)
    assert sum(len(node.carried) for node in parallel.nodes) > MIN_PARALLEL  # the pool really ran
    assert parallel == serial
    assert_agrees_with_git(Git(repo), parallel)
