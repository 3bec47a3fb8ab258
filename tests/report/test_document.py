"""Reports: the Markdown in full, and the HTML as a real browser (Debian's chromium, headless) draws it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from forkflow.cli import main
from scripts.browser import colour_share, dump_dom, screenshot
from tests.networks import Small, build_small

JAN_2026 = "1767225600"
EXPECTED = Path(__file__).resolve().parents[1] / "data" / "small-report.md"


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Small:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", JAN_2026)
    return build_small(tmp_path / "small")


def run(small: Small, *args: str) -> Result:
    return CliRunner().invoke(main, ["report", "--repo", str(small.git.path), *args])


def test_markdown_in_full(small: Small) -> None:
    result = run(small)
    assert result.exit_code == 0, result.output
    assert result.stdout == EXPECTED.read_text()


def test_markdown_says_how_the_figure_moved_since_the_last_scan(small: Small) -> None:
    run(small)
    small.git.checkout("agri")
    small.git.commit("Agri's second page", {"crops2.md": "wheat\n"})
    small.git.checkout("main")
    headline = run(small).stdout.splitlines()[2]
    assert headline.startswith("**Unmet needs: 87.5%** (▲ 1.8 points since the last scan): 7 of the 8 needs")


def test_weight_by_lines(small: Small) -> None:
    headline = run(small, "--weight", "lines").stdout.splitlines()[2]
    assert headline.endswith("(0 local change(s) not counted; weight: lines).")


def test_html_renders_in_a_real_browser_with_graph_and_chart(small: Small, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    result = run(small, "--html", str(page))
    assert result.stdout == f"report written to {page}\n"
    dom = dump_dom(page)
    trend = re.search(r'<figure id="trend">(.*?)</figure>', dom, re.S)
    network = re.search(r'<figure id="network">(.*?)</figure>', dom, re.S)
    assert trend is not None and "<svg" in trend.group(1) and trend.group(1).count("<path") > 5
    assert network is not None and network.group(1).count('<g class="node">') == 5
    assert "Shared changes waiting for a proposal (1)" in dom
    shot = tmp_path / "report.png"
    screenshot(page, shot, width=1200, height=1600)
    assert colour_share(shot, "#1f6feb", tolerance=10) > 0.0005  # the trend line is drawn
    for tier_colour in ("#0969da", "#1a7f37", "#8250df", "#24292f"):  # every tier's boxes are drawn
        assert colour_share(shot, tier_colour, tolerance=10) > 0.001, tier_colour
    assert colour_share(shot, "#cf222e", tolerance=10) > 0.0002  # nodes that need attention are outlined
    assert not re.search(r'(src|href)="(https?:)?//', page.read_text())  # readable offline: nothing to fetch


def test_weight_by_lines_says_how_the_figure_moved_too(small: Small) -> None:
    from forkflow.needs.figure import Weight, reweigh
    from forkflow.scan.pipeline import scan_network
    from forkflow.workspace import open_workspace

    def by_lines() -> float:
        space = open_workspace(small.git.path)
        report = scan_network(space.network, space.repo, None, policy=space.policy)
        return reweigh(report, Weight.LINES).unmet_needs.percent

    before = by_lines()
    run(small)  # recorded by changes; the history keeps the figure by lines beside it
    small.git.checkout("agri")
    small.git.commit("Agri's second page", {"crops2.md": "wheat\nbarley\noats\n"})
    small.git.checkout("main")
    after = by_lines()
    headline = run(small, "--weight", "lines").stdout.splitlines()[2]
    assert after != before
    arrow = "▲" if after > before else "▼"
    assert headline.startswith(
        f"**Unmet needs: {after:.1f}%** ({arrow} {abs(after - before):.1f} points since the last scan)"
    )
