"""On a real network, what the tests check on generated ones: the warm scan is never stale, and
shards of a repository with missing objects collect as one machine.

    python benchmarks/trust_real.py --mirror PATH [--nodes N] [--also 123,456] [--out DIR] [--only shards|cache]

The network is made by ``benchmarks/realnet.py`` from a fetched mirror (central and one node per
pull request).  Every command runs as a user would run it (``python -m forkflow``), with a fixed
"now".  Prints, for each check, the figures and whether forkflow's outputs are the same bytes:

- one machine's ``scan --json --no-cache``, and how many nodes have commits it cannot read;
- four shards (``scan --shard K/4``) into a store of their own, then ``scan --collect``;
- the warm scan after each of these inputs changes, against ``--no-cache`` at that point: a
  local path added to the policy, the similarity threshold, a node's tier, a node removed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.realnet import build, missing_blobs  # noqa: E402
from forkflow.policy.rules import find_policy  # noqa: E402

EPOCH = "1767225600"


def forkflow(repo: Path, manifest: Path, *args: str) -> tuple[str, float]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    command = [sys.executable, "-m", "forkflow", *args, "--repo", str(repo), "--manifest", str(manifest)]
    start = time.perf_counter()
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=env, cwd=HERE.parent)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: some node had a problem, reported; the report is whole
        raise SystemExit(f"forkflow {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return done.stdout, elapsed


def figure(text: str) -> str:
    report = json.loads(text)
    needs = report["unmet_needs"]
    return f"{needs['percent']:.1f}% ({needs['unmet']} unmet, {needs['local']} local, {len(report['shared'])} shared)"


def check_shards(repo: Path, manifest: Path, out: Path) -> Iterator[str]:
    one, took = forkflow(repo, manifest, "scan", "--json", "--no-cache")
    unreadable = [node["name"] for node in json.loads(one)["nodes"] if node["unreadable"]]
    (out / "one-machine.json").write_text(one)
    yield f"one machine, --no-cache: {figure(one)} in {took:.1f} s; {len(unreadable)} node(s) with unreadable commits"
    store = out / "shards.sqlite"
    store.unlink(missing_ok=True)
    for number in range(1, 5):
        forkflow(repo, manifest, "scan", "--shard", f"{number}/4", "--store", str(store), "--run-id", "trust")
    collected, took = forkflow(
        repo, manifest, "scan", "--json", "--collect", "--store", str(store), "--run-id", "trust"
    )
    same = "the same bytes" if collected == one else "DIFFERENT"
    yield f"4 shards, then --collect: {figure(collected) if collected else 'no report'} in {took:.1f} s: {same}"


def check_cache(repo: Path, manifest: Path, out: Path) -> Iterator[str]:
    policy = out / "policy.toml"
    shutil.copy(find_policy("default", out), policy)
    text = manifest.read_text().replace('policy = "default"', f'policy = "{policy}"', 1)
    manifest.write_text(text)
    first, _ = forkflow(repo, manifest, "scan", "--json")
    nodes = [block for block in text.split("[[node]]") if 'parent = "central"' in block]
    changes = {
        'a local path ("docs/**")': (policy, '"**/*.local.*",', '"**/*.local.*",\n    "docs/**",'),
        "the similarity threshold (0.15 to 0.3)": (policy, "threshold = 0.15", "threshold = 0.3"),
        "a node's tier": (manifest, 'tier = "decentralized"', 'tier = "developer"'),
        "a node removed": (manifest, "[[node]]" + nodes[-1], ""),
    }
    yield f"warm store filled: {figure(first)}"
    for what, (path, old, new) in changes.items():
        path.write_text(path.read_text().replace(old, new, 1))
        warm, took = forkflow(repo, manifest, "scan", "--json")
        cold, _ = forkflow(repo, manifest, "scan", "--json", "--no-cache")
        same = "the same bytes as --no-cache" if warm == cold else "STALE: differs from --no-cache"
        yield f"after {what}: warm {figure(warm)} in {took:.1f} s: {same}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirror", type=Path, required=True)
    parser.add_argument("--nodes", type=int, default=300)
    parser.add_argument("--also", default="", metavar="N,N", help="pull requests to include besides the newest")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "trust")
    parser.add_argument("--only", choices=["shards", "cache"], help="run one of the two checks")
    args = parser.parse_args()
    also = tuple(int(n) for n in args.also.split(",") if n)
    repo = build(args.mirror, args.out, nodes=args.nodes, also=also)
    manifest = args.out / "forkflow.toml"
    print(f"network: {args.mirror} as {repo}, {len(manifest.read_text().split('[[node]]')) - 1} nodes")
    print(f"objects the refs reach that the repository lacks: {missing_blobs(repo)}", flush=True)
    checks = {"shards": check_shards, "cache": check_cache}
    for name, check in checks.items():
        if args.only in (None, name):
            for line in check(repo, manifest, args.out):
                print(f"  {line}", flush=True)


if __name__ == "__main__":
    main()
