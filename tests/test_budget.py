"""Lists cut at a byte budget, and the last guard on a step summary: whole lines, never inside a code block."""

from __future__ import annotations

from forkflow.budget import capped, short, within


def test_capped_keeps_what_fits_and_counts_the_rest() -> None:
    rows = [f"- row {n:04d}" for n in range(1000)]  # 12 bytes each with the newline
    kept = capped(rows, 120, "- ... and {count} more")
    assert kept == [*rows[:10], "- ... and 990 more"]
    assert capped(rows[:3], 120, "- ... and {count} more") == rows[:3]


def test_a_long_cell_is_one_short_line() -> None:
    assert short("Fix\nthe   timeout " + "x" * 400, 20) == "Fix the timeout xxx…"
    assert short("Fix the timeout") == "Fix the timeout"


def test_within_cuts_between_lines_and_outside_code_blocks() -> None:
    graph = ["```mermaid", "graph LR", *(f"  n0 --> n{k}" for k in range(1, 2000)), "```"]
    markdown = "\n".join(["# report", "", *(f"- line {k}" for k in range(50)), "", *graph, "", "## After"]) + "\n"
    assert within(markdown, len(markdown.encode())) == markdown
    cut = within(markdown, 20_000)
    assert len(cut.encode()) <= 20_000
    kept = cut.split("\n_The rest of this summary was left out")[0]
    assert kept.endswith("- line 49\n\n")  # the graph did not fit whole: it is left out whole
    assert "```" not in kept and "n0 --> n1" not in kept
    assert cut.endswith(
        "it would pass GitHub's 1 MiB limit. `forkflow report --html FILE` and `forkflow report --json` have all of it._\n"
    )
