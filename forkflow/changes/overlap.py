"""How much weight changes' fingerprints share: token weights, and the overlap of every
candidate pair at once.

Weights are whole numbers (``SCALE`` parts to one): their sums are exact, so a pair's shared
weight is the same whether it is summed over the intersection of two fingerprints or gathered
token by token from the inverted index, in whatever order.  A score is a ratio of such sums,
so the scale cancels out.

Gathering from the index is what makes a network of real changes cheap: two thousand changes
propose some two hundred thousand candidate pairs, and intersecting each pair's fingerprints
(some of a change's tens of thousands of tokens) costs far more than adding each rare token's
weight to the pairs of the few changes that hold it.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple, Protocol

import numpy as np

from forkflow.changes.fingerprint import CONTEXT, KIND_MASK, LINE_ADDED, LINE_REMOVED, PATH, WORD_ADDED, WORD_REMOVED

KIND_WEIGHTS = {LINE_REMOVED: 1.5, LINE_ADDED: 1.0, WORD_REMOVED: 0.6, WORD_ADDED: 0.4, PATH: 0.3, CONTEXT: 0.5}
PLACE_KINDS = frozenset((PATH, CONTEXT))
MAX_POSTINGS = 64
"""Tokens carried by more changes than this do not propose candidates (they still score)."""
SCALE = 1 << 30
"""Parts to one weight."""


class Tokens(Protocol):
    """What is weighed: a change's fingerprint, and the nodes that carry it."""

    @property
    def tokens(self) -> frozenset[int]: ...

    @property
    def nodes(self) -> frozenset[str]: ...


Overlap = tuple[int, int]
"""The weight two fingerprints share: in what changes do (lines, words), and in where (paths, places)."""


class Weights:
    """Token weights: rarer tokens weigh more (inverse document frequency), by kind."""

    def __init__(self, units: Sequence[Tokens]):
        self.df: Counter[int] = Counter()
        for unit in units:
            self.df.update(unit.tokens)
        total = max(1, len(units))
        self._weight = _weights(self.df, total)
        self._unknown = math.log(total + 1) / 0.5  # a token no unit has: as rare as can be
        self._masses: dict[frozenset[int], int] = {}
        self._places = frozenset(token for token in self.df if token & KIND_MASK in PLACE_KINDS)

    def of(self, token: int) -> int:
        known = self._weight.get(token)
        return known if known is not None else round(KIND_WEIGHTS[token & KIND_MASK] * self._unknown * SCALE)

    def mass(self, tokens: frozenset[int]) -> int:
        """The summed weight of a set of tokens (remembered: fingerprints are compared many times)."""
        known = self._masses.get(tokens)
        if known is None:
            known = self._masses[tokens] = self._sum(tokens)
        return known

    def shared_mass(self, a: frozenset[int], b: frozenset[int]) -> int:
        return self._sum(a & b)

    def overlap(self, a: frozenset[int], b: frozenset[int]) -> Overlap:
        shared = a & b
        places = shared & self._places
        return self._sum(shared - places if places else shared), self._sum(places)

    def _sum(self, tokens: frozenset[int]) -> int:
        try:
            return sum(map(self._weight.__getitem__, tokens))  # the tokens of the units weighed: all known
        except KeyError:
            return sum(map(self.of, tokens))


def _weights(df: Counter[int], total: int) -> dict[int, int]:
    """Every token's weight: one per kind and count, computed once (a network's changes hold
    hundreds of thousands of tokens, held by a few thousand different counts)."""
    by_kind_and_count: dict[int, int] = {}
    weights = {}
    for token, count in df.items():
        key = count << KIND_MASK.bit_length() | token & KIND_MASK
        weight = by_kind_and_count.get(key)
        if weight is None:
            weight = by_kind_and_count[key] = _weight(token, count, total)
        weights[token] = weight
    return weights


def _weight(token: int, count: int, total: int) -> int:
    rarity = math.log((total + 1) / (count + 0.5))
    return round(KIND_WEIGHTS[token & KIND_MASK] * max(rarity, 0.05) * SCALE)


def evidence(overlap: Overlap) -> int:
    """The weight two fingerprints share, where sharing a place counts only beside shared content.

    Lines and words say what a change does; paths and context lines only where.  Two changes
    at the same place that do different things (a cookie made Secure, the same cookie given
    an expiry) share a place and nothing else: no evidence.  So the place's weight counts
    at most as much as the content's.
    """
    content, places = overlap
    return content + min(places, content)


def candidate_overlaps(units: Sequence[Tokens], weights: Weights) -> dict[tuple[int, int], Overlap]:
    """Every pair of units from different nodes that share a token of what changes do rare enough
    to be indexed (at most ``MAX_POSTINGS`` units hold it), with its overlap; in the order in
    which a token (taken as the units hold them) first proposes each pair.

    Paths and places propose no pairs: two changes that share only where they lie score 0.
    """
    postings = _postings(units)
    content = _pair_sums(postings, weights, len(units), places=False)
    places = _pair_sums(postings, weights, len(units), places=True)
    common = frozenset(token for token, count in weights.df.items() if count > MAX_POSTINGS)
    common_of = [unit.tokens & common for unit in units]
    found = {}
    for (i, j), weight in content.items():
        if units[i].nodes & units[j].nodes:
            continue
        rest = weights.overlap(common_of[i], common_of[j]) if common_of[i] and common_of[j] else (0, 0)
        found[(i, j)] = (weight + rest[0], places.get((i, j), 0) + rest[1])
    return found


class _Postings(NamedTuple):
    """The indexed tokens (those two to ``MAX_POSTINGS`` units hold), in the order the units first
    hold them, each with the units holding it (ascending): ``members[starts[g]:starts[g] + sizes[g]]``."""

    tokens: np.ndarray
    members: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray


def _postings(units: Sequence[Tokens]) -> _Postings:
    held = np.fromiter((len(unit.tokens) for unit in units), dtype=np.int64, count=len(units))
    flat = np.fromiter(
        itertools.chain.from_iterable(unit.tokens for unit in units), dtype=np.uint64, count=int(held.sum())
    )
    holder = np.repeat(np.arange(len(units), dtype=np.int64), held)
    order = np.argsort(flat, kind="stable")  # a token's holders stay in the units' order
    ordered = flat[order]
    firsts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(ordered) else np.zeros(0, np.int64)
    sizes = np.diff(np.r_[firsts, len(ordered)])
    chosen = np.flatnonzero((sizes >= 2) & (sizes <= MAX_POSTINGS))
    chosen = chosen[np.argsort(order[firsts[chosen]], kind="stable")]  # as the units first hold them
    sizes = sizes[chosen]
    starts = np.cumsum(sizes) - sizes
    at = np.repeat(firsts[chosen] - starts, sizes) + np.arange(int(sizes.sum()))
    return _Postings(ordered[firsts[chosen]], holder[order[at]], starts, sizes)


def _pair_sums(postings: _Postings, weights: Weights, count: int, *, places: bool) -> dict[tuple[int, int], int]:
    """For every pair of units holding an indexed token of what changes do (``places``: of where
    they lie), the summed weight of those tokens; in the order the tokens first propose each pair.

    The pairs of all the tokens are laid out and summed as arrays: a network of real changes has
    millions of them.  The sums are of whole numbers, so they are exact in any order.
    """
    kinds = postings.tokens & np.uint64(KIND_MASK)
    wanted = np.isin(kinds, np.array(sorted(PLACE_KINDS), dtype=np.uint64)) == places
    groups = np.flatnonzero(wanted)
    if not len(groups):
        return {}
    sizes, starts = postings.sizes[groups], postings.starts[groups]
    spots = np.repeat(starts, sizes) + np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    members = postings.members[spots]
    group_of = np.repeat(np.arange(len(groups)), sizes)
    after = np.repeat(np.cumsum(sizes), sizes) - np.arange(len(members)) - 1  # members after each in its group
    left = np.repeat(np.arange(len(members)), after)
    right = left + 1 + np.arange(len(left)) - np.repeat(np.cumsum(after) - after, after)
    codes = members[left] * count + members[right]
    token_weights = np.fromiter((weights.of(int(token)) for token in postings.tokens[groups]), np.int64, len(groups))
    order = np.argsort(codes, kind="stable")
    ordered = codes[order]
    firsts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sums = np.add.reduceat(token_weights[group_of[left]][order], firsts)
    by_first = np.argsort(order[firsts], kind="stable")  # where each pair first appears: the dict's order
    pairs = ordered[firsts][by_first]
    return dict(
        zip(zip((pairs // count).tolist(), (pairs % count).tolist(), strict=True), sums[by_first].tolist(), strict=True)
    )
