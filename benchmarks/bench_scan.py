"""Benchmark: forkflow scan (cold and warm) against the git loop a user would script.

    python benchmarks/bench_scan.py                 # 200 nodes x 30 carried over 5,000 commits
    python benchmarks/bench_scan.py --nodes 50      # smaller

The baseline, measured in the same run on the same repository, is per node
`git rev-list --left-right --count parent...node` plus `git cherry parent node`.
forkflow's scans run in a child process each (so their peak memory is their own) and are
timed around the scan itself; the cold scan starts with an empty store, the warm one with
the store the cold one left.  Prints each time (forkflow's: the median of --runs runs), the
ratios and the peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.gennet import generate  # noqa: E402
from forkflow.scan.parallel import worker_count  # noqa: E402


def git_loop(repo: Path) -> float:
    manifest = tomllib.loads((repo / "forkflow.toml").read_text())
    refs = {node["name"]: node["ref"] for node in manifest["node"]}
    pairs = [(refs[node["parent"]], node["ref"]) for node in manifest["node"] if "parent" in node]
    start = time.perf_counter()
    for parent, node in pairs:
        subprocess.run(
            ["git", "rev-list", "--left-right", "--count", f"{parent}...{node}"],
            cwd=repo,
            check=True,
            capture_output=True,
        )
        subprocess.run(["git", "cherry", parent, node], cwd=repo, check=True, capture_output=True)
    return time.perf_counter() - start


def carried_commits(repo: Path) -> list[str]:
    """Every non-merge commit some node has and its parent lacks, once each."""
    manifest = tomllib.loads((repo / "forkflow.toml").read_text())
    refs = {node["name"]: node["ref"] for node in manifest["node"]}
    ranges = [f"{refs[node['parent']]}..{node['ref']}" for node in manifest["node"] if "parent" in node]
    seen: dict[str, None] = {}
    for spec in ranges:
        command = ["git", "rev-list", "--no-merges", spec]
        out = subprocess.run(command, cwd=repo, check=True, capture_output=True, text=True)
        seen.update(dict.fromkeys(out.stdout.split()))
    return list(seen)


def floors(repo: Path, commits: list[str]) -> dict[str, float]:
    """What the carried commits' patches cost at the least, on one core.

    `libgit2`: pygit2's own tree-to-tree diff and patch text per commit (no patch-id yet);
    `git`: `git diff-tree --stdin -p | git patch-id --stable`, git's C code end to end.
    A cold scan must read every carried commit's patch (its patch-id, its diffstat, and
    the lines that similar-change detection compares), so these bound it from below.
    """
    import pygit2

    git_repo = pygit2.Repository(str(repo))
    objects = [git_repo[commit] for commit in commits]
    start = time.perf_counter()
    flags = pygit2.enums.DiffOption.INDENT_HEURISTIC
    size = 0
    for commit in objects:
        size += len(commit.parents[0].tree.diff_to_tree(commit.tree, flags=flags).patch or "")
    libgit2 = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run(
        "git diff-tree --stdin -p | git patch-id --stable",
        shell=True,
        cwd=repo,
        input="\n".join(commits) + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
    return {"libgit2": libgit2, "git": time.perf_counter() - start}


def push_upstream_commit(repo: Path) -> str:
    """One new commit on central (a real change to one file); returns the old head."""
    old = subprocess.run(["git", "rev-parse", "main"], cwd=repo, check=True, capture_output=True, text=True)
    body = b"def bumped():\n    return 1\n"
    stream = (
        b"commit refs/heads/main\ncommitter Bench <b@example.edu> 1900000000 +0000\ndata 5\nbump\n"
        b"from refs/heads/main^0\nM 100644 inline src/pkg0/bumped.py\ndata %d\n%s\n" % (len(body), body)
    )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=stream, check=True)
    return old.stdout.strip()


def child(repo: Path) -> None:
    """Run one scan in this process; print its time and this process's peak memory."""
    from forkflow.scan.pipeline import scan_network
    from forkflow.workspace import open_workspace

    space = open_workspace(repo)
    start = time.perf_counter()
    report = scan_network(space.network, space.repo, space.store, policy=space.policy)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    worker_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest worker
    carried = sum(len(node.carried) for node in report.nodes)
    print(
        json.dumps(
            {"seconds": elapsed, "peak_mib": peak_kib / 1024, "worker_mib": worker_kib / 1024, "carried": carried}
        )
    )


def run_child(repo: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", str(repo)], check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--carried", type=int, default=30)
    parser.add_argument("--upstream", type=int, default=5000)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--runs", type=int, default=3, help="forkflow runs; the median is shown")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return
    repo = args.out / f"net-{args.nodes}x{args.carried}-{args.upstream}"
    if not (repo / "forkflow.toml").exists():
        shutil.rmtree(repo, ignore_errors=True)
        print(f"generating {repo} ...", flush=True)
        generate(repo, nodes=args.nodes, carried=args.carried, upstream=args.upstream)
    baseline = git_loop(repo)
    carried = carried_commits(repo)
    floor = floors(repo, carried)
    colds, warms = [], []
    for _ in range(args.runs):
        shutil.rmtree(repo / ".forkflow", ignore_errors=True)
        colds.append(run_child(repo))
        warms.append(run_child(repo))
    cold = sorted(colds, key=lambda run: run["seconds"])[len(colds) // 2]
    warm = sorted(warms, key=lambda run: run["seconds"])[len(warms) // 2]
    previous = push_upstream_commit(repo)
    try:
        moved = run_child(repo)  # every node's parent head changed: all pairs are new
    finally:
        subprocess.run(["git", "update-ref", "refs/heads/main", previous], cwd=repo, check=True)
    print(f"network: {args.nodes} nodes, {args.carried} carried commits each, {args.upstream} upstream commits")
    print(f"forkflow figures are the median of {args.runs} runs, each in a fresh process")
    print(f"git loop (rev-list --count + cherry per node): {baseline:8.2f} s")
    print(
        f"forkflow cold scan (empty store):              {cold['seconds']:8.2f} s   "
        f"{baseline / cold['seconds']:6.1f}x faster   peak {cold['peak_mib']:.0f} MiB"
        f" + {cold['worker_mib']:.0f} MiB in each of {worker_count()} workers"
    )
    print(
        f"forkflow warm scan (nothing changed):          {warm['seconds']:8.3f} s   "
        f"{baseline / warm['seconds']:6.1f}x faster   peak {warm['peak_mib']:.0f} MiB"
    )
    print(
        f"forkflow scan after one new upstream commit:   {moved['seconds']:8.3f} s   "
        f"{baseline / moved['seconds']:6.1f}x faster   peak {moved['peak_mib']:.0f} MiB"
    )
    print("targets: cold >= 10x, warm >= 100x")
    print(f"floors for the {len(carried)} carried commits' patches, one core (see floors()):")
    for label, key in (("pygit2 diff + patch text alone", "libgit2"), ("git diff-tree -p | patch-id --stable", "git")):
        print(f"  {label:<43} {floor[key]:8.2f} s   {baseline / floor[key]:6.1f}x the git loop")


if __name__ == "__main__":
    main()
