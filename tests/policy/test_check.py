"""forkflow policy check: each kind of violation, its evidence and fix, and the exit code."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from forkflow.cli import main
from forkflow.gitrepo import GitRepo
from forkflow.manifest.spec import load_manifest
from forkflow.network.tree import Network
from forkflow.policy.check import check_policy
from forkflow.policy.rules import Divergence, Policy
from forkflow.scan.pipeline import scan_network
from tests.gitcli import Git

NOW = datetime(2026, 1, 1, tzinfo=UTC)
MANIFEST = """\
[network]
name = "rules"

[[node]]
name = "central"
ref = "refs/heads/main"

[[node]]
name = "vet"
parent = "central"
tier = "central"
ref = "refs/heads/vet"

[[node]]
name = "eng"
parent = "central"
tier = "decentralized"
ref = "refs/heads/eng"

[[node]]
name = "law"
parent = "central"
tier = "decentralized"
ref = "refs/heads/law"
policy = { "divergence.max_behind" = 10 }
"""


@pytest.fixture
def rules(tmp_path: Path) -> tuple[Git, dict[str, str]]:
    git = Git.init(tmp_path / "rules")
    ids = {"c1": git.commit("Initial", {"app.py": "A = 1\n", "forkflow.toml": MANIFEST})}
    for name in ("vet", "eng", "law"):
        git("branch", name)
    for n in range(3):
        git.commit(f"Central {n}", {f"c{n}.py": f"C = {n}\n"})
    git.checkout("vet")
    ids["v1"] = git.commit("Vet hotfix", {"app.py": "A = 2\n"})
    git.checkout("eng")
    ids["e1"] = git.commit("Eng workflow", {".github/workflows/ci.yml": "on: push\n"})
    git.checkout("main")
    return git, ids


def test_each_kind_of_violation(rules: tuple[Git, dict[str, str]]) -> None:
    git, ids = rules
    network = Network(load_manifest(git.path / "forkflow.toml"))
    report = scan_network(network, GitRepo(git.path), None, now=NOW)
    policy = Policy(divergence=Divergence(max_behind=2, max_age_days=0))
    found = [(v.node, v.rule, v.message, v.commits, v.paths) for v in check_policy(report, network, policy)]
    assert found == [
        (
            "vet",
            "tiers.central.local_changes",
            "central-tier node carries 1 local commit(s); its tier allows none",
            [ids["v1"]],
            [],
        ),
        ("vet", "divergence.max_behind", "3 commits behind its parent; the limit is 2", [], []),
        (
            "eng",
            "protected_paths",
            "1 carried commit(s) change paths only central may change",
            [ids["e1"]],
            [".github/workflows/ci.yml"],
        ),
        ("eng", "divergence.max_behind", "3 commits behind its parent; the limit is 2", [], []),
        # law's manifest entry raises its own limit to 10, as the policy allows
    ]


def test_the_command_names_evidence_and_fix_and_exits_4(
    rules: tuple[Git, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    git, ids = rules
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1704067200")  # 2024-01-01: no node has lagged two years
    result = CliRunner().invoke(main, ["policy", "check", "--repo", str(git.path)])
    assert result.exit_code == 4
    assert result.stdout.splitlines() == [
        "vet: tiers.central.local_changes: central-tier node carries 1 local commit(s); its tier allows none",
        f"  evidence: {ids['v1'][:12]}",
        "  fix: propose them upstream (`forkflow contribute --node vet`), then `forkflow sync --node vet --force` "
        "resets it to its parent (the old head is kept as a backup)",
        "eng: protected_paths: 1 carried commit(s) change paths only central may change",
        f"  evidence: {ids['e1'][:12]}, .github/workflows/ci.yml",
        f"  fix: propose the change to central (`forkflow contribute {ids['e1'][:12]} --node eng --to central`) and "
        "revert it in the node",
        "2 violation(s) in 2 node(s) (policy: policies/default.toml)",
    ]
    as_json = json.loads(CliRunner().invoke(main, ["policy", "check", "--repo", str(git.path), "--json"]).stdout)
    assert [v["rule"] for v in as_json] == ["tiers.central.local_changes", "protected_paths"]


def test_no_violations_exits_0(tmp_path: Path) -> None:
    git = Git.init(tmp_path / "clean")
    git.commit(
        "Initial", {"app.py": "A = 1\n", "forkflow.toml": MANIFEST.split('[[node]]\nname = "vet"', maxsplit=1)[0]}
    )
    result = CliRunner().invoke(main, ["policy", "check", "--repo", str(git.path)])
    assert (result.exit_code, result.stdout) == (0, "No violations (policy: policies/default.toml)\n")


def test_an_override_the_policy_forbids_is_an_error(rules: tuple[Git, dict[str, str]]) -> None:
    git, _ = rules
    text = (
        (git.path / "forkflow.toml").read_text().replace('"divergence.max_behind" = 10', '"similarity.threshold" = 0.9')
    )
    (git.path / "forkflow.toml").write_text(text)
    result = CliRunner().invoke(main, ["policy", "check", "--repo", str(git.path)])
    assert result.exit_code == 1
    assert result.output == (
        f"error: {git.path / 'forkflow.toml'}: node 'law': field 'policy.similarity.threshold': the policy "
        "(policies/default.toml) does not let a node override it (it allows: divergence.max_behind, "
        "divergence.max_age_days)\n"
    )
