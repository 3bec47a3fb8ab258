"""The labelled set of real duplicate changes: each pull request's own commits and base, and hard negatives.

    python benchmarks/duppr_set.py --mirror PATH [--mirror PATH ...] [--work DIR]

Reads ``benchmarks/duppr/pairs.tsv`` (DupPR's duplicate pull requests), and for each project
whose mirror is given (a bare mirror with ``refs/pull/N/head``, as the search tool's fetch
brings it) writes its rows of ``benchmarks/duppr/prs.tsv`` and ``benchmarks/duppr/negatives.tsv``.

**A pull request's own commits and its base.**  ``merge-base..head`` is wrong for a pull request
merged by a merge commit: its head is on the branch, so nothing would be its own.  So:

1. *Merged by a merge commit.*  When some branch has a merge commit whose second parent is the
   pull request's head (GitHub's merge button, and the tools that merge the head as it is), the
   own commits are ``head --not M^1``: what the branch did not have just before the merge.
2. *Merged another way, or never merged.*  Otherwise the own commits are ``head --not
   --branches``: what no branch of the project holds.  A pull request squashed or rebased into
   a branch keeps its own commits this way, since squashing and rebasing make new ones.
3. *Its base* is the boundary of that walk (``rev-list --boundary``), when one boundary commit
   has all the others in its history: then ``base..head`` is exactly the own commits, and a node
   at the base with a node at the head under it carries them and nothing else.  A pull request
   whose head a branch holds with no merge of it (fast-forwarded, or merged through another
   branch), whose walk has no single base, or that has more than 250 own commits (GitHub
   itself lists no more than that of a pull request: so many means its base lies outside
   every branch, as in ansible's pull requests that began in the modules' own repositories
   before they were merged in, which this walk makes 14,000 commits long), is written with
   ``how`` = ``unresolved`` and the reason, and left out of the figures.

The mirror is only read: the walks run in a working repository (``--work``) that borrows its
objects and refs and has git's commit-graph written, which makes each walk about ten times
faster.

**Hard negatives**: pull requests of the same project that are not duplicates of each other
but touch at least one of the same files (changelogs not counted), as many as the positives.
For each positive pair, its first pull request (or, when that one is unresolved or touches
only changelogs, its second) is paired with another, drawn with a fixed seed from those opened
near it (numbers within ``--window``), that touches one of its files, is not a duplicate of it
(directly or through other duplicates), and shares with it no commit, no patch (``git patch-id
--stable``) and no commit subject: those are the same change, or the same pull request opened
again, which DupPR's labels miss (on ember.js and symfony-docs, the first draw had four such
"negatives", identical changes under other numbers).
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.realnet import borrow  # noqa: E402

SET = HERE / "duppr"
CHANGELOG = re.compile(r"(^|/)(changelogs?/|(changelog|changes|news|history|upgrade)[^/]*$)", re.IGNORECASE)
SEED = 15
MAX_COMMITS = 250


@dataclass
class PullRequest:
    number: int
    head: str
    base: str
    how: str  # merge-commit, unmerged-or-rebased, unresolved: <reason>
    commits: list[str]

    @property
    def resolved(self) -> bool:
        return not self.how.startswith("unresolved")

    def row(self, project: str) -> str:
        return "\t".join([project, str(self.number), self.head, self.base or "-", self.how, ",".join(self.commits)])


def git(mirror: Path, *args: str, stdin: str | None = None) -> str:
    """What git prints (bytes that are not UTF-8, as diffs may hold, kept as surrogates)."""
    done = subprocess.run(
        ["git", *args], cwd=mirror, input=stdin, capture_output=True, text=True, errors="surrogateescape", check=True
    )
    return done.stdout


def project_of(mirror: Path) -> str:
    name = mirror.parent.name if mirror.name == "repo" else mirror.name
    return name.replace("+", "/", 1)


def read_pairs(path: Path = SET / "pairs.tsv") -> dict[str, list[tuple[int, int]]]:
    pairs: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            project, first, second = line.split("\t")
            pairs[project].append((int(first), int(second)))
    return pairs


def working_copy(mirror: Path, work: Path) -> Path:
    """A bare repository borrowing ``mirror``'s objects, with its refs and a commit-graph."""
    repo = work / project_of(mirror).replace("/", "+")
    if not (repo / "objects" / "info" / "commit-graph").exists():
        if not (repo / "HEAD").exists():
            borrow(mirror, repo)
        git(repo, "commit-graph", "write", "--reachable")
    return repo


class Resolver:
    """Works out pull requests' own commits and bases in one repository."""

    def __init__(self, mirror: Path):
        self.mirror = mirror
        refs = git(mirror, "for-each-ref", "--format=%(objectname) %(refname)", "refs/pull/")
        self.heads = {
            int(m.group(1)): oid
            for oid, ref in (line.split() for line in refs.splitlines())
            if (m := re.fullmatch(r"refs/pull/(\d+)/head", ref))
        }
        self.merged_by: dict[str, str] = {}  # head -> the branch's merge commit that took it
        for line in git(mirror, "rev-list", "--merges", "--parents", "--branches").splitlines():
            merge, _first, second, *_ = line.split()
            self.merged_by.setdefault(second, merge)
        self._files: dict[int, frozenset[str]] = {}
        self._marks: dict[int, frozenset[str]] = {}

    def resolve(self, number: int) -> PullRequest:
        head = self.heads.get(number)
        if head is None:
            return PullRequest(number, "-", "", "unresolved: no refs/pull/N/head in the mirror", [])
        merge = self.merged_by.get(head)
        if merge is not None:
            how, exclude = "merge-commit", [f"{merge}^1"]
        else:
            how, exclude = "unmerged-or-rebased", ["--branches"]
        listed = git(self.mirror, "rev-list", "--boundary", head, "--not", *exclude).split()
        commits = [line for line in listed if not line.startswith("-")]
        boundary = [line[1:] for line in listed if line.startswith("-")]
        if not commits:
            return PullRequest(number, head, "", "unresolved: a branch holds its head with no merge of it", [])
        if len(commits) > MAX_COMMITS:
            return PullRequest(number, head, "", f"unresolved: {len(commits)} own commits", [])
        bases = git(self.mirror, "merge-base", "--independent", *boundary).split() if boundary else []
        if len(bases) != 1:
            return PullRequest(number, head, "", f"unresolved: {len(bases)} independent bases", commits)
        commits.reverse()  # oldest first
        return PullRequest(number, head, bases[0], how, commits)

    def files(self, pr: PullRequest) -> frozenset[str]:
        known = self._files.get(pr.number)
        if known is None:
            names = git(self.mirror, "diff", "--no-renames", "--name-only", pr.base, pr.head).split("\n")
            known = self._files[pr.number] = frozenset(n for n in names if n and not CHANGELOG.search(n))
        return known

    def marks(self, pr: PullRequest) -> frozenset[str]:
        """Its commits' ids, patch-ids and subjects: what makes two pull requests one change."""
        known = self._marks.get(pr.number)
        if known is None:
            shown = git(self.mirror, "log", "--no-walk=unsorted", "-p", "--format=commit %H%n%n    %s%n", *pr.commits)
            listed = git(self.mirror, "patch-id", "--stable", stdin=shown)
            subjects = set(re.findall(r"^commit [0-9a-f]+\n\n    (.*)$", shown, re.MULTILINE))
            known = frozenset(pr.commits) | {line.split()[0] for line in listed.splitlines()} | subjects
            self._marks[pr.number] = known
        return known


def hard_negatives(
    resolver: Resolver,
    prs: dict[int, PullRequest],
    pairs: list[tuple[int, int]],
    window: int,
    tries: int,
) -> list[tuple[int, int, str]]:
    """One non-duplicate partner for the first pull request of each positive pair."""
    rng = random.Random(SEED)
    duplicates: dict[int, set[int]] = defaultdict(set)  # each pull request's cluster of duplicates
    for a, b in pairs:
        cluster = duplicates[a] | duplicates[b] | {a, b}
        for member in cluster:
            duplicates[member] = cluster
    numbers = sorted(resolver.heads)
    chosen: list[tuple[int, int, str]] = []
    taken: set[tuple[int, int]] = set()
    for pair in pairs:
        first = next((n for n in pair if prs[n].resolved and resolver.files(prs[n])), None)
        if first is None:
            continue
        pr = prs[first]
        near = [n for n in numbers if abs(n - first) <= window and n != first and n not in duplicates[first]]
        rng.shuffle(near)
        for number in near[:tries]:
            other = prs.get(number) or resolver.resolve(number)
            if not other.resolved:
                continue
            common = resolver.files(pr) & resolver.files(other)
            key = (min(first, number), max(first, number))
            if common and key not in taken and not resolver.marks(pr) & resolver.marks(other):
                prs[number] = other
                taken.add(key)
                chosen.append((key[0], key[1], sorted(common)[0]))
                break
    return chosen


def build_project(
    mirror: Path, work: Path, pairs: list[tuple[int, int]], window: int, tries: int
) -> tuple[list[str], list[str]]:
    project = project_of(mirror)
    resolver = Resolver(working_copy(mirror, work))
    prs = {n: resolver.resolve(n) for pair in pairs for n in pair}
    negatives = hard_negatives(resolver, prs, pairs, window, tries)
    unresolved = [pr for pr in prs.values() if not pr.resolved]
    print(
        f"{project}: {len(prs)} pull requests ({len(unresolved)} unresolved), {len(pairs)} pairs, "
        f"{len(negatives)} hard negatives",
        file=sys.stderr,
    )
    for pr in unresolved:
        print(f"  #{pr.number}: {pr.how}", file=sys.stderr)
    rows = [prs[n].row(project) for n in sorted(prs)]
    return rows, [f"{project}\t{a}\t{b}\t{path}" for a, b, path in negatives]


def _row_order(line: str) -> tuple[str, list[int]]:
    fields = line.split("\t")
    return fields[0], [int(x) for x in fields[1:3] if x.isdigit()]


def rewrite(path: Path, header: str, projects: set[str], rows: list[str]) -> None:
    """Replace the given projects' rows of a set file, keeping the others."""
    kept = []
    if path.exists():
        kept = [line for line in path.read_text().splitlines()[1:] if line.split("\t", 1)[0] not in projects]
    body = sorted(kept + rows, key=_row_order)
    path.write_text("\n".join([header, *body]) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirror", type=Path, action="append", required=True)
    parser.add_argument("--work", type=Path, default=Path("/tmp/forkflow-duppr"), help="working repositories")
    parser.add_argument("--window", type=int, default=500, help="how far apart a hard negative's numbers may be")
    parser.add_argument("--tries", type=int, default=400, help="partners tried for each hard negative")
    args = parser.parse_args()
    pairs = read_pairs()
    prs_rows: list[str] = []
    negative_rows: list[str] = []
    projects = set()
    for mirror in args.mirror:
        project = project_of(mirror.resolve())
        if project not in pairs:
            raise SystemExit(f"{mirror}: {project} has no pairs in {SET / 'pairs.tsv'}")
        projects.add(project)
        rows, negatives = build_project(mirror.resolve(), args.work, pairs[project], args.window, args.tries)
        prs_rows += rows
        negative_rows += negatives
    rewrite(SET / "prs.tsv", "# project\tpr\thead\tbase\thow\tcommits (oldest first)", projects, prs_rows)
    rewrite(SET / "negatives.tsv", "# project\tfirst\tsecond\ta file both touch", projects, negative_rows)


if __name__ == "__main__":
    main()
