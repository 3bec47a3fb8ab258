"""A forkflow network made from a mirror of a real GitHub repository.

    python benchmarks/realnet.py --mirror PATH --out DIR [--nodes N] [--also 123,456]

The mirror is a bare repository holding the project's branches and its pull requests' heads
(``refs/pull/N/head``), as ``git clone --mirror`` of a GitHub repository has them.  The network:
central is the mirror's default branch, and each pull request is a node under it (tier
decentralized, read by ``ref``), as the forks that opened them are.  With ``--nodes N``, the N
newest pull requests (and those named with ``--also``).

The working repository ``DIR/repo.git`` borrows the mirror's objects (``objects/info/alternates``)
and copies its refs, so the mirror is never written to.  A mirror that lacks some blobs (the
stored snapshots leave out files of 4 MiB and more) is then a network with missing objects, as
a blobless clone of a real one is: what it lacks is printed.

Prints the working repository's path; its manifest is ``DIR/forkflow.toml``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def pull_requests(mirror: Path) -> list[int]:
    """The numbers of the mirror's pull requests that have a head, newest first."""
    refs = git("for-each-ref", "--format=%(refname)", "refs/pull/", cwd=mirror).split()
    numbers = {int(m.group(1)) for ref in refs if (m := re.fullmatch(r"refs/pull/(\d+)/head", ref))}
    return sorted(numbers, reverse=True)


def manifest_text(name: str, branch: str, numbers: list[int]) -> str:
    lines = ["[network]", f'name = "{name}"', 'policy = "default"', ""]
    lines += ["[[node]]", 'name = "central"', f'ref = "refs/heads/{branch}"', ""]
    for number in numbers:
        lines += ["[[node]]", f'name = "pr-{number}"', 'parent = "central"', 'tier = "decentralized"']
        lines += [f'ref = "refs/pull/{number}/head"', ""]
    return "\n".join(lines)


def borrow(mirror: Path, repo: Path) -> None:
    """Make ``repo`` a bare repository that borrows ``mirror``'s objects and has its refs and HEAD."""
    repo.mkdir(parents=True, exist_ok=True)
    git("init", "-q", "--bare", cwd=repo)
    (repo / "objects" / "info" / "alternates").write_text(f"{mirror / 'objects'}\n")
    refs = git("for-each-ref", "--format=create %(refname) %(objectname)", cwd=mirror)
    subprocess.run(["git", "update-ref", "--stdin"], cwd=repo, input=refs, text=True, check=True)
    git("symbolic-ref", "HEAD", git("symbolic-ref", "HEAD", cwd=mirror).strip(), cwd=repo)


def build(mirror: Path, out: Path, *, nodes: int | None = None, also: tuple[int, ...] = ()) -> Path:
    """The working repository (borrowing ``mirror``'s objects, with its refs) and its manifest."""
    mirror = mirror.resolve()
    out.mkdir(parents=True, exist_ok=True)
    repo = out / "repo.git"
    if not repo.exists():
        borrow(mirror, repo)
    branch = git("symbolic-ref", "--short", "HEAD", cwd=repo).strip()
    numbers = pull_requests(repo)[:nodes] if nodes else pull_requests(repo)
    numbers += [number for number in also if number not in numbers]
    name = mirror.parent.name.split("+")[-1] if mirror.name == "repo" else mirror.name
    (out / "forkflow.toml").write_text(manifest_text(re.sub(r"[^A-Za-z0-9._-]", "-", name), branch, numbers))
    return repo


def missing_blobs(repo: Path) -> int:
    """How many objects the refs reach that the repository lacks."""
    listed = git("rev-list", "--objects", "--all", "--missing=print", cwd=repo)
    return sum(line.startswith("?") for line in listed.splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirror", type=Path, required=True, help="a bare mirror with refs/pull/N/head")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--nodes", type=int, help="the N newest pull requests (default: all)")
    parser.add_argument("--also", default="", metavar="N,N", help="pull requests to include besides")
    args = parser.parse_args()
    also = tuple(int(n) for n in args.also.split(",") if n)
    repo = build(args.mirror, args.out, nodes=args.nodes, also=also)
    print(f"{repo} ({missing_blobs(repo)} object(s) missing)")


if __name__ == "__main__":
    main()
