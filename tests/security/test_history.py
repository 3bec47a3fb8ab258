"""Security coverage over time, from history: when each node got each fix (checked against git), and
the trend of coverage that rises when a node merges the fix."""

from __future__ import annotations

import json
from datetime import datetime

from click.testing import CliRunner

from forkflow.cli import main
from tests.gitcli import Git
from tests.security.test_coverage import campus

__all__ = ["campus"]  # the fixture, shared with the coverage tests


def committed(git: Git, commit: str) -> datetime:
    return datetime.fromisoformat(git("log", "-1", "--format=%cI", commit).strip())


def arrival(git: Git, fix: str, node: str) -> str:
    line = git("rev-list", "--first-parent", node).split()  # newest first
    having = [c for c in line if git.sh(f"git merge-base --is-ancestor {fix} {c}; echo $?").strip() == "0"]
    return having[-1]


def run(*args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code in (0, 4), result.output
    return dict(json.loads(result.stdout))


def test_since_when_each_node_has_the_fix_as_git_says(campus: tuple[Git, str]) -> None:
    git, fix = campus
    git.checkout("behind")
    git.commit("Behind's own page", {"behind.md": "ours\n"})
    git("merge", "-q", "--no-edit", "main")  # behind takes central, the fix with it, by a merge
    merge = git.head()
    git.commit("Behind goes on", {"behind.md": "ours, still\n"})
    git.checkout("main")
    found = run("security", "--repo", str(git.path), "--json")
    since = {c["node"]: c["since"] for c in found["coverage"]}
    # git: the oldest commit of the node's first-parent line that has the fix (merge-base --is-ancestor)
    arrived = {node: arrival(git, fix, node) for node in ("after", "behind")}
    assert arrived == {"after": fix, "behind": merge}  # main's own line has the fix itself; behind got it by the merge
    for node, commit in arrived.items():
        assert datetime.fromisoformat(since[node]) == committed(git, commit)
    assert datetime.fromisoformat(since["picked"]) == committed(git, git.head("picked"))  # the cherry-pick
    assert datetime.fromisoformat(since["retyped"]) == committed(git, git.head("retyped"))  # its own re-typed fix
    assert since["lean"] is None and since["slim"] is None  # not affected; missing


def test_the_trend_shows_coverage_rising_when_a_node_merges_the_fix(campus: tuple[Git, str]) -> None:
    git, fix = campus
    git.checkout("behind")
    git("merge", "-q", "--no-edit", "main")
    git.checkout("main")
    built = run("trend", "--repo", str(git.path), "--period", "week", "--json")
    points = built["security"]
    assert points and points[-1]["total"] == 6 and points[-1]["covered"] == 5  # slim still lacks it
    assert [p["percent"] for p in points] == sorted(p["percent"] for p in points)  # only ever rises here
    first = points[0]
    published = committed(git, fix)
    assert datetime.fromisoformat(first["end"]) >= published  # nothing before the fix was published
    result = CliRunner().invoke(main, ["trend", "--repo", str(git.path), "--period", "week"])
    assert "security coverage by week" in result.output and "83.3%" in result.output


def test_the_graph_and_libgit2_walks_agree(campus: tuple[Git, str]) -> None:
    """Ancestry and arrival come from one graph of the network; libgit2's walks are the fallback
    where the history cannot be loaded whole, and both give the same answers."""
    from forkflow.gitrepo import GitRepo
    from forkflow.scan.facts import CommitFacts
    from forkflow.security.coverage import _Ancestry

    git, fix = campus
    git.checkout("behind")
    git.commit("Behind's own page", {"behind.md": "ours\n"})
    git("merge", "-q", "--no-edit", "main")
    git.commit("Behind goes on", {"behind.md": "ours, still\n"})
    git.checkout("main")
    repo = GitRepo(git.path)
    heads = {name: git.head(name) for name in ("main", "after", "picked", "retyped", "lean", "slim", "behind")}
    graph = _Ancestry(repo, CommitFacts(repo, None), list(heads.values()))
    walks = _Ancestry(repo, CommitFacts(repo, None), list(heads.values()))
    walks.graph = None  # as when the history cannot be walked whole
    assert graph.graph is not None
    for head in heads.values():
        assert graph.has(fix, head) == walks.has(fix, head)
        if graph.has(fix, head):
            assert graph.arrival(fix, head) == walks.arrival(fix, head) == arrival(git, fix, head)
    assert [graph.has(fix, heads[n]) for n in ("after", "behind", "picked")] == [True, True, False]
