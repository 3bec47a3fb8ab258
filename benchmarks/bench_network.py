"""Benchmark: forkflow's commands, whole process to whole process, on a real or a generated network.

    python benchmarks/bench_network.py --mirror PATH [--nodes 638]   # a real project's pull requests
    python benchmarks/bench_network.py --net DIR                      # a network realnet.py built
    python benchmarks/bench_network.py --generated                    # bench_scan.py's generated network

A real network is built by ``benchmarks/realnet.py`` from a fetched mirror (central: the
default branch; a node per pull request, the newest ``--nodes``).  Every step is one
``forkflow`` command in a process of its own, interpreter start-up included, with its peak
memory (the largest process of its tree, workers included).  The baseline, measured in the
same run, is the git loop a user would script: per node ``git rev-list --left-right --count``
and ``git cherry``.  forkflow's figures are medians of ``--runs`` runs; the cold scan and the
cold trend start from an empty store, the others from the store the cold scan left.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.gennet import generate  # noqa: E402
from benchmarks.realnet import build  # noqa: E402

NOW = "1793000000"
"""SOURCE_DATE_EPOCH for every command: the warm runs see the same day as the cold one."""


def git_loop(repo: Path, manifest: Path) -> float:
    nodes = tomllib.loads(manifest.read_text())["node"]
    refs = {node["name"]: node["ref"] for node in nodes}
    start = time.perf_counter()
    for node in nodes:
        if "parent" not in node:
            continue
        parent, head = refs[node["parent"]], node["ref"]
        command = ["git", "rev-list", "--left-right", "--count", f"{parent}...{head}"]
        subprocess.run(command, cwd=repo, check=True, capture_output=True)
        subprocess.run(["git", "cherry", parent, head], cwd=repo, check=True, capture_output=True)
    return time.perf_counter() - start


def timed(command: list[str]) -> tuple[float, float]:
    """Seconds and peak MiB of one command, in a process of its own (its output thrown away)."""
    environment = {**os.environ, "SOURCE_DATE_EPOCH": NOW}
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    errors = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) not in (0, 4):  # 4: a finding (a policy violation), not a failure
        raise SystemExit(f"{' '.join(command)} failed:\n{errors}")
    return elapsed, usage.ru_maxrss / 1024


def median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return sorted(runs)[len(runs) // 2]


def forkflow(repo: Path, manifest: Path, store: Path, *words: str) -> list[str]:
    location = ["--repo", str(repo), "--manifest", str(manifest), "--store", str(store)]
    return [sys.executable, "-m", "forkflow", *words, *location]


def measure(repo: Path, manifest: Path, runs: int, work: Path) -> list[tuple[str, float, float, str]]:
    """(step, seconds, peak MiB, what it is compared with) for every step."""
    baseline = git_loop(repo, manifest)
    rows = [("git loop: `rev-list --left-right --count` + `git cherry` per node", baseline, 0.0, "1x")]
    store = work / "store.sqlite"
    colds = []
    for _ in range(runs):
        shutil.rmtree(work, ignore_errors=True)
        colds.append(timed(forkflow(repo, manifest, store, "scan", "--json")))
    cold = median(colds)
    rows.append(("cold scan (`scan --json`, empty store)", *cold, f"{baseline / cold[0]:.1f}x faster"))
    steps = [
        ("warm scan (`scan --json`, nothing changed)", ["scan", "--json"], True),
        ("`trend` on that store", ["trend"], False),
        ("`report` (Markdown) on that store", ["report"], False),
        ("`report --html` on that store", ["report", "--html", str(work / "report.html")], False),
    ]
    for label, words, against_git in steps:
        seconds, peak = median([timed(forkflow(repo, manifest, store, *words)) for _ in range(runs)])
        rows.append((label, seconds, peak, f"{baseline / seconds:.0f}x faster" if against_git else "target < 2 s"))
    fresh = work / "cold-trend" / "store.sqlite"
    seconds, peak = timed(forkflow(repo, manifest, fresh, "trend"))
    rows.append(("cold `trend` (empty store)", seconds, peak, f"{seconds / cold[0]:.2f}x the cold scan"))
    return rows


def network(args: argparse.Namespace, out: Path) -> tuple[Path, Path, str]:
    """The network's repository, its manifest, and what it is."""
    if args.generated:
        repo = out / "generated-200x30-5000"
        if not (repo / "forkflow.toml").exists():
            shutil.rmtree(repo, ignore_errors=True)
            generate(repo, nodes=200, carried=30, upstream=5000)
        return repo, repo / "forkflow.toml", "generated: 200 nodes x 30 carried commits over 5,000 upstream commits"
    if args.net is not None:
        return args.net / "repo.git", args.net / "forkflow.toml", f"the network in {args.net}"
    if args.mirror is None:
        raise SystemExit("give --mirror PATH, --net DIR or --generated")
    place = out / f"{args.mirror.parent.name}-{args.nodes}"
    repo = build(args.mirror, place, nodes=args.nodes)
    return repo, place / "forkflow.toml", f"{args.mirror.parent.name}: its {args.nodes} newest pull requests"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirror", type=Path, help="a fetched mirror (bare, with refs/pull/*/head)")
    parser.add_argument("--nodes", type=int, default=638)
    parser.add_argument("--net", type=Path, help="a network realnet.py built (DIR/repo.git, DIR/forkflow.toml)")
    parser.add_argument("--generated", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    repo, manifest, what = network(args, args.out)
    with tempfile.TemporaryDirectory() as work:
        rows = measure(repo, manifest, args.runs, Path(work) / "store")
    print(f"network: {what}; forkflow's figures are medians of {args.runs} runs, each a process of its own")
    print("| step | time | against the baseline | peak memory |")
    print("| --- | ---: | ---: | ---: |")
    for label, seconds, peak, against in rows:
        print(f"| {label} | {seconds:.2f} s | {against} | {f'{peak:.0f} MiB' if peak else ''} |")


if __name__ == "__main__":
    main()
