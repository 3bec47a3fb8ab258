"""The Markdown report's graph of a thousand-node network: within Mermaid's limits, every node
needing attention drawn with its path to central, the rest folded into boxes whose counts add
up, and Mermaid itself (in chromium, with its defaults, as GitHub runs it) draws it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from forkflow.gitrepo import GitRepo
from forkflow.manifest.spec import load_manifest
from forkflow.model import ScanReport
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy
from forkflow.report.attention import attention
from forkflow.report.mermaid import Graph, graph_note, mermaid_graph
from forkflow.scan.pipeline import scan_network
from scripts.browser import Browser
from tests.gitcli import Git
from tests.report.conftest import NODES, Thousand
from tests.report.mermaidjs import mermaid_page, render
from tests.scan.test_pipeline import NOW

MAX_TEXT_SIZE = 50_000  # Mermaid's defaults, which GitHub uses
MAX_EDGES = 500
ALL_PROTECTED = Policy(protected_paths=("src/**",))  # every node edits src/: every node needs attention

NODE = re.compile(r'^  n(\d+)\["([^"<]*?)( ⚠)?<br/>', re.M)
BOX = re.compile(r'^  f\d+\["(\d+) nodes?, (nothing to report|(\d+) needs? attention ⚠)"\]$', re.M)
EDGE = re.compile(r"^  (\w+) -->(?:\|[^|]*\|)? (\w+)$", re.M)


def drawn(text: str) -> dict[str, tuple[str, bool]]:
    """The nodes the graph draws one by one: id -> (name, marked as needing attention)."""
    return {f"n{m.group(1)}": (m.group(2), m.group(3) is not None) for m in NODE.finditer(text)}


def assert_within_limits(text: str) -> None:
    assert len(text) < MAX_TEXT_SIZE
    assert len(EDGE.findall(text)) < MAX_EDGES


def assert_paths_to_central(report: ScanReport, text: str, names: set[str]) -> None:
    ids = {node.name: f"n{index}" for index, node in enumerate(report.nodes)}
    parents = {node.name: node.parent for node in report.nodes}
    edges = set(EDGE.findall(text))
    for name in names:
        child = name
        while (parent := parents[child]) is not None:
            assert (ids[parent], ids[child]) in edges, (parent, child)
            child = parent


def test_a_thousand_nodes_draw_within_mermaids_limits(thousand: Thousand) -> None:
    report = thousand.report
    flagged = attention(report, thousand.policy, None)
    parents = {node.name: node.parent for node in report.nodes}
    deep = {name for name in flagged if parents[name] != "central"}
    assert 20 < len(flagged) < 200 and deep  # some are departments, beneath another node
    graph = mermaid_graph(report, flagged)
    text = graph.text
    assert_within_limits(text)
    nodes = drawn(text)
    marked = {name for name, mark in nodes.values() if mark}
    assert marked == set(flagged)  # every node needing attention, marked
    assert_paths_to_central(report, text, marked)
    boxes = BOX.findall(text)
    assert boxes and all(kind == "nothing to report" for _, kind, _ in boxes)
    assert len(nodes) + sum(int(count) for count, _, _ in boxes) == NODES + 1  # the boxes count the rest
    [note] = graph_note(graph)
    assert note.startswith(
        f"_The graph draws {len(nodes)} of the {NODES + 1} nodes: those that need attention (⚠) and their path "
        f"to central. {len(boxes)} boxes stand for the other {NODES + 1 - len(nodes)}, subtrees with nothing to "
        "report."
    )
    assert note.endswith("in the HTML report (`forkflow report --html report.html`) and in `forkflow report --json`._")
    # Nodes needing attention come first.
    assert all(mark for _, mark in list(nodes.values())[: len(flagged)])


def test_when_every_node_needs_attention_the_graph_folds_by_depth_and_says_so(thousand: Thousand) -> None:
    report = thousand.report
    flagged = attention(report, ALL_PROTECTED, None)
    assert len(flagged) > 900
    graph = mermaid_graph(report, flagged)
    text = graph.text
    assert_within_limits(text)
    nodes = drawn(text)
    assert all(report.nodes[int(key[1:])].parent in (None, "central") for key in nodes)  # depth 1 at most
    boxes = BOX.findall(text)
    assert len(nodes) + sum(int(count) for count, _, _ in boxes) == NODES + 1
    waiting = sum(int(needing) for _, kind, needing in boxes if kind != "nothing to report")
    assert waiting == len(flagged) - sum(1 for _, mark in nodes.values() if mark)  # none lost from the count
    [note] = graph_note(graph)
    assert "nodes deeper than depth 1 are folded into their ancestor" in note
    assert f"{graph.left_out} of central's children with nodes needing attention are not drawn, for room" in note


def test_a_network_that_fits_is_drawn_whole(thousand: Thousand) -> None:
    graph = mermaid_graph(thousand.report, {}, text=10**9, edges=10**9)
    assert len(drawn(graph.text)) == NODES + 1 and not BOX.findall(graph.text)
    assert graph_note(graph) == []


def test_a_name_with_quotes_and_brackets_stays_inside_its_label(tmp_path: Path) -> None:
    git = Git.init(tmp_path / "odd")
    git.commit("Initial product", {"app.py": "X = 1\n"})
    git.checkout("-b", 'a"q"<b>#1')
    git.commit("Its own change", {"app.py": "X = 2\n"})
    manifest = tmp_path / "odd" / "forkflow.toml"
    manifest.write_text(
        '[network]\nname = "odd"\n\n[[node]]\nname = "central"\nref = "refs/heads/main"\n\n'
        '[[node]]\nname = \'a"q"<b>#1\'\nparent = "central"\ntier = "developer"\nref = \'refs/heads/a"q"<b>#1\'\n'
    )
    report = scan_network(Network(load_manifest(manifest)), GitRepo(git.path), None, now=NOW)
    text = mermaid_graph(report, {}).text
    assert '  n1["a#quot;q#quot;#lt;b#gt;#35;1<br/>1 unmet / 1"]' in text.splitlines()


@pytest.mark.parametrize("every", [False, True], ids=["some", "every node needing attention"])
def test_mermaid_draws_the_graph_with_its_defaults(thousand: Thousand, every: bool, tmp_path: Path) -> None:
    report = thousand.report
    graph: Graph = mermaid_graph(report, attention(report, ALL_PROTECTED if every else thousand.policy, None))
    whole = mermaid_graph(report, {}, text=10**9, edges=10**9)  # what the report drew before
    with Browser() as browser:
        browser.open(mermaid_page(tmp_path))
        svg = render(browser, graph.text)
        assert svg.startswith("<svg") and "Maximum text size" not in svg, svg[:300]
        assert svg.count('class="node ') == graph.drawn + len(graph.folds)
        assert "Maximum text size in diagram exceeded" in render(browser, whole.text)
        capped = "\n".join(line for line in whole.lines if not line.startswith("  class"))[: MAX_TEXT_SIZE - 1]
        assert render(browser, capped[: capped.rindex("\n")]).startswith("error: Edge limit exceeded")
