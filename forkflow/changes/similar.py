"""Similar changes: changes that are not byte-identical but do the same thing to the same code.

How it decides (the README says the same in words):

1. Every change has a fingerprint (:mod:`forkflow.changes.fingerprint`): its changed lines with
   whitespace, comments and quote style taken out, the words of those lines, its paths, and
   its places (the unchanged lines just around each run of changes).
2. Tokens are weighted by how rare they are among all the changes compared (a line every
   change adds says nothing), and by kind: removed lines weigh most, then added lines, then
   words and places, then paths.
3. Sharing a place or a path counts at most as much as the content shared beside it
   (:func:`forkflow.changes.overlap.evidence`); the score is that evidence over a mean of the two
   changes' weights leaning to the smaller (:func:`similarity`).  Commit messages add up to
   ``MESSAGE_BONUS`` (a secondary signal, for changes just under the threshold).
4. The threshold is on the network's own scale: a pair must stand that far above what random
   pairs of the network's changes score (:func:`noise_level`, :func:`raw_threshold`).
5. Candidates come from an inverted index over the rarer tokens of what changes do (not where),
   so the work grows with the number of changes, not its square; the same index gives each
   candidate pair's shared weight (:func:`forkflow.changes.overlap.candidate_overlaps`).
6. A change split into several commits in one node and squashed into one in another is found
   by containment: when two or more consecutive commits of one node each lie mostly inside a
   change of another node, their union is compared as one change.  (A node's commits that
   touch the same files are also compared as one change: :func:`forkflow.changes.shared.change_units`.)
7. Grouping is complete-linkage: two groups join only when every pair across them is similar
   enough and no node would carry two members, so chains of weak links do not snowball.
"""

from __future__ import annotations

import heapq
import random
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations

from forkflow.changes.overlap import Overlap, Weights, candidate_overlaps, evidence

__all__ = ["Group", "Unit", "Weights", "find_similar", "most_similar", "similarity"]

MESSAGE_BONUS = 0.1
BALANCE = 0.6
"""How far the score's denominator leans to the smaller change (0.5: the geometric mean)."""
CONTAINED = 0.7
"""A commit lies inside another change when this share of its weight is in the other's."""
MAX_PART = 8
"""At most this many consecutive commits are put together when looking for a split change."""

NOISE_SHARE = 0.002
"""The network's noise is what the top 0.2% of random pairs of its changes score."""
NOISE_SAMPLE = 20_000
NOISE_PAIRS = 1_000
NOISE_SEED = 15
CLOSEST = 2
"""A change's best matches left out of the noise: a change made in three nodes has two."""
UPSTREAM_MARGIN = 0.25

_MESSAGE_WORD = re.compile(r"[a-z0-9]{3,}")


@dataclass(frozen=True)
class Unit:
    """One change as a node carries it: one commit, or several (a series) with one fingerprint."""

    key: str
    nodes: frozenset[str]
    commits: tuple[str, ...]
    tokens: frozenset[int]
    message: str = ""
    order: tuple[str, int] | None = None  # (node, position among its carried commits) for single-node units


@dataclass
class Group:
    """Units found to be the same change; ``score`` is the weakest link among them."""

    units: list[Unit]
    score: float
    pairs: dict[tuple[str, str], float] = field(default_factory=dict)

    @property
    def nodes(self) -> frozenset[str]:
        return frozenset().union(*(unit.nodes for unit in self.units))


def similarity(a: frozenset[int], b: frozenset[int], weights: Weights) -> float:
    """How much of two fingerprints' weight they share (0: nothing in common, 1: the same tokens).

    The shared weight over a mean of the two weights that leans to the smaller
    (``small ** BALANCE * large ** (1 - BALANCE)``): a fix retyped with a test beside it is
    still mostly the same change, which the Jaccard index (over their union) would halve.
    """
    return _score(evidence(weights.overlap(a, b)), weights.mass(a), weights.mass(b))


def _score(shared: int, mass_a: int, mass_b: int) -> float:
    if shared == 0:
        return 0.0
    small, large = sorted((mass_a, mass_b))
    mean: float = small**BALANCE * large ** (1 - BALANCE)
    return round(shared / mean, 6)  # sums in any order agree


def jaccard(a: frozenset[int], b: frozenset[int], weights: Weights) -> float:
    """Weighted Jaccard index of two fingerprints: the shared weight over the weight of their union.

    What a carried commit and a parent commit touching the same paths are compared by (see
    :func:`upstream_threshold`).
    """
    shared = weights.shared_mass(a, b)
    if shared == 0:
        return 0.0
    return round(shared / (weights.mass(a) + weights.mass(b) - shared), 6)


def most_similar(
    commit_id: str, tokens: frozenset[int], others: Sequence[tuple[str, frozenset[int]]]
) -> tuple[str, float]:
    """Among ``others`` (commit, fingerprint), the one most like ``tokens`` and how much, weighed on these alone."""
    weights = Weights([Unit(c, frozenset(), (c,), t) for c, t in [(commit_id, tokens), *others]])
    best = max(others, key=lambda item: (jaccard(tokens, item[1], weights), item[0]))
    return best[0], jaccard(tokens, best[1], weights)


def upstream_threshold(threshold: float) -> float:
    """The Jaccard index at which a parent commit meets a carried one, for the policy's threshold.

    There are no random pairs to measure noise by (a commit is compared only with the parent's
    commits that touch the same paths), so the index must reach the threshold plus
    ``UPSTREAM_MARGIN``: 0.4 at the default policy, as before the threshold was on the
    network's scale.
    """
    return round(min(1.0, threshold + UPSTREAM_MARGIN), 6)


def message_similarity(a: str, b: str) -> float:
    """Jaccard index of the words of two commit messages' first lines."""
    left, right = _message_words(a), _message_words(b)
    return len(left & right) / len(left | right) if left and right else 0.0


@lru_cache(maxsize=65536)
def _message_words(message: str) -> frozenset[str]:
    return frozenset(_MESSAGE_WORD.findall(message.lower()))


def find_similar(units: Sequence[Unit], threshold: float, *, messages: bool = True) -> list[Group]:
    """Groups of two or more units, from different nodes, that are the same change.

    ``threshold`` is on the network's own scale (:func:`raw_threshold`).
    """
    weights = Weights(units)
    scorer = _Scorer(weights, messages)
    overlaps = candidate_overlaps(units, weights)
    every = scorer.score_all(units, overlaps)
    threshold = raw_threshold(threshold, noise_level(units, scorer, _closest(every)))
    scored = {pair: score for pair, score in every.items() if score >= threshold}
    composites = _split_changes(units, overlaps, scored, weights, scorer, threshold)
    everything = list(units) + [unit for unit, _ in composites]
    for unit, links in composites:
        index = everything.index(unit)
        for other, score in links:
            scored[(min(index, other), max(index, other))] = score
    return _complete_linkage(everything, scored, scorer, threshold)


def raw_threshold(threshold: float, noise: float) -> float:
    """The score two changes need when random pairs of the network's changes score ``noise``.

    A score means more in a network whose changes have little in common than in one where
    every change touches the same files with the same words: the policy's threshold is how far
    above that noise a pair must stand, as a share of what is left up to 1.
    """
    return noise + (1.0 - noise) * threshold


def noise_level(units: Sequence[Unit], scorer: _Scorer, closest: set[tuple[int, int]]) -> float:
    """What the top ``NOISE_SHARE`` of pairs of changes from different nodes score, drawn at random.

    Every pair when there are at most ``NOISE_SAMPLE``, else that many drawn with a fixed seed,
    so the same changes give the same level.  Each change's ``CLOSEST`` best matches
    (``closest``) are left out: they are what the detector is looking for, not noise, and in a
    small network they would be most of the top pairs.  With fewer than ``NOISE_PAIRS`` pairs
    left, the level is 0: too few to tell noise from the changes that are the same.
    """
    count = len(units)
    if count * (count - 1) // 2 <= NOISE_SAMPLE:
        drawn: list[tuple[int, int]] = list(combinations(range(count), 2))
    else:
        draw = random.Random(NOISE_SEED)
        drawn = [tuple(sorted(draw.sample(range(count), 2))) for _ in range(NOISE_SAMPLE)]  # type: ignore[misc]
    scores = [
        scorer.score(units[i], units[j])
        for i, j in drawn
        if (i, j) not in closest and not units[i].nodes & units[j].nodes
    ]
    if len(scores) < NOISE_PAIRS:
        return 0.0
    scores.sort(reverse=True)
    return scores[int(len(scores) * NOISE_SHARE)]


def _closest(scores: dict[tuple[int, int], float]) -> set[tuple[int, int]]:
    """Each unit's ``CLOSEST`` best-scoring pairs."""
    by_unit: dict[int, list[tuple[float, tuple[int, int]]]] = defaultdict(list)
    for pair, score in scores.items():
        for index in pair:
            by_unit[index].append((score, pair))
    return {pair for found in by_unit.values() for _score, pair in heapq.nlargest(CLOSEST, found)}


class _Scorer:
    def __init__(self, weights: Weights, messages: bool):
        self.weights = weights
        self.messages = messages
        self._memo: dict[tuple[str, str], float] = {}

    def score_all(
        self, units: Sequence[Unit], overlaps: dict[tuple[int, int], Overlap]
    ) -> dict[tuple[int, int], float]:
        """:meth:`score` of every candidate pair, in one loop: the same numbers, from each unit's
        mass and its powers computed once (a network of real changes has 200,000 such pairs)."""
        masses = [self.weights.mass(unit.tokens) for unit in units]
        powers = [(mass**BALANCE, mass ** (1 - BALANCE)) for mass in masses]
        memo, messages, every = self._memo, self.messages, {}
        for (i, j), (content, places) in overlaps.items():
            a, b = units[i].key, units[j].key
            key = (a, b) if a < b else (b, a)
            known = memo.get(key)
            if known is None:
                shared = content + (places if places < content else content)  # evidence()
                small, large = (i, j) if masses[i] <= masses[j] else (j, i)
                known = round(shared / (powers[small][0] * powers[large][1]), 6) if shared else 0.0  # _score()
                if messages and known > 0:
                    known = min(1.0, known + MESSAGE_BONUS * message_similarity(units[i].message, units[j].message))
                memo[key] = known
            every[(i, j)] = known
        return every

    def score(self, a: Unit, b: Unit, overlap: Overlap | None = None) -> float:
        """The pair's similarity; ``overlap`` is the weight they share, when it is known already."""
        key = (a.key, b.key) if a.key < b.key else (b.key, a.key)
        known = self._memo.get(key)
        if known is None:
            weights = self.weights
            shared = evidence(overlap if overlap is not None else weights.overlap(a.tokens, b.tokens))
            known = _score(shared, weights.mass(a.tokens), weights.mass(b.tokens))
            if self.messages and known > 0:
                known = min(1.0, known + MESSAGE_BONUS * message_similarity(a.message, b.message))
            self._memo[key] = known
        return known


def _split_changes(
    units: Sequence[Unit],
    overlaps: dict[tuple[int, int], Overlap],
    scored: dict[tuple[int, int], float],
    weights: Weights,
    scorer: _Scorer,
    threshold: float,
) -> list[tuple[Unit, list[tuple[int, float]]]]:
    """Consecutive commits of one node that together are the same change as one unit elsewhere."""
    inside: dict[tuple[int, str], list[int]] = defaultdict(list)  # (whole, node) -> parts of that node
    for (i, j), (content, places) in overlaps.items():
        for part, whole in ((i, j), (j, i)):
            unit = units[part]
            if unit.order is None:
                continue
            mass = weights.mass(unit.tokens)
            if mass and content + places >= CONTAINED * mass:  # it lies mostly inside the other
                inside[(whole, unit.order[0])].append(part)
    found: dict[tuple[str, ...], tuple[Unit, list[tuple[int, float]]]] = {}
    for (whole, _node), parts in sorted(inside.items()):
        for run in _consecutive_runs(units, parts):
            commits = tuple(c for index in run for c in units[index].commits)
            composite = found.get(commits, (None, []))[0] or Unit(
                key="+".join(units[index].key for index in run),
                nodes=units[run[0]].nodes,
                commits=commits,
                tokens=frozenset().union(*(units[index].tokens for index in run)),
                message=units[run[0]].message,
            )
            score = scorer.score(composite, units[whole])
            if score >= threshold and score > max(scored.get((min(p, whole), max(p, whole)), 0.0) for p in run):
                found.setdefault(commits, (composite, []))[1].append((whole, score))
    return list(found.values())


def _consecutive_runs(units: Sequence[Unit], parts: list[int]) -> list[list[int]]:
    """Runs of two or more of ``parts`` that are next to each other in their node's carried commits."""
    ordered = sorted(set(parts), key=lambda index: units[index].order or ("", 0))
    runs: list[list[int]] = []
    for index in ordered:
        position = (units[index].order or ("", 0))[1]
        if runs and (units[runs[-1][-1]].order or ("", 0))[1] + 1 == position and len(runs[-1]) < MAX_PART:
            runs[-1].append(index)
        else:
            runs.append([index])
    return [run for run in runs if len(run) >= 2]


def _complete_linkage(
    units: Sequence[Unit], scored: dict[tuple[int, int], float], scorer: _Scorer, threshold: float
) -> list[Group]:
    """Join groups from the strongest pair down, only when every cross pair clears the threshold."""
    group_of = {index: index for index in range(len(units))}
    members: dict[int, list[int]] = {index: [index] for index in range(len(units))}
    weakest: dict[int, float] = {index: 1.0 for index in range(len(units))}
    for i, j in sorted(scored, key=lambda pair: (-scored[pair], pair)):
        gi, gj = group_of[i], group_of[j]
        if gi == gj:
            continue
        left, right = members[gi], members[gj]
        if _overlap(units, left, right):
            continue
        links = [scorer.score(units[a], units[b]) for a in left for b in right]
        if min(links) < threshold:
            continue
        for index in right:
            group_of[index] = gi
        left.extend(right)
        del members[gj]
        weakest[gi] = min(weakest[gi], weakest.pop(gj), *links)
    groups = []
    for root, indexes in members.items():
        if len(indexes) < 2:
            continue
        chosen = [units[index] for index in indexes]
        pairs = {(a.key, b.key): scorer.score(a, b) for n, a in enumerate(chosen) for b in chosen[n + 1 :]}
        groups.append(Group(units=chosen, score=round(weakest[root], 3), pairs=pairs))
    return groups


def _overlap(units: Sequence[Unit], left: list[int], right: list[int]) -> bool:
    """Whether the two groups share a node or a commit (a node carries a change once)."""
    nodes = frozenset().union(*(units[index].nodes for index in left))
    commits = {c for index in left for c in units[index].commits}
    return any(units[index].nodes & nodes or commits.intersection(units[index].commits) for index in right)
