"""git's binary as the engine of bulk passes: found once, what git itself prints, and a commit it
cannot read leaves the others answered."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from forkflow.gitrepo.engine import ENGINE_VARIABLE, MALLOC_TUNABLES, _env, diffs, engine_name, git_binary
from tests.gitcli import Git
from tests.gitrepo.kinds import every_kind


@pytest.fixture
def fresh_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The engine looked for again in this test, and again after it (the lookup is kept per process)."""
    git_binary.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    git_binary.cache_clear()


@pytest.fixture(scope="module")
def kinds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Git, dict[str, str]]:
    git = Git.init(tmp_path_factory.mktemp("kinds"))
    return git, every_kind(git)


def first_parent(git: Git, commit: str) -> str | None:
    parents = git("rev-list", "--parents", "-n", "1", commit).split()[1:]
    return parents[0] if parents else None


def test_the_binary_is_the_git_on_the_path_and_its_version_is_read(fresh_engine: pytest.MonkeyPatch) -> None:
    found = git_binary()
    assert found is not None
    said = subprocess.run([found.path, "--version"], capture_output=True, text=True, check=True).stdout
    assert said.startswith(f"git version {found.version}")
    assert engine_name() == f"git {found.version}"


def test_the_engine_can_be_turned_off(fresh_engine: pytest.MonkeyPatch, kinds: tuple[Git, dict[str, str]]) -> None:
    fresh_engine.setenv(ENGINE_VARIABLE, "pygit2")
    assert git_binary() is None and engine_name() == "pygit2"
    git, made = kinds
    assert list(diffs(git.path / ".git", [(made["root"], None)], patch=True)) == [(made["root"], None)]


def test_each_commit_gets_what_git_diff_tree_prints_against_its_first_parent(kinds: tuple[Git, dict[str, str]]) -> None:
    git, made = kinds
    items = [(commit, first_parent(git, commit)) for commit in made.values()]
    patches = dict(diffs(git.path / ".git", items, patch=True))
    names = dict(diffs(git.path / ".git", items, patch=False))
    assert list(patches) == list(names) == [commit for commit, _ in items]
    for commit, parent in items:
        against = [parent, commit] if parent else ["--root", commit]
        expected = subprocess.run(
            ["git", "diff-tree", "-r", "-p", "--no-renames", *against], cwd=git.path, capture_output=True, check=True
        ).stdout
        if parent is None:
            expected = expected.split(b"\n", 1)[1]  # git heads a root commit's diff with its id
        assert patches[commit] == expected, commit
        listed = git("diff-tree", "-r", "-z", "--name-only", "--no-renames", *against)
        if parent is None:
            listed = listed.split("\0", 1)[1]
        assert names[commit] == listed.encode(), commit


def test_a_commit_git_cannot_read_is_left_out_and_the_next_pass_answers_the_rest(tmp_path: Path) -> None:
    git = Git.init(tmp_path)
    before = git.commit("before", {"a.txt": "a\n"})
    broken = git.commit("its blob will be missing", {"b.txt": "lost\n"})
    after = [git.commit(f"after {n}", {"a.txt": f"a{n}\n"}) for n in range(3)]
    blob = git("rev-parse", f"{broken}:b.txt").strip()
    (tmp_path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    chain = [before, broken, *after]
    items = [(commit, first_parent(git, commit)) for commit in chain]
    answers = list(diffs(tmp_path / ".git", items, patch=True))
    assert [commit for commit, _ in answers] == chain
    assert [text is None for _, text in answers] == [False, True, False, False, False]
    assert b"+a2\n" in dict(answers)[after[2]]
    assert all(text is not None for _, text in diffs(tmp_path / ".git", items, patch=False))  # trees are all there


def test_what_is_not_a_commit_id_is_never_given_to_git(kinds: tuple[Git, dict[str, str]]) -> None:
    git, made = kinds
    answers = dict(diffs(git.path / ".git", [("--output=/tmp/x", None), (made["root"], "HEAD")], patch=False))
    assert answers == {"--output=/tmp/x": None, made["root"]: None}


def test_a_pass_keeps_its_memory_for_reuse_unless_the_user_tuned_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    assert _env()["GLIBC_TUNABLES"] == MALLOC_TUNABLES
    assert _env()["GIT_TERMINAL_PROMPT"] == "0" and _env()["LC_ALL"] == "C"
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2")
    assert _env()["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=2"
