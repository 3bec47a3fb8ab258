"""A network of a thousand nodes, made once for the report's tests that need one so big."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks.gennet import generate
from forkflow.gitrepo import GitRepo
from forkflow.manifest.spec import load_manifest
from forkflow.model import ScanReport
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy, load_policy
from forkflow.scan.pipeline import scan_network
from tests.scan.test_pipeline import NOW

NODES = 1000
EPOCH = str(int(NOW.timestamp()))  # SOURCE_DATE_EPOCH: the commands see the day the fixture's scan saw


@dataclass(frozen=True)
class Thousand:
    path: Path
    report: ScanReport
    policy: Policy
    network: Network


@pytest.fixture(scope="session")
def thousand(tmp_path_factory: pytest.TempPathFactory) -> Thousand:
    """1,000 nodes under central (a fifth of them departments of another node), each with 8
        commits of its own: edits to src/, shared features (shared/feature<k>.py) and picks of
        central's commits; a few of them would conflict on update.  Its policy protects two of the
        shared features, so the nodes that carry them need attention too: a few dozen in all (its
    commits are from 2020: with no age limit, none is over the divergence limits)."""
    path = tmp_path_factory.mktemp("thousand") / "net"
    generate(path, nodes=NODES, carried=8, upstream=160)
    (path / "policy.toml").write_text(
        'protected_paths = ["shared/feature1.py", "shared/feature2.py"]\n\n[divergence]\nmax_age_days = 0\n'
    )
    manifest = path / "forkflow.toml"
    manifest.write_text(manifest.read_text().replace('name = "bench"\n', 'name = "bench"\npolicy = "policy.toml"\n', 1))
    policy = load_policy(path / "policy.toml")
    network = Network(load_manifest(manifest))
    report = scan_network(network, GitRepo(path), None, policy=policy, now=NOW)
    return Thousand(path, report, policy, network)
