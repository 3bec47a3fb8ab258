"""The network: the tree of nodes rooted at central, also as a networkx ``DiGraph`` (parent -> child)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from forkflow.errors import ManifestError
from forkflow.manifest.spec import Manifest, NodeSpec

if TYPE_CHECKING:
    import networkx as nx


class Network:
    """The nodes of a manifest arranged as a tree; the manifest is already checked.

    The tree is kept in plain dictionaries; :attr:`graph`, the same tree as a networkx
    ``DiGraph``, is built when first asked for (importing networkx costs every command that
    does not need it about 0.15 s).
    """

    def __init__(self, manifest: Manifest):
        self.manifest = manifest
        retired = {spec.name for spec in manifest.nodes if spec.retired}
        active = [spec for spec in manifest.nodes if not spec.retired]  # retired nodes are kept, not scanned
        self._specs = {spec.name: spec for spec in active}
        self._children: dict[str, list[str]] = {spec.name: [] for spec in active}
        for spec in active:
            if spec.parent in retired:
                raise ManifestError(
                    str(manifest.path),
                    f"its parent {spec.parent!r} is retired; move it under another node (forkflow retire does)",
                    node=spec.name,
                    field="parent",
                )
            if spec.parent is not None:
                self._children.setdefault(spec.parent, []).append(spec.name)
        self.root = next(spec.name for spec in manifest.nodes if spec.parent is None)
        self._order = {spec.name: index for index, spec in enumerate(manifest.nodes)}
        self._graph: nx.DiGraph | None = None
        self._tree: list[str] | None = None
        self._positions: dict[str, int] | None = None

    @property
    def graph(self) -> nx.DiGraph:
        """The tree as a networkx ``DiGraph`` (parent -> child); each node's ``spec`` attribute is its NodeSpec."""
        if self._graph is None:
            import networkx as nx

            graph = nx.DiGraph()
            for name, spec in self._specs.items():
                graph.add_node(name, spec=spec)
            for parent, children in self._children.items():
                graph.add_edges_from((parent, child) for child in children)
            self._graph = graph
        return self._graph

    @property
    def name(self) -> str:
        return self.manifest.network.name

    def spec(self, name: str) -> NodeSpec:
        return self._specs[name]

    def children(self, name: str) -> list[str]:
        """Children in manifest order."""
        return sorted(self._children[name], key=self._order.__getitem__)

    def parent(self, name: str) -> str | None:
        return self.spec(name).parent

    def depth(self, name: str) -> int:
        depth = 0
        parent = self.parent(name)
        while parent is not None:
            depth += 1
            parent = self.parent(parent)
        return depth

    def tree_order(self) -> Iterator[str]:
        """Every node, parents before children, siblings in manifest order (a pre-order walk)."""
        if self._tree is None:  # the network does not change once built: walked once
            order = []
            stack = [self.root]
            while stack:
                name = stack.pop()
                order.append(name)
                stack.extend(reversed(self.children(name)))
            self._tree = order
        return iter(self._tree)

    def positions(self) -> dict[str, int]:
        """Each node's place in :meth:`tree_order`, for sorting nodes the way reports list them."""
        if self._positions is None:
            self._positions = {name: index for index, name in enumerate(self.tree_order())}
        return self._positions

    def __len__(self) -> int:
        return len(self._children)

    def __iter__(self) -> Iterator[str]:
        """The names of the nodes (retired ones are not among them), in manifest order."""
        return iter(self._specs)

    def __contains__(self, name: object) -> bool:
        return name in self._specs
