"""Benchmark: how well and how fast forkflow finds similar changes.

    python benchmarks/bench_shared.py                      # quality on the labelled set, then speed
    python benchmarks/bench_shared.py --seed 2             # another draw of the labelled set

Quality: the labelled set of benchmarks/similar_set.py (pairs of real code changes that are or
are not the same change, built as real commits) goes through forkflow's detection exactly as
a network's carried changes would: each side of each pair is the carried commits of a node of
its own, every side of every pair in one run.  A pair is found when its two sides end up in
one shared change.  Prints precision and recall at the default policy's threshold, per
category, and over a range of thresholds.

Speed: the time to group N carried changes (default 10,000, real code changes from the same
generator), against the baseline of comparing every pair (the square), both measured in this
run on the same changes; the baseline on a sample, since on all of them it would take hours.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.similar_set import Case, build_labelled_set  # noqa: E402
from forkflow.changes.similar import Unit, Weights, find_similar, message_similarity, similarity  # noqa: E402
from forkflow.gitrepo import GitRepo  # noqa: E402
from forkflow.policy.rules import Similarity  # noqa: E402

THRESHOLDS = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6]


def units_of(repo: GitRepo, cases: list[Case]) -> list[Unit]:
    """Each side of each case as the carried commits of a node of its own."""
    units = []
    for index, case in enumerate(cases):
        for side, commits in (("L", case.left), ("R", case.right)):
            node = f"case{index}-{side}"
            for position, commit in enumerate(commits):
                facts = repo.patch_facts(commit)
                units.append(
                    Unit(
                        key=commit,
                        nodes=frozenset([node]),
                        commits=(commit,),
                        tokens=frozenset(facts.fingerprint),
                        message=repo.commit_info(commit).summary,
                        order=(node, position),
                    )
                )
    return units


def found_pairs(cases: list[Case], units: list[Unit], threshold: float) -> list[bool]:
    groups = find_similar(units, threshold, messages=Similarity().messages)
    group_of = {commit: n for n, group in enumerate(groups) for unit in group.units for commit in unit.commits}
    found = []
    for case in cases:
        left = {group_of.get(commit) for commit in case.left}
        right = {group_of.get(commit) for commit in case.right}
        found.append(bool((left & right) - {None}))
    return found


def scores(found: list[bool], cases: list[Case]) -> tuple[float, float, int, int, int]:
    tp = sum(1 for hit, case in zip(found, cases, strict=True) if hit and case.same)
    fp = sum(1 for hit, case in zip(found, cases, strict=True) if hit and not case.same)
    fn = sum(1 for hit, case in zip(found, cases, strict=True) if not hit and case.same)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp, fp, fn


def quality(folder: Path, seed: int, per_category: int) -> None:
    start = time.perf_counter()
    cases = build_labelled_set(folder / "labelled", seed=seed, per_category=per_category)
    built = time.perf_counter() - start
    repo = GitRepo(folder / "labelled")
    units = units_of(repo, cases)
    same = sum(case.same for case in cases)
    print(
        f"labelled set: seed {seed}, {len(cases)} pairs ({same} same, {len(cases) - same} different), "
        f"built in {built:.1f} s"
    )
    threshold = Similarity().threshold
    found = found_pairs(cases, units, threshold)
    precision, recall, tp, fp, fn = scores(found, cases)
    print(
        f"at the default threshold {threshold}: precision {precision:.1%}, recall {recall:.1%}  "
        f"(tp {tp}, fp {fp}, fn {fn})"
    )
    print("per category (share of pairs grouped):")
    by_category: dict[str, list[bool]] = {}
    for hit, case in zip(found, cases, strict=True):
        by_category.setdefault(f"{'same' if case.same else 'diff'}  {case.category}", []).append(hit)
    for name, hits in sorted(by_category.items()):
        print(f"  {name:<45} {sum(hits):>4}/{len(hits):<4} {sum(hits) / len(hits):6.1%}")
    print("threshold  precision  recall")
    best = None
    for value in THRESHOLDS:
        p, r, *_ = scores(found_pairs(cases, units, value), cases)
        print(f"  {value:<8} {p:9.1%} {r:7.1%}")
        if r >= 0.8 and (best is None or p > best[1]):
            best = (value, p, r)
    if best is not None:
        print(f"best precision at recall >= 80%: {best[1]:.1%} (recall {best[2]:.1%}) at threshold {best[0]}")
    else:
        print("no threshold reaches 80% recall")


def all_pairs(units: list[Unit], threshold: float) -> int:
    """The baseline: score every pair (what an index avoids)."""
    weights = Weights(units)
    linked = 0
    for i, a in enumerate(units):
        for b in units[i + 1 :]:
            if a.nodes & b.nodes:
                continue
            score = similarity(a.tokens, b.tokens, weights) + 0.1 * message_similarity(a.message, b.message)
            linked += score >= threshold
    return linked


def speed(folder: Path, changes: int, sample: int, runs: int) -> None:
    per_category = max(1, changes // 25)  # eleven categories, about 2.3 commits a case
    start = time.perf_counter()
    cases = build_labelled_set(folder / "scale", seed=99, per_category=per_category)
    repo = GitRepo(folder / "scale")
    units = units_of(repo, cases)
    rng = random.Random(5)
    units = [Unit(u.key, frozenset([f"n{rng.randrange(400)}"]), u.commits, u.tokens, u.message) for u in units]
    print(
        f"\nspeed: {len(units)} carried changes of real code "
        f"(built and fingerprinted in {time.perf_counter() - start:.1f} s)"
    )
    threshold = Similarity().threshold
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        groups = find_similar(units, threshold)
        times.append(time.perf_counter() - start)
    full = statistics.median(times)
    print(f"forkflow, all {len(units)}: {full:8.2f} s  ({len(groups)} groups; median of {runs})")
    subset = units[:sample]
    start = time.perf_counter()
    find_similar(subset, threshold)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    all_pairs(subset, threshold)
    baseline = time.perf_counter() - start
    print(
        f"on a sample of {len(subset)}: forkflow {ours:.2f} s, every pair scored {baseline:.2f} s "
        f"({baseline / ours:.1f}x slower)"
    )
    scale = (len(units) / len(subset)) ** 2
    print(f"every pair of all {len(units)} would take about {baseline * scale / 60:.0f} min (the square: x{scale:.0f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-category", type=int, default=40)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="forkflow-bench-shared-") as folder:
        quality(Path(folder), args.seed, args.per_category)
        if not args.skip_speed:
            speed(Path(folder), args.changes, args.sample, args.runs)


if __name__ == "__main__":
    main()
