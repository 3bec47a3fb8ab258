"""The network as a Mermaid graph that GitHub can draw, at any size.

GitHub renders Mermaid with its defaults: ``maxTextSize`` 50,000 characters and ``maxEdges``
500 (https://mermaid.js.org/config/schema-docs/config.html); past either it shows an error
instead of the graph.  The whole network is drawn when it fits in a fifth less than both.
Otherwise the graph is summarised, each step only when the one before is still too big:

1. nodes that need attention, and their path to central, are drawn; every other subtree
   hanging off a drawn node folds into one box with its count ("14 nodes, nothing to report");
2. nodes deeper than a depth fold into their ancestor at that depth, from the deepest up;
3. at depth 1, only the first children of central that fit are drawn (those with the most
   nodes needing attention beneath them, then the most reasons), the rest in one box.

Each step is linear in the number of nodes.  Text is only ever left out by whole statements.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from forkflow.model import NodeReport, ScanReport
from forkflow.types import Tier

TEXT_LIMIT = 40_000  # Mermaid's maxTextSize default is 50,000 (UTF-16 code units, as JavaScript counts)
EDGE_LIMIT = 400  # Mermaid's maxEdges default is 500
TIER_COLOURS = {Tier.CENTRAL: "#0969da", Tier.DECENTRALIZED: "#1a7f37", Tier.DEVELOPER: "#8250df"}
ROOT_COLOUR = "#24292f"
PROBLEM_COLOUR = "#cf222e"


@dataclass(frozen=True)
class Fold:
    """A box that stands for ``count`` nodes hanging off ``parent``, not drawn one by one."""

    parent: str
    count: int
    attention: int  # how many of them need attention (only when folded by depth or for room)


@dataclass(frozen=True)
class Graph:
    lines: list[str]
    total: int  # nodes in the network
    drawn: int  # nodes drawn one by one
    folds: list[Fold] = field(default_factory=list)
    depth: int | None = None  # nodes deeper than this were folded into their ancestor (None: not)
    left_out: int = 0  # children of central left out for room, drawn as one box

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class _Tree:
    nodes: dict[str, NodeReport]
    order: dict[str, int]
    children: dict[str, list[str]]
    depth: dict[str, int]
    size: dict[str, int]  # nodes in the subtree, itself included
    flagged: dict[str, int]  # nodes needing attention in the subtree


def mermaid_graph(
    report: ScanReport, attention: Mapping[str, list[str]], *, text: int = TEXT_LIMIT, edges: int = EDGE_LIMIT
) -> Graph:
    """The network, or its summary, within ``text`` characters and ``edges`` edges (by default a
    fifth less than Mermaid's default limits; see the module's doc)."""
    tree = _tree(report, attention)
    fits = functools.partial(_fits, text=text, edges=edges)
    everything = _render(tree, attention, list(tree.nodes), [])
    if fits(everything):
        return Graph(everything, len(tree.nodes), len(tree.nodes))
    kept = [name for name in tree.nodes if tree.flagged[name] or not tree.depth[name]]  # central, flagged, above one
    deepest = max(tree.depth.values(), default=0)
    for depth in [None, *range(deepest - 1, 0, -1)]:
        shown = [name for name in kept if depth is None or tree.depth[name] <= depth]
        graph = _summary(tree, attention, shown, depth)
        if fits(graph.lines):
            return graph
    return _for_room(tree, attention, [name for name in kept if tree.depth[name] <= 1], fits)


def _for_room(
    tree: _Tree, attention: Mapping[str, list[str]], shown: list[str], fits: Callable[[list[str]], bool]
) -> Graph:
    """Central and as many of its children as fit, those with the most needing attention first."""
    roots = [name for name in shown if tree.depth[name] == 0]
    ranked = sorted(
        (n for n in shown if tree.depth[n] == 1),
        key=lambda n: (-tree.flagged[n], -len(attention.get(n, [])), tree.order[n]),
    )
    low, high = 0, len(ranked)
    while low < high:  # the most children that still fit
        middle = (low + high + 1) // 2
        if fits(_summary(tree, attention, [*roots, *ranked[:middle]], 1).lines):
            low = middle
        else:
            high = middle - 1
    graph = _summary(tree, attention, [*roots, *ranked[:low]], 1)
    folded = 1 if max(tree.depth.values()) > 1 else None  # nothing deeper: nothing folded by depth
    return Graph(graph.lines, graph.total, graph.drawn, graph.folds, folded, len(ranked) - low)


def _summary(tree: _Tree, attention: Mapping[str, list[str]], shown: list[str], depth: int | None) -> Graph:
    drawn = set(shown)
    folds = []
    for name in shown:
        hidden = [child for child in tree.children.get(name, []) if child not in drawn]
        if hidden:
            count = sum(tree.size[child] for child in hidden)
            folds.append(Fold(name, count, sum(tree.flagged[child] for child in hidden)))
    return Graph(_render(tree, attention, shown, folds), len(tree.nodes), len(shown), folds, depth)


def _tree(report: ScanReport, attention: Mapping[str, list[str]]) -> _Tree:
    nodes = {node.name: node for node in report.nodes}
    children: dict[str, list[str]] = {}
    depth: dict[str, int] = {}
    for node in report.nodes:  # parents come before their children
        parent = node.parent if node.parent in nodes else None
        depth[node.name] = 0 if parent is None else depth[parent] + 1
        if parent is not None:
            children.setdefault(parent, []).append(node.name)
    size = dict.fromkeys(nodes, 1)
    flagged = {name: int(name in attention) for name in nodes}
    for node in reversed(report.nodes):
        if node.parent in nodes:
            size[node.parent] += size[node.name]
            flagged[node.parent] += flagged[node.name]
    order = {name: index for index, name in enumerate(nodes)}
    return _Tree(nodes, order, children, depth, size, flagged)


def _fits(lines: list[str], *, text: int, edges: int) -> bool:
    drawn = sum(1 for line in lines if " --> " in line or " -->|" in line)
    return drawn <= edges and len("\n".join(lines).encode("utf-16-le")) // 2 <= text


def _render(tree: _Tree, attention: Mapping[str, list[str]], shown: list[str], folds: list[Fold]) -> list[str]:
    """Nodes needing attention first, then the others, then the boxes; one edge to each."""
    ids = {name: f"n{tree.order[name]}" for name in shown}
    ordered = sorted(shown, key=lambda name: (name not in attention, tree.order[name]))
    lines = ["graph LR"]
    for name in ordered:
        node = tree.nodes[name]
        mark = " ⚠" if name in attention else ""
        lines.append(f'  {ids[name]}["{_label(name)}{mark}<br/>{needs_line(node)}"]')
    for fold in folds:
        lines.append(f'  f{tree.order[fold.parent]}["{_fold_label(fold)}"]')
    for name in ordered:
        node = tree.nodes[name]
        if node.parent is not None and node.parent in ids:
            lines.append(f"  {ids[node.parent]} -->|{node.ahead} ahead / {node.behind} behind| {ids[name]}")
    for fold in folds:
        lines.append(f"  {ids[fold.parent]} --> f{tree.order[fold.parent]}")
    return lines + _classes(tree, attention, ordered, ids, folds)


def _classes(
    tree: _Tree, attention: Mapping[str, list[str]], ordered: list[str], ids: dict[str, str], folds: list[Fold]
) -> list[str]:
    lines = [f"  classDef root fill:{ROOT_COLOUR},color:#fff,stroke:{ROOT_COLOUR}"]
    for tier, colour in TIER_COLOURS.items():
        lines.append(f"  classDef {tier.value} fill:{colour},color:#fff,stroke:{colour}")
    lines.append(f"  classDef problem stroke:{PROBLEM_COLOUR},stroke-width:4px")
    if folds:
        lines.append("  classDef folded fill:#f6f8fa,color:#24292f,stroke:#8c959f,stroke-dasharray:4 3")
    groups: dict[str, list[str]] = {}
    for name in ordered:
        node = tree.nodes[name]
        groups.setdefault("root" if tree.depth[name] == 0 else node.tier.value, []).append(ids[name])
    for name in ordered:
        if name in attention:
            groups.setdefault("problem", []).append(ids[name])
    for fold in folds:
        groups.setdefault("folded", []).append(f"f{tree.order[fold.parent]}")
        if fold.attention:
            groups.setdefault("problem", []).append(f"f{tree.order[fold.parent]}")
    return lines + [f"  class {','.join(members)} {kind}" for kind, members in groups.items()]


def needs_line(node: NodeReport) -> str:
    if node.parent is None:
        return "central"
    return f"{node.needs.unmet} unmet / {node.needs.unmet + node.needs.met}"


def _fold_label(fold: Fold) -> str:
    nodes = f"{fold.count} node{'s' if fold.count != 1 else ''}"
    if not fold.attention:
        return f"{nodes}, nothing to report"
    return f"{nodes}, {fold.attention} need{'s' if fold.attention == 1 else ''} attention ⚠"


def _label(name: str) -> str:
    """A name inside a quoted Mermaid label: its own quotes and angle brackets as entities."""
    return name.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def graph_note(graph: Graph) -> list[str]:
    """What the graph left out and where to find it (nothing when it draws every node)."""
    if graph.drawn == graph.total:
        return []
    left = graph.total - graph.drawn
    text = (
        f"_The graph draws {graph.drawn} of the {graph.total} nodes: those that need attention (⚠) and their "
        f"path to central. {_boxes(len(graph.folds))} for the other {left}"
    )
    text += ", subtrees with nothing to report." if not any(f.attention for f in graph.folds) else "."
    if graph.depth is not None:
        text += f" To fit Mermaid's limits, nodes deeper than depth {graph.depth} are folded into their ancestor."
    if graph.left_out:
        text += f" {graph.left_out} of central's children with nodes needing attention are not drawn, for room."
    text += (
        " Every node, with its figures, is in the HTML report (`forkflow report --html report.html`) and in "
        "`forkflow report --json`._"
    )
    return [text]


def _boxes(count: int) -> str:
    return "1 box stands" if count == 1 else f"{count} boxes stand"
