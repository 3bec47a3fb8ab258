"""The overlap of every candidate pair, gathered from the inverted index, is exactly what
intersecting the two fingerprints gives."""

from __future__ import annotations

import math
import random
from itertools import combinations

from forkflow.changes.fingerprint import CONTEXT, KIND_MASK, LINE_ADDED, PATH, WORD_ADDED
from forkflow.changes.overlap import (
    KIND_WEIGHTS,
    MAX_POSTINGS,
    PLACE_KINDS,
    SCALE,
    Weights,
    candidate_overlaps,
    evidence,
)
from forkflow.changes.similar import Unit


def token(number: int, kind: int) -> int:
    return (number << 3) | kind


def units(count: int, seed: int = 7) -> list[Unit]:
    """Changes drawing on a pool of tokens: some rare, some held by more than MAX_POSTINGS changes."""
    draw = random.Random(seed)
    pool = [token(n, draw.choice([LINE_ADDED, WORD_ADDED, PATH, CONTEXT])) for n in range(400)]
    common = [token(1000 + n, kind) for n, kind in enumerate([LINE_ADDED, WORD_ADDED, PATH, CONTEXT] * 2)]
    made = []
    for n in range(count):
        tokens = set(draw.sample(pool, draw.randint(1, 12))) | set(draw.sample(common, draw.randint(0, 5)))
        made.append(Unit(f"u{n}", frozenset([f"node{n % 40}"]), (f"c{n}",), frozenset(tokens)))
    return made


def test_index_and_intersection_agree_on_every_pair_to_the_last_part() -> None:
    changes = units(300)
    weights = Weights(changes)
    assert any(count > MAX_POSTINGS for count in weights.df.values())  # common tokens are in play
    found = candidate_overlaps(changes, weights)
    expected = {}
    for i, j in combinations(range(len(changes)), 2):
        a, b = changes[i], changes[j]
        rare = {t for t in a.tokens & b.tokens if weights.df[t] <= MAX_POSTINGS and t & 0b111 not in PLACE_KINDS}
        if rare and not a.nodes & b.nodes:
            expected[(i, j)] = weights.overlap(a.tokens, b.tokens)
    assert found == expected
    assert any(places for _, places in found.values()) and len(found) > 1000


def test_a_shared_place_counts_no_more_than_the_content_beside_it() -> None:
    assert evidence((5, 2)) == 7
    assert evidence((2, 5)) == 4
    assert evidence((0, 9)) == 0


def test_no_shared_token_no_pair_and_tokens_of_every_size_are_taken_whole() -> None:
    assert candidate_overlaps([], Weights([])) == {}
    alone = [Unit("a", frozenset(["n1"]), ("a",), frozenset()), Unit("b", frozenset(["n2"]), ("b",), frozenset([8]))]
    assert candidate_overlaps(alone, Weights(alone)) == {}
    big = (1 << 63) | (5 << 3) | LINE_ADDED  # the top bit set: tokens are unsigned 64-bit numbers
    pair = [Unit(f"u{n}", frozenset([f"n{n}"]), (f"c{n}",), frozenset([big, token(n, WORD_ADDED)])) for n in range(2)]
    weights = Weights(pair)
    assert candidate_overlaps(pair, weights) == {(0, 1): (weights.of(big), 0)}


def test_each_tokens_weight_is_its_kinds_and_counts() -> None:
    """Weights made once per kind and count are every token's own: rarer weighs more, by kind."""
    found = units(300)
    weights = Weights(found)
    total = len(found)
    for unit in found:
        for one in unit.tokens:
            count = sum(1 for other in found if one in other.tokens)
            rarity = math.log((total + 1) / (count + 0.5))
            assert weights.of(one) == round(KIND_WEIGHTS[one & KIND_MASK] * max(rarity, 0.05) * SCALE)
    assert len({weights.df[one] for unit in found for one in unit.tokens}) > 3  # several counts were weighed
