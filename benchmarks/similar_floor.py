"""Benchmark: the floor of similar-change detection on real duplicates, whatever the threshold.

    python benchmarks/similar_floor.py --mirror PATH [--mirror PATH ...] [--background N]
                                       [--embeddings MODEL_DIR]

``bench_similar_real.py`` measures forkflow at its default policy.  This asks a different
question: how far could *any* threshold on a signal go?  For each labelled pair (the DupPR
set in ``benchmarks/duppr/``) it takes the best score of any two units the scan compares, one
from each pull request (1 when one exact series holds both), and finds the threshold, chosen
on that very project with the labels in hand, that gives the most recall at a precision of
at least 90% on the hard negatives.  No threshold set without the labels can do better, so
that recall is the ceiling of the signal on that project.

Lines printed per project:

- ``content``: forkflow's score (fingerprints, weights, messages' bonus), the units of a scan;
- ``content, whole nodes``: the same with each pull request's carried commits also compared
  as one unit, whatever files they touch;
- with ``--embeddings``: ``content or messages``, the best rule "content score >= a, or the
  cosine of the two pull requests' commit messages in a sentence-embedding model >= b" over
  every (a, b).  The model is a sentence-transformers model directory (for example
  all-MiniLM-L6-v2); it is not a forkflow dependency, so this line needs the package installed.

The network is built as ``bench_similar_real.py`` builds it, with ``--background`` unlabelled
pull requests beside (300 unless told), and scanned cold at the default policy.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.bench_similar_real import (  # noqa: E402
    Labelled,
    background,
    build_network,
    fingerprints_of,
    read_set,
)
from benchmarks.duppr_set import Resolver, project_of, working_copy  # noqa: E402
from forkflow.changes.shared import comparison_units, tree_positions  # noqa: E402
from forkflow.changes.similar import Unit, Weights, _Scorer  # noqa: E402
from forkflow.gitrepo import GitRepo  # noqa: E402
from forkflow.manifest.spec import load_manifest  # noqa: E402
from forkflow.model import ScanReport  # noqa: E402
from forkflow.network.tree import Network  # noqa: E402
from forkflow.policy.rules import Policy  # noqa: E402
from forkflow.scan.pipeline import scan_network  # noqa: E402

PRECISION = 0.9
EXACT = 9.0
"""The score of a pair that one exact series holds: above any threshold."""


def ceiling(positives: Sequence[float], negatives: Sequence[float]) -> tuple[float, int, int]:
    """The most recall any threshold gives at precision >= PRECISION: (recall, found, false)."""
    best = (0.0, 0, 0)
    for threshold in sorted({value for value in positives if value > 0}):
        found = sum(value >= threshold for value in positives)
        false = sum(value >= threshold for value in negatives)
        if found / (found + false) >= PRECISION and found / len(positives) > best[0]:
            best = (found / len(positives), found, false)
    return best


def ceiling_2d(
    positives: Sequence[tuple[float, float]], negatives: Sequence[tuple[float, float]]
) -> tuple[float, int, int]:
    """As :func:`ceiling`, for the rule "first >= a or second >= b", over every (a, b)."""
    best = (0.0, 0, 0)
    firsts = [*sorted({a for a, _ in positives if a > 0}), float("inf")]
    seconds = [*sorted({b for _, b in positives}), float("inf")]
    for a in firsts:
        for b in seconds:
            found = sum(x >= a or y >= b for x, y in positives)
            false = sum(x >= a or y >= b for x, y in negatives)
            if found and found / (found + false) >= PRECISION and found / len(positives) > best[0]:
                best = (found / len(positives), found, false)
    return best


def whole_node_units(report: ScanReport, fingerprints: dict[str, tuple[int, ...]]) -> list[Unit]:
    """Each pull request's readable carried commits as one unit."""
    units = []
    for node in report.nodes:
        cids = [c for c in node.carried if fingerprints.get(c) and report.commits[c].patch_id is not None]
        if node.name.startswith("pr-") and len(cids) >= 2:
            tokens = frozenset(token for cid in cids for token in fingerprints[cid])
            summary = report.commits[cids[0]].summary
            units.append(Unit(f"node:{node.name}", frozenset([node.name]), tuple(cids), tokens, summary))
    return units


def best_scores(units: list[Unit], pairs: list[tuple[int, int]]) -> list[float]:
    """For each pair of pull requests, the best score of a unit of one against a unit of the other."""
    scorer = _Scorer(Weights(units), messages=True)
    of: dict[int, list[Unit]] = defaultdict(list)
    for unit in units:
        for number in (int(name[3:]) for name in unit.nodes if name.startswith("pr-")):
            of[number].append(unit)
    found = []
    for a, b in pairs:
        if any(f"pr-{b}" in unit.nodes for unit in of[a]):
            found.append(EXACT)
            continue
        scores = [scorer.score(x, y) for x in of[a] for y in of[b] if not x.nodes & y.nodes]
        found.append(max(scores, default=0.0))
    return found


def message_cosines(
    model_dir: str, report: ScanReport, messages: Callable[[str], str], pairs: list[tuple[int, int]]
) -> list[float]:
    from sentence_transformers import SentenceTransformer  # only for this line; not a forkflow dependency

    texts = {}
    for node in report.nodes:
        if node.name.startswith("pr-") and node.carried:
            texts[int(node.name[3:])] = "\n".join(messages(cid) for cid in node.carried)[:2000]
    numbers = sorted(texts)
    vectors = SentenceTransformer(model_dir, device="cpu").encode(
        [texts[n] for n in numbers], normalize_embeddings=True
    )
    at = {number: index for index, number in enumerate(numbers)}
    return [float(vectors[at[a]] @ vectors[at[b]]) if a in at and b in at else 0.0 for a, b in pairs]


def ceiling_line(project: str, label: str, figures: tuple[float, int, int], positives: int) -> str:
    recall, found, false = figures
    return (
        f"{project:22} {label:24} ceiling at precision >= 90%: recall {recall:6.1%}"
        f" ({found}/{positives}, {false} hard negatives)"
    )


def run(mirror: Path, out: Path, count: int, model_dir: str | None) -> list[str]:
    project = project_of(mirror)
    labelled: Labelled = read_set(project)
    repo = working_copy(mirror, out / "repos")
    usable = {n for n, pr in labelled.prs.items() if pr.resolved}
    chosen = [labelled.prs[n] for n in sorted(usable)] + (background(Resolver(repo), labelled, count) if count else [])
    network = Network(load_manifest(build_network(repo, out, project, chosen)))
    start = time.perf_counter()
    report = scan_network(network, GitRepo(str(repo)), None, policy=Policy())
    fingerprints = fingerprints_of(GitRepo(str(repo)), report)
    _series, units = comparison_units(tree_positions(network), report.nodes, report.commits, fingerprints)
    positives = [pair for pair in labelled.positives if set(pair) <= usable]
    negatives = [pair for pair in labelled.negatives if set(pair) <= usable]
    shown = []
    lines = {"content": units, "content, whole nodes": units + whole_node_units(report, fingerprints)}
    for label, chosen_units in lines.items():
        figures = ceiling(best_scores(chosen_units, positives), best_scores(chosen_units, negatives))
        shown.append(ceiling_line(project, label, figures, len(positives)))
    if model_dir:
        raw = GitRepo(str(repo))
        message = lambda cid: raw.raw[cid].message  # noqa: E731
        content_pos, content_neg = best_scores(units, positives), best_scores(units, negatives)
        cos_pos = message_cosines(model_dir, report, message, positives)
        cos_neg = message_cosines(model_dir, report, message, negatives)
        figures = ceiling_2d(list(zip(content_pos, cos_pos, strict=True)), list(zip(content_neg, cos_neg, strict=True)))
        shown.append(ceiling_line(project, "content or messages", figures, len(positives)))
    shown.append(f"{project:22} took {time.perf_counter() - start:.1f} s")
    return shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirror", type=Path, action="append", required=True)
    parser.add_argument("--out", type=Path, default=Path("/tmp/forkflow-similar-real"))
    parser.add_argument("--background", type=int, default=300, metavar="N", help="unlabelled pull requests beside")
    parser.add_argument("--embeddings", metavar="MODEL_DIR", help="a sentence-transformers model directory")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for mirror in args.mirror:
        for shown in run(mirror.resolve(), args.out, args.background, args.embeddings):
            print(shown, flush=True)


if __name__ == "__main__":
    main()
