"""A two-node network whose commits have known dates, for the trend's tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from forkflow.gitrepo import GitRepo
from forkflow.manifest.spec import load_manifest
from forkflow.model import ScanReport
from forkflow.network.tree import Network
from forkflow.scan.pipeline import scan_network
from tests.gitcli import Git

MANIFEST = """\
[network]
name = "dated"

[[node]]
name = "central"
ref = "refs/heads/main"

[[node]]
name = "a"
parent = "central"
tier = "decentralized"
ref = "refs/heads/a"
"""
GUARD = "def save(data):\n    if not data:\n        raise ValueError('empty')\n    return data\n"


def at(git: Git, when: str) -> None:
    """The next commit's date (the clock ticks an hour before each git call: add, then commit)."""
    git.clock.now = int(datetime.fromisoformat(when).replace(tzinfo=UTC).timestamp()) - 7200


def make_dated(tmp_path: Path) -> Git:
    """a1 born 2024-01-10 and met 2024-03-15 (central ships it through a proposal); a2 born 2024-02-05."""
    git = Git.init(tmp_path / "dated")
    at(git, "2024-01-01T09:00:00")
    base = git.commit("Initial", {"app.py": "def save(data):\n    return data\n", "forkflow.toml": MANIFEST})
    git.checkout("-b", "a")
    at(git, "2024-01-10T09:00:00")
    git.commit("Reject empty saves", {"app.py": GUARD})
    at(git, "2024-02-05T09:00:00")
    git.commit("Add a report page", {"report.py": "def report():\n    return 'report'\n"})
    git.checkout("main")
    assert git.head("main") == base
    at(git, "2024-03-15T09:00:00")
    git.commit("Reject empty saves\n\nForkflow-Change: exact-0123456789ab", {"app.py": GUARD})
    return git


def scan(git: Git, now: str = "2024-04-30T12:00:00+00:00") -> ScanReport:
    network = Network(load_manifest(git.path / "forkflow.toml"))
    return scan_network(network, GitRepo(git.path), None, now=datetime.fromisoformat(now))
