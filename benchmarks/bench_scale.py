"""Benchmark: forkflow scan on a 10,000-node fork network, on one machine and in shards.

    python benchmarks/bench_scale.py                  # 10,000 nodes x 8 carried over 2,000 commits (< 10 min)
    python benchmarks/bench_scale.py --quick          # 2,000 nodes, smaller growth series (about 3 min)
    python benchmarks/bench_scale.py --keep DIR       # generated networks are kept (and reused) in DIR

The network (benchmarks/gennet.py: one repository, central on main, one branch per node) is
generated once and kept in --keep (default benchmarks/out/).  8 carried commits a node, because
gennet gives 5 of a node's slots to shared changes and 3 to cherry-picks of central: with fewer
than 6, no node carries a change of its own; with 8, about 2 a node.  Every step runs in a child
process of its own, so that its time (wall clock, interpreter start-up included) and its peak
resident memory (os.wait4: the largest process of the step, its workers included) are its own;
SOURCE_DATE_EPOCH is fixed, so reports compare byte for byte.  The steps:

  cold     `forkflow scan --json` with an empty store (.forkflow/ deleted)
  warm     the same again, nothing changed (the store's whole-report cache); target < 2 s.
           Then the next day (every age moves, so the cached report is printed again) and
           again that day.  forkflow's modules are compiled to bytecode first, as pip does.
           Also in-process (open_workspace + scan_document, writing the text, recording the
           scan), to tell interpreter start-up and imports from the work
  shards   `forkflow scan --shard K/N` for K=1..N, one after another, N=4 and N=16, each N on
           an empty store, then `forkflow scan --collect --json`, compared byte for byte with
           one machine's `forkflow scan --json --no-cache`
  growth   cold scans of networks that differ in nodes only, and in upstream history only,
           per carried commit and per node x history commit: which of the two the cost follows;
           and what eight times the history adds at 400 nodes and at 2,000

Baselines, measured in the same run on the same repository: for the warm scan, `git
for-each-ref` plus one `git rev-list --left-right --count parent...node` per node; for the
cold one, that plus `git cherry parent node` per node (the git loop a user would script).
Both run on a sample of nodes and are extrapolated to all of them (they say so).
Benchmarks never assert times; this prints them.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.gennet import generate  # noqa: E402  (forkflow itself is imported by the children only)

EPOCH = "1700000000"  # SOURCE_DATE_EPOCH of every scan: the reports' "now"
WARM_TARGET = 2.0


@dataclass(frozen=True)
class Size:
    nodes: int
    carried: int
    upstream: int

    def __str__(self) -> str:
        return f"{self.nodes}x{self.carried}-{self.upstream}"


@dataclass(frozen=True)
class Step:
    seconds: float
    peak_mib: float  # the largest process of the step (the step's workers included)


# the network ----------------------------------------------------------------------------------


def network(keep: Path, size: Size) -> Path:
    """The generated repository of this size, from the cache when a previous run made it."""
    repo = keep / f"net-{size}"
    if not (repo / "forkflow.toml").exists():  # gennet writes the manifest last
        shutil.rmtree(repo, ignore_errors=True)
        print(f"generating {repo} ...", flush=True)
        start = time.perf_counter()
        generate(repo, nodes=size.nodes, carried=size.carried, upstream=size.upstream)
        print(f"  generated in {time.perf_counter() - start:.1f} s", flush=True)
    return repo


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def totals(repo: Path) -> dict[str, int]:
    """Nodes, carried commits (commits some node has and central lacks, once each), all commits, objects."""
    manifest = tomllib.loads((repo / "forkflow.toml").read_text())
    counts = dict(line.split(": ") for line in git(repo, "count-objects", "-v").splitlines())
    return {
        "nodes": len(manifest["node"]) - 1,
        "carried": int(git(repo, "rev-list", "--count", "--all", "--not", "refs/heads/main")),
        "commits": int(git(repo, "rev-list", "--count", "--all")),
        "objects": int(counts["count"]) + int(counts["in-pack"]),
    }


def pairs(repo: Path) -> list[tuple[str, str]]:
    """(parent ref, node ref) of every node that has a parent."""
    manifest = tomllib.loads((repo / "forkflow.toml").read_text())
    refs = {node["name"]: node["ref"] for node in manifest["node"]}
    return [(refs[node["parent"]], node["ref"]) for node in manifest["node"] if "parent" in node]


# running a step -------------------------------------------------------------------------------


def environment(epoch: str = EPOCH) -> dict[str, str]:
    env = dict(os.environ, SOURCE_DATE_EPOCH=epoch, PYTHONPATH=str(ROOT))
    for name in ("FORKFLOW_STORE", "FORKFLOW_RUN_ID", "GITHUB_RUN_ID"):  # the default store, the given run
        env.pop(name, None)
    return env


def run(command: list[str], out: Path | None = None, epoch: str = EPOCH) -> Step:
    """Run one step in a child process: its wall time and its own peak memory (os.wait4)."""
    with tempfile.TemporaryFile() as err, open(out or os.devnull, "wb") as sink:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=sink, stderr=err, env=environment(epoch))
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            err.seek(0)
            sys.exit(f"{' '.join(command)} failed ({child.returncode}):\n{err.read().decode(errors='replace')[-3000:]}")
    return Step(seconds, usage.ru_maxrss / 1024)


def forkflow(*args: str) -> list[str]:
    return [sys.executable, "-m", "forkflow", *args]


def empty_store(repo: Path) -> None:
    shutil.rmtree(repo / ".forkflow", ignore_errors=True)


def store_size(repo: Path) -> int:
    """Bytes of the store (SQLite and its write-ahead log)."""
    return sum(path.stat().st_size for path in (repo / ".forkflow").glob("store.sqlite*"))


def median(steps: list[Step]) -> Step:
    return sorted(steps, key=lambda step: step.seconds)[len(steps) // 2]


# in-process warm scan (a child of its own) ----------------------------------------------------


def child_warm(repo: Path) -> None:
    """One warm scan in this process, as `forkflow scan --json` runs it, in parts; prints the parts' times as JSON."""
    import resource

    start = time.perf_counter()
    from datetime import UTC, datetime

    from forkflow.scan.pipeline import scan_document
    from forkflow.workspace import open_workspace

    imported = time.perf_counter()
    space = open_workspace(repo)
    opened = time.perf_counter()
    now = datetime.fromtimestamp(int(EPOCH), UTC)
    document = scan_document(space.network, space.repo, space.store, policy=space.policy, now=now)
    scanned = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        sink.write(document.text)
    printed = time.perf_counter()
    space.store.record_scan(document.summary)
    recorded = time.perf_counter()
    figures = {
        "import": imported - start,
        "open": opened - imported,
        "scan": scanned - opened,
        "print_json": printed - scanned,
        "record": recorded - printed,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(figures))


def warm_in_process(repo: Path) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        step = run([sys.executable, __file__, "--child-warm", str(repo)], Path(out.name))
        figures: dict[str, float] = json.loads(Path(out.name).read_text().strip().splitlines()[-1])
    figures["wall"] = step.seconds
    return figures


def start_up() -> tuple[float, float]:
    """Wall time of `python -c pass` and of `python -c 'import forkflow.cli'` (best of 3)."""
    bare = min(run([sys.executable, "-c", "pass"]).seconds for _ in range(3))
    cli = min(run([sys.executable, "-c", "import forkflow.cli"]).seconds for _ in range(3))
    return bare, cli


# baselines ------------------------------------------------------------------------------------


def git_baselines(repo: Path, sample: int) -> tuple[float, float, int]:
    """(warm, cold) git-loop times for every node, extrapolated from ``sample`` nodes; and the sample size.

    warm: `git for-each-ref` once + `git rev-list --left-right --count parent...node` per node;
    cold: the same + `git cherry parent node` per node.
    """
    every = pairs(repo)
    chosen = random.Random(1).sample(every, min(sample, len(every)))
    start = time.perf_counter()
    git(repo, "for-each-ref", "--format=%(objectname) %(refname)")
    refs = time.perf_counter() - start
    counting = cherry = 0.0
    for parent, node in chosen:
        start = time.perf_counter()
        git(repo, "rev-list", "--left-right", "--count", f"{parent}...{node}")
        middle = time.perf_counter()
        git(repo, "cherry", parent, node)
        counting += middle - start
        cherry += time.perf_counter() - middle
    scale = len(every) / len(chosen)
    return refs + counting * scale, refs + (counting + cherry) * scale, len(chosen)


# the steps ------------------------------------------------------------------------------------


def shards(repo: Path, count: int, run_id: list[str], out: Path) -> tuple[list[Step], Step]:
    empty_store(repo)
    steps = [
        run(forkflow("scan", "--shard", f"{k}/{count}", "--repo", str(repo), *run_id)) for k in range(1, count + 1)
    ]
    collect = run(forkflow("scan", "--collect", "--json", "--repo", str(repo), *run_id), out)
    return steps, collect


def cold_scan(repo: Path, out: Path) -> Step:
    empty_store(repo)
    return run(forkflow("scan", "--json", "--repo", str(repo)), out)


def same_bytes(a: Path, b: Path) -> str:
    left, right = a.read_bytes(), b.read_bytes()
    if left == right:
        return f"yes ({len(left):,} bytes)"
    first = next((i for i, (x, y) in enumerate(zip(left, right, strict=False)) if x != y), min(len(left), len(right)))
    line = left[:first].count(b"\n") + 1
    return f"NO: {len(left):,} vs {len(right):,} bytes, first difference at line {line}"


def growth(keep: Path, sizes: list[Size], work: Path) -> dict[Size, tuple[dict[str, int], Step]]:
    found = {}
    for size in dict.fromkeys(sizes):
        repo = network(keep, size)
        found[size] = (totals(repo), cold_scan(repo, work / f"growth-{size}.json"))
    return found


def growth_table(title: str, rows: list[tuple[Size, dict[str, int], Step]]) -> None:
    print(f"  {title}")
    print(
        f"    {'nodes':>6} {'upstream':>8} {'carried':>8} {'nodes x history':>16} {'cold s':>8} "
        f"{'ms/carried':>10} {'us/(node x history)':>20} {'peak MiB':>9}"
    )
    for size, counts, step in rows:
        product = size.nodes * size.upstream
        print(
            f"    {size.nodes:>6,} {size.upstream:>8,} {counts['carried']:>8,} {product:>16,} {step.seconds:>8.2f} "
            f"{1000 * step.seconds / counts['carried']:>10.2f} {1e6 * step.seconds / product:>20.3f} "
            f"{step.peak_mib:>9.0f}"
        )


def progress(what: str) -> None:
    print(f"  ... {what}", file=sys.stderr, flush=True)


def figure(label: str, seconds: float, rest: str = "", peak: float | None = None, note: str = "") -> None:
    memory = f"peak {peak:5.0f} MiB" if peak is not None else ""
    print(f"{label:<62} {seconds:8.2f} s  {rest:<26} {memory:<14} {note}".rstrip())


# main -----------------------------------------------------------------------------------------


def main() -> None:  # noqa: PLR0915  (one figure after another)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 nodes and a smaller growth series")
    parser.add_argument("--keep", type=Path, default=HERE / "out", help="where generated networks are kept")
    parser.add_argument("--nodes", type=int, help="nodes of the main network (default 10,000; --quick 2,000)")
    parser.add_argument("--carried", type=int, default=8, help="carried commits per node")
    parser.add_argument("--upstream", type=int, default=2000, help="central's commits")
    parser.add_argument("--runs", type=int, default=3, help="warm runs; the median is shown")
    parser.add_argument("--sample", type=int, default=200, help="nodes the git baselines run on")
    parser.add_argument("--child-warm", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_warm is not None:
        child_warm(args.child_warm)
        return
    nodes = args.nodes or (2000 if args.quick else 10_000)
    main_size = Size(nodes, args.carried, args.upstream)
    small = [nodes // 10, nodes // 5, nodes * 2 // 5]  # 1,000 / 2,000 / 4,000 of 10,000
    by_nodes = [Size(n, args.carried, args.upstream) for n in small]
    middle = small[1]
    by_history = [Size(middle, args.carried, u) for u in (args.upstream // 2, args.upstream * 2, args.upstream * 4)]
    if args.quick:
        by_history = by_history[::2]
    few = nodes // 25  # 400 of 10,000: does history cost per node (nodes x history) or once (+ history)?
    by_history_few = [Size(few, args.carried, args.upstream // 2), Size(few, args.carried, args.upstream * 4)]

    began = time.perf_counter()
    compileall.compile_dir(ROOT / "forkflow", quiet=1)  # as pip does on install: imports read bytecode
    args.keep.mkdir(parents=True, exist_ok=True)
    repo = network(args.keep, main_size)
    total = totals(repo)
    print(
        f"network {repo}: {total['nodes']:,} nodes, {total['carried']:,} carried commits "
        f"({args.carried} a node), {args.upstream:,} upstream commits, {total['commits']:,} commits, "
        f"{total['objects']:,} objects",
        flush=True,
    )
    help_text = subprocess.run(
        forkflow("scan", "--help"), check=True, capture_output=True, text=True, env=environment()
    ).stdout
    run_id = ["--run-id", "bench"] if "--run-id" in help_text else []

    with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
        work = Path(folder)
        progress("git baselines")
        warm_git, cold_git, sampled = git_baselines(repo, args.sample)
        progress("cold scan")
        cold = cold_scan(repo, work / "cold.json")
        progress("warm scans")
        stored = store_size(repo)
        warm = median(
            [run(forkflow("scan", "--json", "--repo", str(repo)), work / "warm.json") for _ in range(args.runs)]
        )
        growth_per_scan = (store_size(repo) - stored) / args.runs
        parts = sorted((warm_in_process(repo) for _ in range(args.runs)), key=lambda figures: figures["scan"])
        inner = parts[len(parts) // 2]
        bare, cli_import = start_up()
        progress("the next day")
        next_day = str(int(EPOCH) + 86_400)  # every age moves: the cached report is printed again, and cached so
        day_after = run(forkflow("scan", "--json", "--repo", str(repo)), work / "next-day.json", epoch=next_day)
        same_day = run(forkflow("scan", "--json", "--repo", str(repo)), work / "next-day-again.json", epoch=next_day)
        progress("one machine, no cache, the next day")
        run(forkflow("scan", "--json", "--no-cache", "--repo", str(repo)), work / "fresh.json", epoch=next_day)
        next_equal = same_bytes(work / "next-day.json", work / "fresh.json")
        next_equal_again = same_bytes(work / "next-day-again.json", work / "fresh.json")
        progress("one machine, no cache")
        one = run(forkflow("scan", "--json", "--no-cache", "--repo", str(repo)), work / "one.json")
        sharded = {}
        for count in (4, 16):
            progress(f"{count} shards")
            sharded[count] = shards(repo, count, run_id, work / f"collect-{count}.json")
        progress("growth")
        grown = growth(args.keep, [*by_nodes, *by_history, *by_history_few], work)
        grown[main_size] = (total, cold)
        cold_equal = same_bytes(work / "cold.json", work / "one.json")
        warm_equal = same_bytes(work / "warm.json", work / "cold.json")
        collected = {count: same_bytes(work / f"collect-{count}.json", work / "one.json") for count in sharded}

    in_process = inner["open"] + inner["scan"]
    print(f"SOURCE_DATE_EPOCH={EPOCH}; every step a child process; time = wall clock; peak = largest process RSS")
    print(f"baselines: git loops on {sampled} of {len(pairs(repo)):,} nodes, extrapolated to all of them")
    figure("  for-each-ref + rev-list --left-right --count per node", warm_git, "(extrapolated)")
    figure("  for-each-ref + rev-list --count + git cherry per node", cold_git, "(extrapolated)")
    figure(
        "cold scan, empty store (scan --json)",
        cold.seconds,
        f"{cold_git / cold.seconds:6.1f}x the cold git loop",
        cold.peak_mib,
    )
    target = f"target < {WARM_TARGET:.0f} s: {'met' if warm.seconds < WARM_TARGET else 'NOT met'}"
    speed = f"{warm_git / warm.seconds:6.1f}x the warm git loop"
    figure(
        f"warm scan, nothing changed (scan --json, median of {args.runs})", warm.seconds, speed, warm.peak_mib, target
    )
    print(f"  the store grows by {growth_per_scan / 2**10:.1f} KiB a warm scan (the history row of each run)")
    figure("warm scan the next day (every age moved: printed again)", day_after.seconds, "", day_after.peak_mib)
    figure("  and again that day", same_day.seconds, "", same_day.peak_mib)
    print(f"  both == that day's scan --json --no-cache, byte for byte: {next_equal}, {next_equal_again}")
    target = f"target < {WARM_TARGET:.0f} s: {'met' if in_process < WARM_TARGET else 'NOT met'}"
    speed = f"{warm_git / in_process:6.1f}x the warm git loop"
    figure("warm scan in-process (open_workspace + scan_document)", in_process, speed, inner["peak_mib"], target)
    print("  where the warm CLI run's time goes (in-process parts: the median run by scan_document's time)")
    figure("    python start-up (python -c pass)", bare)
    figure("    import forkflow.cli, beyond start-up", cli_import - bare)
    figure("    open_workspace: manifest (its cached parse), network, store", inner["open"])
    figure("    scan_document: heads, key, cached text read and restamped", inner["scan"])
    figure("    writing the text (what --json prints)", inner["print_json"])
    figure("    record_scan (the history row)", inner["record"])
    figure("one machine, no cache (scan --json --no-cache)", one.seconds, "", one.peak_mib)
    for count, (steps, collect) in sharded.items():
        times = [step.seconds for step in steps]
        print(
            f"shards N={count} (scan --shard K/{count}{' --run-id bench' if run_id else ''}, one after another): "
            f"per shard min {min(times):.2f} / median {statistics.median(times):.2f} / max {max(times):.2f} s; "
            f"total {sum(times):.2f} s; peak {max(step.peak_mib for step in steps):.0f} MiB"
        )
        parallel = f"N machines at once: slowest shard + collect = {max(times) + collect.seconds:.2f} s"
        figure(f"  collect (scan --collect --json), N={count}", collect.seconds, "", collect.peak_mib, parallel)
        print(f"  collect == one machine's scan --json --no-cache, byte for byte: {collected[count]}")
    print(f"cold scan == scan --json --no-cache, byte for byte: {cold_equal}")
    print(f"warm scan == cold scan, byte for byte: {warm_equal}")
    print("growth: cold scans (scan --json, empty store), per carried commit and per node x history commit")
    growth_table(
        f"more nodes, {args.upstream:,} upstream commits",
        [(size, *grown[size]) for size in sorted(grown, key=lambda size: size.nodes) if size.upstream == args.upstream],
    )
    growth_table(
        f"longer history, {middle:,} nodes",
        [(size, *grown[size]) for size in sorted(grown, key=lambda size: size.upstream) if size.nodes == middle],
    )
    short, long = args.upstream // 2, args.upstream * 4
    cold_of = {size: step.seconds for size, (_, step) in grown.items()}
    extra = [cold_of[Size(n, args.carried, long)] - cold_of[Size(n, args.carried, short)] for n in (few, middle)]
    growth_table(
        f"the same history at {few:,} nodes",
        [(size, *grown[size]) for size in sorted(grown, key=lambda size: size.upstream) if size.nodes == few],
    )
    print(
        f"  history from {short:,} to {long:,} upstream commits adds {extra[0]:.2f} s at {few:,} nodes and "
        f"{extra[1]:.2f} s at {middle:,} ({extra[1] / extra[0]:.1f}x; "
        f"were the cost nodes x history, {middle / few:.0f}x)"
    )
    print(f"whole benchmark: {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
