"""Benchmark: how well forkflow finds real duplicate changes, on networks made from real projects.

    python benchmarks/bench_similar_real.py --mirror PATH [--mirror PATH ...] [--background N] [--sweep]

The labelled set is ``benchmarks/duppr/``: DupPR's duplicate pull requests (``pairs.tsv``), as
many hard negatives (``negatives.tsv``: pull requests of the same project that touch a same
file but are not duplicates), and each pull request's own commits and base (``prs.tsv``), all
made by ``benchmarks/duppr_set.py``.  Ansible and symfony-docs are what forkflow's detector was
tuned on; terraform and ember.js are held out, and only reported.

For each mirror given, the network is built in a working repository that borrows the mirror's
objects (the mirror is only read):

- **central**: one commit with the tree of the default branch whose parents are every branch
  of the project, so each base lies in central's history;
- **one node per base** (``base-<id>``, under central): the branch as it was where the pull
  requests began; it carries nothing;
- **one node per pull request** (``pr-<number>``, under its base's node): it carries exactly the
  pull request's own commits;
- with ``--background N``, N more pull requests of the same years, drawn with a fixed seed, as
  nodes beside them: changes no label speaks of, so grouping sees a busier network.

Then ``forkflow scan`` runs at the default policy (in this process, with no store: cold), and a
pair counts as found when one ``shared`` entry lists both pull requests' nodes.  Prints per
project: precision (found duplicate pairs over found duplicate and hard-negative pairs),
recall (found duplicate pairs over all), the largest group, how many groups have three or more
nodes and how many of them hold a hard-negative pair, and the scan's time.  ``--sweep`` also
regroups the same carried changes at other thresholds; ``--groups`` prints every group of three
or more nodes, its members' summaries and the labelled pairs inside it, to check by reading that
unrelated changes are not chained together.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.duppr_set import SET, PullRequest, Resolver, git, project_of, read_pairs, working_copy  # noqa: E402
from forkflow.changes.shared import find_shared_changes  # noqa: E402
from forkflow.gitrepo import GitRepo  # noqa: E402
from forkflow.manifest.spec import load_manifest  # noqa: E402
from forkflow.model import ScanReport  # noqa: E402
from forkflow.network.tree import Network  # noqa: E402
from forkflow.policy.rules import Policy, Similarity  # noqa: E402
from forkflow.scan.pipeline import scan_network  # noqa: E402

TUNED = ("ansible/ansible", "symfony/symfony-docs")
HELD_OUT = ("hashicorp/terraform", "emberjs/ember.js")
SWEEP = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4]
BACKGROUND_SEED = 15


@dataclass
class Labelled:
    project: str
    prs: dict[int, PullRequest]
    positives: list[tuple[int, int]]
    negatives: list[tuple[int, int]]


def read_set(project: str) -> Labelled:
    prs = {}
    for line in (SET / "prs.tsv").read_text().splitlines()[1:]:
        name, number, head, base, how, commits = line.split("\t")
        if name == project:
            prs[int(number)] = PullRequest(int(number), head, base if base != "-" else "", how, commits.split(","))
    negatives = []
    for line in (SET / "negatives.tsv").read_text().splitlines()[1:]:
        name, first, second, _path = line.split("\t")
        if name == project:
            negatives.append((int(first), int(second)))
    if not prs:
        raise SystemExit(f"{project}: no rows in {SET / 'prs.tsv'}; run benchmarks/duppr_set.py --mirror first")
    return Labelled(project, prs, read_pairs()[project], negatives)


def background(resolver: Resolver, labelled: Labelled, count: int) -> list[PullRequest]:
    """``count`` resolved pull requests of the labelled ones' years, none of them labelled."""
    low, high = min(labelled.prs), max(labelled.prs)
    pool = [n for n in sorted(resolver.heads) if low <= n <= high and n not in labelled.prs]
    random.Random(BACKGROUND_SEED).shuffle(pool)
    found = []
    for number in pool:
        if len(found) == count:
            break
        pr = resolver.resolve(number)
        if pr.resolved:
            found.append(pr)
    return found


def build_network(repo: Path, out: Path, project: str, prs: list[PullRequest]) -> Path:
    """Central, a node per base and a node per pull request, in ``repo``; returns the manifest."""
    branches = git(repo, "for-each-ref", "--format=%(objectname)", "refs/heads/").split()
    tree = git(repo, "rev-parse", "HEAD^{tree}").strip()
    parents = [arg for oid in branches for arg in ("-p", oid)]
    env_date = ["-c", "user.name=forkflow bench", "-c", "user.email=bench@example.org"]
    central = subprocess.run(
        ["git", *env_date, "commit-tree", tree, *parents, "-m", "central: every branch of the project"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        env={"GIT_AUTHOR_DATE": "1700000000 +0000", "GIT_COMMITTER_DATE": "1700000000 +0000", "PATH": "/usr/bin:/bin"},
    ).stdout.strip()
    commands = [f"update refs/forkflow/central {central}"]
    commands += [f"update refs/forkflow/base/{base} {base}" for base in sorted({pr.base for pr in prs})]
    subprocess.run(["git", "update-ref", "--stdin"], cwd=repo, input="\n".join(commands) + "\n", text=True, check=True)
    lines = ["[network]", f'name = "{project.replace("/", "-")}"', 'policy = "default"', ""]
    lines += ["[[node]]", 'name = "central"', 'ref = "refs/forkflow/central"', ""]
    for base in sorted({pr.base for pr in prs}):
        lines += ["[[node]]", f'name = "base-{base[:12]}"', 'parent = "central"', 'tier = "decentralized"']
        lines += [f'ref = "refs/forkflow/base/{base}"', ""]
    for pr in sorted(prs, key=lambda pr: pr.number):
        lines += ["[[node]]", f'name = "pr-{pr.number}"', f'parent = "base-{pr.base[:12]}"', 'tier = "decentralized"']
        lines += [f'ref = "refs/pull/{pr.number}/head"', ""]
    manifest = out / f"{project.replace('/', '+')}.toml"
    manifest.write_text("\n".join(lines))
    return manifest


@dataclass
class Figures:
    precision: float
    recall: float
    found: int
    false: int
    positives: int
    negatives: int
    largest: int
    big_groups: int
    mixed_groups: int
    background_pairs: int = 0


def figures(shared: list, labelled: Labelled, usable: set[int], background: frozenset[int] = frozenset()) -> Figures:
    """The labelled figures, and how many pairs of grouped nodes hold a background pull request.

    Duplicates are rare among pull requests drawn at random (DupPR lists some fifty pairs among
    terraform's thousands), so a background pull request grouped with another node is, as a
    rule, a false grouping the hard negatives do not see: the figure shows how busier networks
    pay for a looser threshold.
    """
    together: dict[int, set[int]] = defaultdict(set)  # pull request -> the entries listing it
    sizes = []
    members = []
    for index, change in enumerate(shared):
        numbers = {int(name[3:]) for name in change.nodes if name.startswith("pr-")}
        sizes.append(len(change.nodes))
        members.append(numbers)
        for number in numbers:
            together[number].add(index)
    positives = [pair for pair in labelled.positives if set(pair) <= usable]
    negatives = [pair for pair in labelled.negatives if set(pair) <= usable]
    found = sum(bool(together[a] & together[b]) for a, b in positives)
    false = sum(bool(together[a] & together[b]) for a, b in negatives)
    negative_set = {frozenset(pair) for pair in negatives}
    big = [numbers for numbers in members if len(numbers) >= 3]
    mixed = sum(any(frozenset((a, b)) in negative_set for a in numbers for b in numbers if a < b) for numbers in big)
    with_background = sum(1 for numbers in members for a in numbers for b in numbers if a < b and {a, b} & background)
    return Figures(
        precision=found / (found + false) if found + false else 1.0,
        recall=found / len(positives) if positives else 1.0,
        found=found,
        false=false,
        positives=len(positives),
        negatives=len(negatives),
        largest=max(sizes, default=0),
        big_groups=len(big),
        mixed_groups=mixed,
        background_pairs=with_background,
    )


def line(project: str, threshold: float, f: Figures, seconds: float | None = None, background: bool = False) -> str:
    use = "tuned" if project in TUNED else "held out" if project in HELD_OUT else "other"
    took = f"{seconds:7.1f} s" if seconds is not None else ""
    return (
        f"{project:22} {use:8} {threshold:5.2f}  precision {f.precision:6.1%} ({f.found}/{f.found + f.false})"
        f"  recall {f.recall:6.1%} ({f.found}/{f.positives})  largest group {f.largest:3}"
        f"  groups of 3+ {f.big_groups:3} (with a hard negative: {f.mixed_groups})"
        + (f"  pairs with a background PR {f.background_pairs:4}" if background else "")
        + f"  {took}"
    )


def group_lines(report: ScanReport, labelled: Labelled) -> list[str]:
    """Every group of three or more nodes, with each member's first commit summary, to be read."""
    shown = []
    pairs = {frozenset(pair): "duplicate" for pair in labelled.positives}
    pairs.update({frozenset(pair): "HARD NEGATIVE" for pair in labelled.negatives})
    for change in report.shared:
        if len(change.nodes) < 3:
            continue
        shown.append(f"  group {change.id} ({change.kind}, score {change.score}):")
        numbers = [int(name[3:]) for name in change.nodes if name.startswith("pr-")]
        for variant in change.variants:
            summary = report.commits[variant.commits[0]].summary
            shown.append(f"    {', '.join(variant.nodes)}: {summary[:90]}")
        labels = [
            f"#{a}-#{b} {pairs[frozenset((a, b))]}"
            for a in numbers
            for b in numbers
            if a < b and frozenset((a, b)) in pairs
        ]
        shown.append(f"    labelled pairs inside: {', '.join(labels) or 'none'}")
    return shown


def run(mirror: Path, out: Path, count: int, sweep: bool, groups: bool = False) -> list[str]:
    project = project_of(mirror)
    labelled = read_set(project)
    repo = working_copy(mirror, out / "repos")
    usable = {n for n, pr in labelled.prs.items() if pr.resolved}
    chosen = [labelled.prs[n] for n in sorted(usable)]
    drawn = background(Resolver(repo), labelled, count) if count else []
    chosen += drawn
    unlabelled = frozenset(pr.number for pr in drawn)
    manifest = build_network(repo, out, project, chosen)
    network = Network(load_manifest(manifest))
    policy = Policy()
    start = time.perf_counter()
    report = scan_network(network, GitRepo(str(repo)), None, policy=policy)
    took = time.perf_counter() - start
    measured = figures(report.shared, labelled, usable, unlabelled)
    shown = [line(project, policy.similarity.threshold, measured, took, bool(count))]
    if groups:
        shown += group_lines(report, labelled)
    if sweep:
        fingerprints = fingerprints_of(GitRepo(str(repo)), report)
        for threshold in SWEEP:
            similarity = Similarity(threshold=threshold)
            shared = find_shared_changes(network, report.nodes, report.commits, fingerprints, similarity)
            shown.append(line(project, threshold, figures(shared, labelled, usable, unlabelled), None, bool(count)))
    return shown


def fingerprints_of(repo: GitRepo, report: ScanReport) -> dict[str, tuple[int, ...]]:
    carried = {cid for node in report.nodes for cid in node.carried}
    return {cid: repo.patch_facts(cid).fingerprint for cid in carried}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirror", type=Path, action="append", required=True)
    parser.add_argument("--out", type=Path, default=Path("/tmp/forkflow-similar-real"))
    parser.add_argument("--background", type=int, default=0, metavar="N", help="unlabelled pull requests beside")
    parser.add_argument("--sweep", action="store_true", help="also regroup at other thresholds")
    parser.add_argument("--groups", action="store_true", help="print every group of three or more nodes")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for mirror in args.mirror:
        for shown in run(mirror.resolve(), args.out, args.background, args.sweep, args.groups):
            print(shown, flush=True)


if __name__ == "__main__":
    main()
