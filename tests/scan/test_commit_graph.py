"""The in-memory commit graph against git, on random histories full of merges."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from forkflow.gitrepo import GitRepo
from forkflow.scan.commit_graph import CommitGraph
from tests.gitcli import EPOCH, Git


def random_history(git: Git, seed: int, steps: int = 160) -> list[str]:
    """Branches forked anywhere, committed on, merged into each other (again and again); their names."""
    rng = random.Random(seed)
    stream: list[str] = []
    tips: dict[str, int] = {}
    made: list[int] = []

    def commit(branch: str, parents: list[int]) -> None:
        mark = len(made) + 1
        message = f"{branch} {mark}"
        stream.append(
            f"commit refs/heads/{branch}\nmark :{mark}\n"
            f"committer T <t@example.edu> {EPOCH + 60 * mark} +0000\ndata {len(message)}\n{message}\n"
        )
        stream.extend([f"from :{parents[0]}\n"] if parents else [])
        stream.extend(f"merge :{parent}\n" for parent in parents[1:])
        stream.append(f"M 644 inline f{mark % 7}\ndata {len(str(mark)) + 1}\n{mark}\n\n")
        made.append(mark)
        tips[branch] = mark

    commit("main", [])
    for _ in range(8):
        commit("main", [tips["main"]])
    for _ in range(steps):
        action = rng.random()
        if action < 0.45:  # a commit on some branch
            branch = rng.choice(sorted(tips))
            commit(branch, [tips[branch]])
        elif action < 0.65 or len(tips) < 3:  # a new branch from any commit made so far
            commit(f"b{len(tips)}", [rng.choice(made)])
        else:  # one branch merged into another
            into, other = rng.sample(sorted(tips), 2)
            commit(into, [tips[into], tips[other]])
    git("fast-import", "--quiet", input="".join(stream).encode())
    return sorted(tips)


def merged_by_definition(parents: dict[str, list[str]], parent: str, node: str) -> dict[str, str]:
    """The node's own first-parent commits that a merge on the parent's first-parent line
    brought in (oldest merge first; a merge's other parents bring their first-parent lines
    until they meet the line or something already brought), read from git's parent lists."""

    def first_parents(commit: str | None) -> list[str]:
        line = []
        while commit is not None:
            line.append(commit)
            commit = parents[commit][0] if parents[commit] else None
        return line

    line = first_parents(parent)
    on_line = set(line)
    brought: dict[str, str] = {}
    for merge in reversed(line):
        for side in parents[merge][1:]:
            for commit in first_parents(side):
                if commit in on_line or commit in brought:
                    break
                brought[commit] = merge
    found = {}
    for commit in first_parents(node):
        if commit in brought:
            if len(parents[commit]) < 2:
                found[commit] = brought[commit]
        elif commit in on_line:
            break
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_graph_answers_as_git_does(tmp_path: Path, seed: int) -> None:
    git = Git.init(tmp_path / "repo", bare=True)
    branches = random_history(git, seed)
    heads = {branch: git.head(branch) for branch in branches}
    parents = {line.split()[0]: line.split()[1:] for line in git("rev-list", "--parents", "--all").splitlines()}
    assert sum(len(p) > 1 for p in parents.values()) >= 10  # the history is full of merges
    graph = CommitGraph(*GitRepo(git.path).load_graph(sorted(set(heads.values()))))
    rng = random.Random(seed)
    pairs = [(a, b) for a in branches for b in branches if a != b]
    rng.shuffle(pairs)  # in any order: what one answer leaves behind must not change the next
    for parent, node in pairs[:60]:
        p, n = heads[parent], heads[node]
        span = graph.compare(p, n)
        ahead, behind = git.rev_list_count(p, n)
        assert (span.ahead, span.behind) == (ahead, behind), (parent, node)
        assert span.merge_bases == sorted(git("merge-base", "--all", p, n).split()), (parent, node)
        assert set(span.own) == set(git("rev-list", f"{p}..{n}").split())
        side = graph.parent_side(p, span.boundary)
        lacked = set(git("rev-list", f"{n}..{p}").split())
        assert set(side) == lacked and len(side) == len(lacked)
        assert all((commit in side) == (commit in lacked) for commit in parents)
        assert graph.merged_upstream(p, n) == merged_by_definition(parents, p, n), (parent, node)
    assert any(graph.merged_upstream(heads[p], heads[n]) for p, n in pairs[:60])  # the case is exercised


@pytest.mark.parametrize("seed", [4, 5])
def test_many_pairs_at_once_in_waves_answer_as_git_does(tmp_path: Path, seed: int) -> None:
    git = Git.init(tmp_path / "repo", bare=True)
    branches = random_history(git, seed)
    heads = {branch: git.head(branch) for branch in branches}
    rng = random.Random(seed)
    order = ["main", *rng.sample([b for b in branches if b != "main"], len(branches) - 1)]
    # a tree: each branch's parent is one placed before it, so some parents are other pairs' nodes
    tree = [(order[rng.randrange(i)], order[i]) for i in range(1, len(order))]
    assert any(parent != "main" for parent, _ in tree)
    pairs = list(dict.fromkeys((heads[parent], heads[node]) for parent, node in tree if heads[parent] != heads[node]))
    graph = CommitGraph(*GitRepo(git.path).load_graph(sorted(set(heads.values()))))
    spans = graph.compare_many(pairs)
    assert list(spans) == pairs
    for p, n in pairs:
        assert (spans[p, n].ahead, spans[p, n].behind) == git.rev_list_count(p, n)
        assert spans[p, n].merge_bases == sorted(git("merge-base", "--all", p, n).split())
        assert set(spans[p, n].own) == set(git("rev-list", f"{p}..{n}").split())
        assert set(graph.parent_side(p, spans[p, n].boundary)) == set(git("rev-list", f"{n}..{p}").split())
