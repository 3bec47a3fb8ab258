"""Which nodes need attention, on a thousand-node network: the report's flags, protected paths, drift past the limits."""

from __future__ import annotations

from forkflow.manifest.spec import load_manifest
from forkflow.network.tree import Network
from forkflow.policy.rules import Divergence
from forkflow.report.attention import attention
from forkflow.report.render import node_flags
from tests.report.conftest import Thousand


def test_flags_protected_paths_and_drift(thousand: Thousand) -> None:
    report = thousand.report
    network = Network(load_manifest(thousand.path / "forkflow.toml"))
    strict = thousand.policy.model_copy(update={"divergence": Divergence(max_behind=50, max_age_days=0)})
    found = attention(report, strict, None, network)
    behind = {node.name for node in report.nodes if node.behind > 50}
    assert 100 < len(behind) < 1000
    for node in report.nodes:
        reasons = found.get(node.name, [])
        assert [r for r in reasons if "behind its parent" in r] == (
            [f"{node.behind} commits behind its parent; the limit is 50"] if node.name in behind else []
        )
        assert all(flag in reasons for flag in node_flags(node))
        paths = {p for c in node.carried for p in report.commits[c].paths}
        protected = paths & {"shared/feature1.py", "shared/feature2.py"}
        said = [r for r in reasons if "protected path" in r]
        assert said == ([f"changes {len(protected)} protected path(s)"] if protected and node.parent else [])
    assert attention(report, strict, None) == attention(report, thousand.policy, None)  # no network: no drift
