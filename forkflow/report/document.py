"""``forkflow report``: the figure, the network and what waits, for people.

Markdown for a GitHub issue, a pull-request comment or an Actions step summary (the network as
a Mermaid graph, which GitHub draws), and a single HTML file with the same content, the network
drawn as SVG and the trend chart, readable offline.  Pure functions: nothing here prints.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from forkflow.budget import SECTION_BUDGET, capped, short
from forkflow.forge import Proposal, ProposalState
from forkflow.model import ScanReport, SharedChange
from forkflow.needs.figure import wholly_local
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy
from forkflow.report.attention import attention
from forkflow.report.mermaid import (
    PROBLEM_COLOUR,
    ROOT_COLOUR,
    TIER_COLOURS,
    graph_note,
    mermaid_graph,
    needs_line,
)
from forkflow.report.nodes_html import nodes_html
from forkflow.security.coverage import Coverage, SecurityReport
from forkflow.types import Tier

TOP_SHARED = 10
OPEN_TREE = 200  # nodes up to which the HTML report shows the tree drawn, open


@dataclass(frozen=True)
class ReportInput:
    report: ScanReport
    previous: float | None  # the figure at the scan before this one, when the store has it
    proposals: Sequence[Proposal]
    policy: Policy
    security: SecurityReport | None = None  # the fixes central ships and who lacks them (None: not computed)
    network: Network | None = None  # the manifest's network: each node's policy overrides, to judge drift


def waiting(data: ReportInput) -> list[SharedChange]:
    """Shared changes with no open or merged proposal yet, biggest first."""
    proposed = {p.change_id for p in data.proposals if p.state in (ProposalState.OPEN, ProposalState.MERGED)}
    return [
        change for change in data.report.shared if change.id not in proposed and not wholly_local(data.report, change)
    ]


def policy_problems(data: ReportInput) -> list[str]:
    """What the rules say is wrong: central-tier nodes with local commits, protected paths, nodes not scanned."""
    problems = [
        f"`{c.node}` lacks security fix {c.fix} for {c.days} day(s), past its {c.tier}-tier deadline"
        for c in (data.security.coverage if data.security is not None else [])
        if c.overdue
    ]  # first: a known hole left open too long
    for node in data.report.nodes:
        if node.tier == Tier.CENTRAL and node.parent is not None and node.carried:
            problems.append(f"`{node.name}` is central tier but carries {len(node.carried)} local commit(s)")
        touched = data.policy.protected(sorted({p for c in node.carried for p in data.report.commits[c].paths}))
        if touched and node.parent is not None:
            problems.append(f"`{node.name}` changes protected paths: " + ", ".join(f"`{p}`" for p in touched))
        if not node.scanned:
            problems.append(f"`{node.name}` was not scanned: " + "; ".join(node.problems or ["its ref is missing"]))
    problems += [f"{p.node or 'network'}: {p.message}" for p in data.report.problems]
    return problems


def headline(data: ReportInput) -> str:
    figure = data.report.unmet_needs
    text = f"**Unmet needs: {figure.percent:.1f}%**"
    if data.previous is not None:
        delta = round(figure.percent - data.previous, 1)
        arrow = "▼" if delta < 0 else "▲" if delta > 0 else "="
        text += f" ({arrow} {abs(delta):.1f} points since the last scan)"
    text += (
        f": {figure.unmet} of the {figure.unmet + figure.met} needs the nodes have shown are not shipped by their "
        f"parents yet ({figure.local} local change(s) not counted; weight: {figure.weight})."
    )
    return text


def report_markdown(data: ReportInput) -> str:
    """The report as GitHub-flavoured Markdown, within what GitHub renders at any network size:
    nodes needing attention first, the graph summarised to fit Mermaid's limits, long lists cut
    at a byte budget with a line saying how many were left out."""
    report = data.report
    out = [f"# {report.network}: unmet needs and drift", "", headline(data), ""]
    out += _security_markdown(data.security)
    out += [*_tier_table(report), ""]
    if report.unmet_needs.declared is not None:
        declared = report.unmet_needs.declared
        out += [
            f"Declared needs (needs.toml): **{declared.percent:.1f}%** unmet "
            f"({declared.unmet} of {declared.unmet + declared.met}).",
            "",
        ]
    flagged = attention(report, data.policy, data.security, data.network)
    out += _attention_markdown(flagged)
    graph = mermaid_graph(report, flagged)
    out += ["## The network", "", "```mermaid", *graph.lines, "```", ""]
    note = graph_note(graph)
    out += [*note, ""] if note else []
    out += _waiting_markdown(waiting(data))
    problems = policy_problems(data)
    out += ["## Policy problems", ""]
    more = "- ... and {count} more (`forkflow policy check` lists them all)."
    out += capped([f"- {problem}" for problem in problems], SECTION_BUDGET, more) if problems else ["None."]
    out += ["", f"_Scanned {report.scanned_at}._"]
    return "\n".join(out) + "\n"


def _attention_markdown(flagged: dict[str, list[str]]) -> list[str]:
    out = [f"## Needs attention ({len(flagged)})", ""]
    if not flagged:
        return [*out, "None.", ""]
    rows = [f"- `{name}`: {'; '.join(reasons)}" for name, reasons in flagged.items()]
    more = "- ... and {count} more (the HTML report and `forkflow report --json` list them all)."
    return [*out, *capped(rows, SECTION_BUDGET, more), ""]


def security_line(security: SecurityReport) -> str:
    return (
        f"**Security coverage: {security.percent:.1f}%**: {security.covered} of {security.total} fix x node "
        f"covered or not affected; longest exposure {security.longest_exposure} day(s)."
    )


def lacking(security: SecurityReport) -> list[Coverage]:
    """Every node that lacks a fix: those past their deadline first, then the longest exposed."""
    missing = [c for c in security.coverage if c.status == "missing"]
    return sorted(missing, key=lambda c: (not c.overdue, -c.days, c.fix, c.node))


def _security_markdown(security: SecurityReport | None) -> list[str]:
    if security is None or not security.fixes:
        return []
    out = [security_line(security), ""]
    rows = lacking(security)
    if rows:
        out += ["| fix | node | tier | days | deadline |", "| --- | --- | --- | ---: | --- |"]
        lines = [
            f"| {_cell(c.fix)} | {_cell(c.node)} | {c.tier} | {c.days} | "
            + (f"**{_deadline(c)}, past**" if c.overdue else _deadline(c))
            + " |"
            for c in rows
        ]
        out += capped(lines, SECTION_BUDGET, "\n... and {count} more node(s) lacking a fix (`forkflow security`).")
        out.append("")
    return out


def _tier_table(report: ScanReport) -> list[str]:
    rows = ["| tier | unmet needs | unmet | met |", "| --- | ---: | ---: | ---: |"]
    for tier, figures in report.unmet_needs.by_tier.items():
        rows.append(f"| {tier} | {figures.percent:.1f}% | {figures.unmet} | {figures.met} |")
    return rows


def _waiting_markdown(changes: list[SharedChange]) -> list[str]:
    out = [f"## Shared changes waiting for a proposal ({len(changes)})", ""]
    if not changes:
        return [*out, "None: every shared change has a proposal.", ""]
    out += ["| change | kind | nodes | to | summary |", "| --- | --- | ---: | --- | --- |"]
    for change in changes[:TOP_SHARED]:
        out.append(
            f"| `{change.id}` | {change.kind} | {len(change.nodes)} | {_cell(change.target or '')} "
            f"| {_cell(short(change.summary))} |"
        )
    if len(changes) > TOP_SHARED:
        out.append(f"\n... and {len(changes) - TOP_SHARED} more (`forkflow shared`).")
    return [*out, ""]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def report_html(data: ReportInput, chart_svg: str | None) -> str:
    """A single HTML file: the same content, the network drawn as SVG, and the trend chart."""
    report = data.report
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(report.network)}: unmet needs</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(report.network)}: unmet needs and drift</h1>",
        f'<p class="headline">{_inline(headline(data))}</p>',
        *_security_html(data.security),
        _tiers_html(report),
    ]
    if report.unmet_needs.declared is not None:
        declared = report.unmet_needs.declared
        parts.append(f"<p>Declared needs (needs.toml): <b>{declared.percent:.1f}%</b> unmet.</p>")
    if chart_svg is not None:
        parts += ['<h2>The trend</h2><figure id="trend">', chart_svg, "</figure>"]
    flagged = attention(report, data.policy, data.security, data.network)
    parts.append(nodes_html(report, flagged))
    drawn = ['<figure id="network">', network_svg(report, flagged), "</figure>", _legend()]
    if len(report.nodes) > OPEN_TREE:  # a tall drawing: folded, so the page opens fast
        drawn = [f"<details><summary>The tree, drawn ({len(report.nodes)} nodes)</summary>", *drawn, "</details>"]
    parts += ["<h2>The network</h2>", *drawn]
    changes = waiting(data)
    parts.append(f"<h2>Shared changes waiting for a proposal ({len(changes)})</h2>")
    if changes:
        rows = "".join(
            f"<tr><td><code>{html.escape(c.id)}</code></td><td>{c.kind}</td><td>{len(c.nodes)}</td>"
            f"<td>{html.escape(c.target or '')}</td><td>{html.escape(c.summary)}<br><small>"
            f"{html.escape(', '.join(c.nodes))}</small></td></tr>"
            for c in changes[:TOP_SHARED]
        )
        parts.append(
            f"<table><tr><th>change</th><th>kind</th><th>nodes</th><th>to</th><th>summary</th></tr>{rows}</table>"
        )
    else:
        parts.append("<p>None: every shared change has a proposal.</p>")
    problems = policy_problems(data)
    parts.append("<h2>Policy problems</h2>")
    parts.append("<ul>" + "".join(f"<li>{_inline(p)}</li>" for p in problems) + "</ul>" if problems else "<p>None.</p>")
    parts.append(f"<footer>Scanned {html.escape(report.scanned_at)} by forkflow.</footer></body></html>")
    return "\n".join(parts) + "\n"


def _security_html(security: SecurityReport | None) -> list[str]:
    if security is None or not security.fixes:
        return []
    parts = [f'<p class="headline">{_inline(security_line(security))}</p>']
    rows = "".join(
        f"<tr><td>{html.escape(c.fix)}</td><td>{html.escape(c.node)}</td><td>{c.tier}</td><td>{c.days}</td>"
        f"<td>{_deadline(c)}{' <b>past</b>' if c.overdue else ''}</td></tr>"
        for c in lacking(security)
    )
    if rows:
        parts.append(
            f"<table><tr><th>fix</th><th>node</th><th>tier</th><th>days</th><th>deadline</th></tr>{rows}</table>"
        )
    return parts


def _deadline(c: Coverage) -> str:
    return c.deadline.date().isoformat() if c.deadline else "none"


def _tiers_html(report: ScanReport) -> str:
    rows = "".join(
        f"<tr><td>{tier}</td><td>{f.percent:.1f}%</td><td>{f.unmet}</td><td>{f.met}</td></tr>"
        for tier, f in report.unmet_needs.by_tier.items()
    )
    return f"<table><tr><th>tier</th><th>unmet needs</th><th>unmet</th><th>met</th></tr>{rows}</table>"


def network_svg(report: ScanReport, flagged: Mapping[str, list[str]]) -> str:
    """The tree left to right: one column per depth, one row per node; tiers coloured, problems outlined."""
    depth: dict[str, int] = {}
    for node in report.nodes:  # parents come before children
        depth[node.name] = 0 if node.parent is None else depth.get(node.parent, 0) + 1
    width, height, column, row = 230, 34, 280, 42
    places = {node.name: (20 + depth[node.name] * column, 20 + index * row) for index, node in enumerate(report.nodes)}
    total_w = 40 + (max(depth.values(), default=0) + 1) * column
    total_h = 40 + len(report.nodes) * row
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}" font-family="sans-serif">']
    for node in report.nodes:
        if node.parent is None or node.parent not in places:
            continue
        px, py = places[node.parent]
        x, y = places[node.name]
        out.append(
            f'<path d="M{px + 12} {py + height} V{y + height / 2} H{x}" '
            'fill="none" stroke="#8c959f" stroke-width="1.5"/>'
        )
        out.append(
            f'<text x="{x - 6}" y="{y + height / 2 - 4}" font-size="10" text-anchor="end" fill="#57606a">'
            f"{node.ahead}↑ {node.behind}↓</text>"
        )
    for node in report.nodes:
        x, y = places[node.name]
        colour = ROOT_COLOUR if node.parent is None else TIER_COLOURS[node.tier]
        flags = flagged.get(node.name, [])
        stroke = f' stroke="{PROBLEM_COLOUR}" stroke-width="4"' if flags else ""
        title = html.escape("; ".join(flags) or node.tier.value)
        out.append(f'<g class="node"><title>{title}</title>')
        out.append(f'<rect x="{x}" y="{y}" width="{width}" height="{height}" rx="6" fill="{colour}"{stroke}/>')
        label = html.escape(node.name) + (" ⚠" if flags else "")
        out.append(f'<text x="{x + 10}" y="{y + 15}" font-size="13" fill="#fff" font-weight="bold">{label}</text>')
        out.append(f'<text x="{x + 10}" y="{y + 28}" font-size="10" fill="#fff">{html.escape(needs_line(node))}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def _legend() -> str:
    items = [("central (root)", ROOT_COLOUR)] + [
        (f"{tier.value} tier", colour) for tier, colour in TIER_COLOURS.items()
    ]
    spans = "".join(f'<span class="key" style="background:{colour}">{name}</span>' for name, colour in items)
    return f'<p class="legend">{spans}<span class="key problem">needs attention ⚠</span> ↑ ahead ↓ behind</p>'


def _inline(markdown: str) -> str:
    """The little Markdown the headline and problems use: **bold** and `code`."""
    text = html.escape(markdown)
    for marker, tag in (("**", "b"), ("`", "code")):
        pieces = text.split(marker)
        text = "".join(p if i % 2 == 0 else f"<{tag}>{p}</{tag}>" for i, p in enumerate(pieces))
    return text


_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;
color:#24292f;padding:0 1em}
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #d0d7de;padding-bottom:.2em}
.headline{font-size:1.25em}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #d0d7de;padding:.3em .7em;text-align:left;vertical-align:top}th{background:#f6f8fa}
figure{margin:0;overflow-x:auto}svg{max-width:100%;height:auto}
.legend .key{display:inline-block;color:#fff;border-radius:4px;padding:.1em .5em;margin-right:.5em;font-size:.85em}
.legend .problem{background:#fff;color:#cf222e;border:3px solid #cf222e}
#controls{margin:.5em 0}#controls label{margin-right:1em}#shown{color:#57606a}
tr.flagged td:first-child{border-left:4px solid #cf222e}
footer{margin-top:2em;color:#57606a;font-size:.85em}
"""
