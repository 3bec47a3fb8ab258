"""The network: the tree of nodes rooted at central, as a networkx ``DiGraph`` (parent -> child)."""

from __future__ import annotations

from collections.abc import Iterator

import networkx as nx

from forkflow.errors import ManifestError
from forkflow.manifest import Manifest, NodeSpec


class Network:
    """The nodes of a manifest arranged as a tree; the manifest is already checked."""

    def __init__(self, manifest: Manifest):
        self.manifest = manifest
        self.graph: nx.DiGraph = nx.DiGraph()
        retired = {spec.name for spec in manifest.nodes if spec.retired}
        active = [spec for spec in manifest.nodes if not spec.retired]  # retired nodes are kept, not scanned
        for spec in active:
            self.graph.add_node(spec.name, spec=spec)
        for spec in active:
            if spec.parent in retired:
                raise ManifestError(
                    str(manifest.path),
                    f"its parent {spec.parent!r} is retired; move it under another node (forkflow retire does)",
                    node=spec.name,
                    field="parent",
                )
            if spec.parent is not None:
                self.graph.add_edge(spec.parent, spec.name)
        self.root = next(spec.name for spec in manifest.nodes if spec.parent is None)
        self._order = {spec.name: index for index, spec in enumerate(manifest.nodes)}
        self._positions: dict[str, int] | None = None

    @property
    def name(self) -> str:
        return self.manifest.network.name

    def spec(self, name: str) -> NodeSpec:
        spec: NodeSpec = self.graph.nodes[name]["spec"]
        return spec

    def children(self, name: str) -> list[str]:
        """Children in manifest order."""
        return sorted(self.graph.successors(name), key=self._order.__getitem__)

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
        stack = [self.root]
        while stack:
            name = stack.pop()
            yield name
            stack.extend(reversed(self.children(name)))

    def positions(self) -> dict[str, int]:
        """Each node's place in :meth:`tree_order`, for sorting nodes the way reports list them."""
        if self._positions is None:
            self._positions = {name: index for index, name in enumerate(self.tree_order())}
        return self._positions

    def __len__(self) -> int:
        return int(self.graph.number_of_nodes())
