"""Security coverage on a real network, checked against git and timed against a git loop.

    python benchmarks/bench_security_real.py --repo DIR/repo.git --manifest DIR/forkflow.toml \\
        --fix NAME=COMMIT [--fix NAME=COMMIT ...]

The network is one ``benchmarks/realnet.py`` builds (central: the project's default branch;
every pull request a node).  Each ``--fix`` names one of central's real commits as a security
fix (no trailer needed: the fixes are given here, as a register would give them).  Prints the
coverage (covered by ancestry, patch or similar; not affected; missing), and checks every
"ancestry" and every "missing" answer against ``git merge-base --is-ancestor`` and every
"patch" answer against ``git cherry``.  The baseline is that git loop (one ``merge-base
--is-ancestor`` and one ``git cherry`` per node and fix), timed in the same run.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from forkflow.gitrepo import GitRepo
from forkflow.manifest.spec import load_manifest
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy
from forkflow.scan.nodes import resolve_heads
from forkflow.security.coverage import security_report
from forkflow.security.fixes import Fix


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--fix", action="append", required=True, metavar="NAME=COMMIT")
    args = parser.parse_args()
    repo = GitRepo(args.repo)
    network = Network(load_manifest(args.manifest))
    fixes = []
    for given in args.fix:
        name, _, commit = given.partition("=")
        full = repo.revparse(commit)
        when = datetime.fromtimestamp(repo.commit_info(full).commit_time, UTC)
        fixes.append(Fix(id=name, commits=[full], published=when, source="register"))
    started = time.perf_counter()
    heads, _ = resolve_heads(network, repo)
    central = heads[network.root]
    assert central is not None
    found = security_report(repo, network, Policy(), central, heads, fixes, datetime.now(UTC))
    ours = time.perf_counter() - started
    print(f"{len(heads) - 1} nodes x {len(fixes)} fixes: {found.percent}% covered or not affected")
    print(
        "  " + ", ".join(f"{k}: {v}" for k, v in sorted(Counter(f"{c.status}/{c.how}" for c in found.coverage).items()))
    )
    started = time.perf_counter()
    disagree = 0
    for c in found.coverage:
        head = heads[c.node]
        commit = next(f for f in fixes if f.id == c.fix).commits[0]
        has = git(args.repo, "merge-base", "--is-ancestor", commit, str(head)).returncode == 0
        cherry = git(args.repo, "cherry", str(head), commit, f"{commit}^").stdout.split()
        picked = cherry[:1] == ["-"]  # git cherry HEAD <fix> <fix>^: "-" when the node has the same patch
        if (
            (c.how == "ancestry" and not has)
            or (c.status == "missing" and (has or picked))
            or (c.how == "patch" and not picked)
        ):
            disagree += 1
            print(f"  disagrees with git: {c.fix} in {c.node}: {c.status}/{c.how}, git: ancestor={has} patch={picked}")
    loop = time.perf_counter() - started
    print(f"agrees with git on {len(found.coverage) - disagree} of {len(found.coverage)} answers")
    print(f"forkflow {ours:.2f} s; git loop {loop:.2f} s; ratio {loop / ours:.1f}x")


if __name__ == "__main__":
    main()
