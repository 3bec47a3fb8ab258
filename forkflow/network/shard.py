"""Shards: a stable share of the network's nodes for one machine of many.

``forkflow fetch --shard K/N`` and ``forkflow scan --shard K/N`` handle the nodes whose name
hashes to K; the comparisons they make land in the shared store, and ``forkflow scan --collect``
assembles the whole report from them, the same report one machine would make.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from forkflow.errors import ShardError
from forkflow.network.tree import Network


@dataclass(frozen=True)
class Shard:
    number: int  # 1..count
    count: int

    def __str__(self) -> str:
        return f"{self.number}/{self.count}"

    def holds(self, node: str) -> bool:
        return shard_of(node, self.count) == self.number

    def nodes(self, network: Network) -> list[str]:
        """The nodes this shard compares with their parents (the root has no parent to compare with)."""
        return [name for name in network.tree_order() if network.parent(name) is not None and self.holds(name)]

    def fetched(self, network: Network) -> list[str]:
        """What this shard fetches and reads: its nodes, their parents, and central (for its declared needs)."""
        mine = self.nodes(network)
        wanted = {network.root, *mine, *(network.parent(name) or name for name in mine)}
        return [name for name in network.tree_order() if name in wanted]


def shard_of(node: str, count: int) -> int:
    """Which shard (1..count) a node belongs to: stable across machines, runs and Python versions."""
    return int(hashlib.sha1(node.encode(), usedforsecurity=False).hexdigest(), 16) % count + 1


def parse_shard(text: str) -> Shard:
    """``K/N`` as a :class:`Shard`; :class:`ShardError` for any other text."""
    number, _, count = text.partition("/")
    if not (number.isdigit() and count.isdigit()) or not 1 <= int(number) <= int(count):
        raise ShardError(f"{text!r} is not K/N with 1 <= K <= N (e.g. 2/8)")
    return Shard(int(number), int(count))
