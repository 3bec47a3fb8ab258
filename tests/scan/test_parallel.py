"""Facts computed on several cores give the very same scan as one process."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.gennet import generate
from forkflow.gitrepo import GitRepo
from forkflow.manifest.spec import load_manifest
from forkflow.network.tree import Network
from forkflow.scan.parallel import MIN_PARALLEL, MIN_PARALLEL_MERGES, Merge, Prediction
from forkflow.scan.pipeline import scan_network
from tests.gitcli import Git
from tests.scan.test_pipeline import NOW, assert_agrees_with_git


def test_parallel_and_serial_scans_are_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "net"
    generate(repo, nodes=70, carried=10, upstream=600)
    network = Network(load_manifest(repo / "forkflow.toml"))
    monkeypatch.setenv("FORKFLOW_JOBS", "1")
    serial = scan_network(network, GitRepo(repo), None, now=NOW)
    monkeypatch.setenv("FORKFLOW_JOBS", "2")
    parallel = scan_network(network, GitRepo(repo), None, now=NOW)
    # The pools really ran: enough commits for the facts, enough merges for the conflicts.
    assert sum(len(node.carried) for node in parallel.nodes) > MIN_PARALLEL
    assert sum(1 for node in parallel.nodes if node.ahead and node.behind) >= MIN_PARALLEL_MERGES
    assert any(node.conflicts for node in parallel.nodes)
    assert parallel == serial
    assert_agrees_with_git(Git(repo), parallel)


def test_the_conflicts_the_caller_takes_from_the_workers_are_the_ones_they_would_give(tmp_path: Path) -> None:
    """results() at once: this process does the chunks no worker has begun, and every answer,
    in order, is the one a merge in this process gives."""
    repo_path = tmp_path / "net"
    generate(repo_path, nodes=60, carried=4, upstream=200)
    repo = GitRepo(repo_path)
    git = Git(repo_path)
    central = git.head("refs/heads/main")
    heads = [ref for ref in git("for-each-ref", "--format=%(objectname)", "refs/heads/").split() if ref != central]
    merges: list[Merge] = [(head, central, None) for head in heads]
    assert len(merges) >= MIN_PARALLEL_MERGES
    expected = [repo.merge_conflicts(ours, theirs, base) for ours, theirs, base in merges]
    assert any(expected)
    for beside in (True, False):
        assert Prediction(repo, merges, workers=2, beside=beside).results() == expected
