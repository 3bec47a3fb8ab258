"""Scan reports for people: a terminal table and Markdown.  Pure functions, no printing."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from forkflow.model import NodeReport, ScanReport
from forkflow.types import Tier

TIER_STYLE = {Tier.CENTRAL: "cyan", Tier.DECENTRALIZED: "green", Tier.DEVELOPER: "magenta"}


def node_flags(node: NodeReport) -> list[str]:
    """The problems worth a person's attention, in words."""
    flags = list(node.problems)
    if not node.scanned:
        flags.append("not scanned")
    if node.tier == Tier.CENTRAL and node.parent is not None and node.carried:
        flags.append(f"central tier but carries {len(node.carried)} local commit(s)")
    if node.conflicts:
        flags.append(f"update would conflict in {len(node.conflicts)} file(s)")
    if node.unreadable:
        flags.append(f"{len(node.unreadable)} unreadable commit(s)")
    return flags


def _tree_prefixes(report: ScanReport) -> dict[str, str]:
    """Box-drawing prefixes that show the tree in the first column."""
    children: dict[str | None, list[str]] = {}
    for node in report.nodes:
        children.setdefault(node.parent, []).append(node.name)
    prefixes: dict[str, str] = {}

    def walk(name: str, lead: str, last: bool, root: bool) -> None:
        prefixes[name] = "" if root else lead + ("└─ " if last else "├─ ")
        kids = children.get(name, [])
        for position, child in enumerate(kids):
            deeper = "" if root else lead + ("   " if last else "│  ")
            walk(child, deeper, position == len(kids) - 1, False)

    for root in children.get(None, []):
        walk(root, "", True, True)
    return prefixes


def scan_table(report: ScanReport) -> Table:
    """The network as a table, parents before children; nodes needing attention in red."""
    table = Table(
        title=f"{report.network}: {len(report.nodes)} nodes, scanned {report.scanned_at}",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for column in ("node", "tier", "ahead", "behind", "days", "carried", "upstr.", "+/-", "confl."):
        table.add_column(column, justify="left" if column in ("node", "tier") else "right", no_wrap=True)
    prefixes = _tree_prefixes(report)
    for node in report.nodes:
        flagged = bool(node_flags(node))
        name = Text(prefixes.get(node.name, "")) + Text(node.name, style="bold red" if flagged else "")
        tier = Text("root" if node.parent is None else node.tier.value, style=TIER_STYLE[node.tier])
        if node.parent is None:
            cells = ["", "", "", "", "", "", ""]
        else:
            stat = node.diffstat
            cells = [
                str(node.ahead),
                str(node.behind),
                _days(node),
                str(len(node.carried)),
                str(len(node.upstreamed)),
                f"+{stat.insertions}/-{stat.deletions}" if node.carried else "",
                str(len(node.conflicts)) if node.conflicts else "",
            ]
        table.add_row(name, tier, *cells)
    return table


def attention_lines(report: ScanReport) -> list[str]:
    """One line per node that needs a person's attention."""
    lines = []
    for node in report.nodes:
        flags = node_flags(node)
        if flags:
            lines.append(f"  {node.name}: {'; '.join(flags)}")
            if node.conflicts:
                lines.append(f"    conflicting files: {', '.join(node.conflicts)}")
    return ["Needs attention:", *lines] if lines else ["No node needs attention."]


def summary_lines(report: ScanReport) -> list[str]:
    needs = report.unmet_needs
    lines = [
        *attention_lines(report),
        "",
        f"Unmet needs: {needs.percent:.1f}% ({needs.unmet} of {needs.unmet + needs.met} needs the parents do not "
        f"ship yet; {needs.local} local change(s) not counted)",
        "  by tier: " + ", ".join(f"{tier} {f.percent:.1f}%" for tier, f in needs.by_tier.items()),
        *(
            [f"  declared needs (needs.toml): {needs.declared.percent:.1f}% unmet"]
            if needs.declared is not None
            else []
        ),
        f"Shared changes (carried by several nodes): {len(report.shared)}",
    ]
    for change in report.shared[:10]:
        lines.append(f"  {change.id}  {len(change.nodes)} nodes  {change.summary}  ({', '.join(change.nodes)})")
    if len(report.shared) > 10:
        lines.append(f"  ... and {len(report.shared) - 10} more (forkflow shared lists all)")
    return lines


def _days(node: NodeReport) -> str:
    return "" if node.days_since_merge_base is None else str(node.days_since_merge_base)


def scan_markdown(report: ScanReport) -> str:
    """The scan as GitHub-flavoured Markdown (an issue, a PR comment, a step summary)."""
    needs = report.unmet_needs
    out = [
        f"# {report.network}: network scan",
        "",
        f"**Unmet needs: {needs.percent:.1f}%** — {needs.unmet} carried change(s) the parents do not ship, "
        f"{needs.met} already upstreamed. Scanned {report.scanned_at}.",
        "",
        "| node | parent | tier | ahead | behind | days since merge base | carried | upstreamed | +/- | conflicts "
        "| attention |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    depths = _depths(report)
    for node in report.nodes:
        name = "&nbsp;&nbsp;" * depths[node.name] + f"`{node.name}`"
        flags = "; ".join(node_flags(node))
        stat = f"+{node.diffstat.insertions}/-{node.diffstat.deletions}" if node.carried else ""
        conflicts = ", ".join(f"`{path}`" for path in node.conflicts)
        if node.parent is None:
            out.append(f"| {name} | | root | | | | | | | | {flags} |")
            continue
        out.append(
            f"| {name} | {node.parent} | {node.tier.value} | {node.ahead} | {node.behind} | {_days(node)} | "
            f"{len(node.carried)} | {len(node.upstreamed)} | {stat} | {conflicts} | {flags} |"
        )
    out += ["", f"## Shared changes ({len(report.shared)})", ""]
    if report.shared:
        out += ["| change | kind | nodes | summary | proposed to |", "| --- | --- | --- | --- | --- |"]
        for change in report.shared:
            kind = change.kind if change.score is None else f"{change.kind} ({change.score:.2f})"
            out.append(
                f"| `{change.id}` | {kind} | {', '.join(change.nodes)} | {change.summary} | {change.target or ''} |"
            )
    else:
        out.append("No change is carried by more than one node.")
    if report.problems:
        out += ["", "## Problems", ""]
        out += [f"- {problem.line('forkflow.toml')}" for problem in report.problems]
    return "\n".join(out) + "\n"


def _depths(report: ScanReport) -> dict[str, int]:
    """How deep each node sits in the tree (the report lists parents before their children)."""
    depths: dict[str, int] = {}
    for node in report.nodes:
        depths[node.name] = depths.get(node.parent, 0) + 1 if node.parent is not None else 0
    return depths
