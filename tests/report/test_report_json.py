"""forkflow report --json: the whole report, nothing summarised, on the small network and on a thousand nodes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from forkflow.cli import main
from forkflow.report.attention import attention
from tests.networks import build_small
from tests.report.conftest import EPOCH, NODES, Thousand

EXPECTED = Path(__file__).resolve().parents[1] / "data" / "small-report.json"


def test_the_small_network_in_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    small = build_small(tmp_path / "small")
    result = CliRunner().invoke(main, ["report", "--repo", str(small.git.path), "--json"])
    assert result.exit_code == 0, result.output
    assert result.stdout == EXPECTED.read_text()


def test_a_thousand_nodes_every_one_with_why_it_needs_attention(
    thousand: Thousand, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    result = CliRunner().invoke(main, ["report", "--repo", str(thousand.path), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    flagged = attention(thousand.report, thousand.policy, None, thousand.network)
    assert len(document["nodes"]) == NODES + 1
    assert {node["name"]: node["attention"] for node in document["nodes"] if node["attention"]} == flagged
    graph = document["graph"]
    assert graph["total"] == NODES + 1 and graph["drawn"] < 100
    assert graph["drawn"] + sum(fold["count"] for fold in graph["folds"]) == NODES + 1


def test_json_and_html_are_one_or_the_other(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", "--json", "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 2
    assert result.output.endswith("Error: --json and --html are one or the other\n")
