"""The reports of a thousand-node network: the HTML report's table of nodes driven in chromium
(real clicks and typing), and the Markdown report's size and what it says it left out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from forkflow.cli import main
from forkflow.report.attention import attention
from scripts.browser import Browser
from tests.report.conftest import EPOCH, NODES, Thousand

VISIBLE = (
    "Array.prototype.map.call(document.querySelectorAll('#nodes tbody tr:not([hidden])'),"
    "function (r) { return [r.dataset.name, r.dataset.tier, +r.dataset.unmet, r.className]; })"
)


def shown(browser: Browser) -> list[list[object]]:
    rows: list[list[object]] = browser.evaluate(VISIBLE)
    return rows


def test_the_html_report_sorts_and_filters_a_thousand_nodes_in_a_browser(
    thousand: Thousand, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    report = thousand.report
    flagged = attention(report, thousand.policy, None, thousand.network)
    order = [node.name for node in report.nodes]
    page = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", "--repo", str(thousand.path), "--html", str(page)])
    assert result.stdout == f"report written to {page}\n"
    text = page.read_text()
    assert "<details><summary>The tree, drawn (1001 nodes)</summary>" in text  # folded: a tall drawing
    assert not re.search(r'(src|href)="(https?:)?//', text)  # readable offline: nothing to fetch
    with Browser() as browser:
        browser.open(page)
        rows = shown(browser)
        assert len(rows) == NODES + 1
        assert browser.evaluate("document.getElementById('shown').textContent") == "1001 of 1001 nodes shown"
        # By default, the nodes needing attention first (the most reasons first, then in tree order).
        first = sorted(order, key=lambda name: (-len(flagged.get(name, [])), order.index(name)))
        assert [row[0] for row in rows] == first
        assert {row[0] for row in rows if row[3] == "flagged"} == set(flagged)

        browser.click("#flagged")
        assert [row[0] for row in shown(browser)] == first[: len(flagged)]
        assert browser.evaluate("document.getElementById('shown').textContent") == f"{len(flagged)} of 1001 nodes shown"
        browser.click("#flagged")
        assert len(shown(browser)) == NODES + 1

        browser.choose("#tier", "root")
        assert [row[0] for row in shown(browser)] == ["central"]
        browser.choose("#tier", "")
        browser.type("#find", "n05")
        expected = {node.name for node in report.nodes if "n05" in node.name or "n05" in (node.parent or "")}
        assert {row[0] for row in shown(browser)} == expected and len(expected) > 10

        browser.choose("#sort", "name")
        assert [row[0] for row in shown(browser)] == sorted(expected)
        browser.choose("#sort", "unmet")
        unmet = [row[2] for row in shown(browser)]
        assert unmet == sorted(unmet, reverse=True) and unmet[0] > unmet[-1]
        browser.choose("#sort", "tier")
        tiers = [row[1] for row in shown(browser)]
        assert tiers == sorted(tiers, key=["root", "central", "decentralized", "developer"].index)


def test_the_markdown_report_of_a_thousand_nodes_fits_and_says_what_it_left_out(
    thousand: Thousand, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    result = CliRunner().invoke(main, ["report", "--repo", str(thousand.path)])
    assert result.exit_code == 0, result.output
    text = result.stdout
    flagged = attention(thousand.report, thousand.policy, None, thousand.network)
    graph = re.search(r"```mermaid\n(.*?)\n```", text, re.S)
    assert graph is not None and len(graph.group(1)) < 50_000
    assert f"## Needs attention ({len(flagged)})" in text
    listed = re.findall(r"^- `([^`]+)`: ", text.split("## Needs attention")[1].split("## The network")[0], re.M)
    assert listed == list(flagged)
    assert re.search(
        r"^_The graph draws \d+ of the 1001 nodes: those that need attention \(⚠\) and their path to central\. "
        r"\d+ boxes stand for the other \d+, subtrees with nothing to report\. Every node, with its figures, is in "
        r"the HTML report \(`forkflow report --html report\.html`\) and in `forkflow report --json`\._$",
        text,
        re.M,
    )
    assert len(text.encode()) < 100_000
