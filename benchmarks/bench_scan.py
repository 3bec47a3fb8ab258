"""Benchmark: forkflow scan (cold and warm) against the git loop a user would script.

    python benchmarks/bench_scan.py                 # 200 nodes x 30 carried over 5,000 commits
    python benchmarks/bench_scan.py --nodes 50      # smaller

The baseline, measured in the same run on the same repository, is per node
`git rev-list --left-right --count parent...node` plus `git cherry parent node`.
forkflow's scans run in a child process each (so their peak memory is their own) and are
timed around the scan itself; the cold scan starts with an empty store, the warm one with
the store the cold one left.  Prints each time, the ratios and the peak resident memory.
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


def child(repo: Path) -> None:
    """Run one scan in this process; print its time and this process's peak memory."""
    from forkflow.scan import scan_network
    from forkflow.workspace import open_workspace

    space = open_workspace(repo)
    start = time.perf_counter()
    report = scan_network(space.network, space.repo, space.store)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    carried = sum(len(node.carried) for node in report.nodes)
    print(json.dumps({"seconds": elapsed, "peak_mib": peak_kib / 1024, "carried": carried}))


def run_child(repo: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", str(repo)], check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--carried", type=int, default=30)
    parser.add_argument("--upstream", type=int, default=5000)
    parser.add_argument("--out", type=Path, default=HERE / "out")
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
    shutil.rmtree(repo / ".forkflow", ignore_errors=True)
    baseline = git_loop(repo)
    cold = run_child(repo)
    warm = run_child(repo)
    print(f"network: {args.nodes} nodes, {args.carried} carried commits each, {args.upstream} upstream commits")
    print(f"git loop (rev-list --count + cherry per node): {baseline:8.2f} s")
    print(
        f"forkflow cold scan (empty store):              {cold['seconds']:8.2f} s   "
        f"{baseline / cold['seconds']:6.1f}x faster   peak {cold['peak_mib']:.0f} MiB"
    )
    print(
        f"forkflow warm scan (nothing changed):          {warm['seconds']:8.3f} s   "
        f"{baseline / warm['seconds']:6.1f}x faster   peak {warm['peak_mib']:.0f} MiB"
    )
    print("targets: cold >= 10x, warm >= 100x")


if __name__ == "__main__":
    main()
