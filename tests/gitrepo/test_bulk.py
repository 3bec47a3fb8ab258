"""The facts of many commits at once: the git engine and pygit2 agree on every fact, and both
agree with git's own commands."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from forkflow.changes.fingerprint import LINE_BUDGET
from forkflow.errors import UnreadableError
from forkflow.gitrepo import GitRepo, PatchFacts
from forkflow.gitrepo.bulk import (
    NO_FINGERPRINTS,
    Fingerprints,
    facts_of_diff,
    header_path,
    many_patch_facts,
    many_touched_paths,
    unquote,
)
from forkflow.gitrepo.engine import ENGINE_VARIABLE, diffs, git_binary
from tests.gitcli import Git
from tests.gitrepo.kinds import every_kind


@pytest.fixture(scope="module")
def kinds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Git, list[str]]:
    git = Git.init(tmp_path_factory.mktemp("kinds"))
    every_kind(git)
    return git, git("rev-list", "--all", "--reverse").split()


@pytest.fixture(params=["git", "pygit2"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test once with git's binary as the engine, once with pygit2 alone."""
    git_binary.cache_clear()
    if request.param == "pygit2":
        monkeypatch.setenv(ENGINE_VARIABLE, "pygit2")
    assert (git_binary() is None) == (request.param == "pygit2")
    yield request.param
    monkeypatch.undo()
    git_binary.cache_clear()


def one_by_one(repo: GitRepo, commits: list[str]) -> tuple[dict[str, PatchFacts | None], dict[str, object]]:
    facts: dict[str, PatchFacts | None] = {}
    paths: dict[str, object] = {}
    for commit in commits:
        try:
            facts[commit] = repo.patch_facts(commit)
        except UnreadableError:
            facts[commit] = None
        try:
            paths[commit] = repo.touched_paths(commit)
        except UnreadableError:
            paths[commit] = None
    return facts, paths


def test_every_fact_of_every_kind_of_commit_is_the_one_pygit2_gives(engine: str, kinds: tuple[Git, list[str]]) -> None:
    git, commits = kinds
    repo = GitRepo(git.path)
    facts, paths = one_by_one(repo, commits)
    assert dict(many_patch_facts(repo, commits)) == facts
    assert dict(many_touched_paths(repo, commits)) == paths
    assert sum(1 for found in facts.values() if found is not None and found.abbrev) >= 3  # binary files were in it


def test_without_git_patch_id_the_facts_of_gits_diff_text_are_computed_here(kinds: tuple[Git, list[str]]) -> None:
    """An older git (before 2.39) is not asked for patch-ids: the port reads the same text."""
    git, commits = kinds
    repo = GitRepo(git.path)
    parents = {commit: git("rev-list", "--parents", "-n", "1", commit).split()[1:] for commit in commits}
    items = [(commit, found[0] if found else None) for commit, found in parents.items() if len(found) < 2]
    texts = dict(diffs(repo.git_dir, items, patch=True))
    assert len(texts) == len(items) > 10
    for commit, text in texts.items():
        assert text is not None
        assert facts_of_diff(text, repo.abbrev_length()) == repo.patch_facts(commit), commit


def test_a_fingerprint_is_made_only_where_it_is_wanted(engine: str, kinds: tuple[Git, list[str]]) -> None:
    """Wanted always, or unless the commit's patch-id is in every one of its sets; both engines."""
    git, commits = kinds
    repo = GitRepo(git.path)
    eager, _ = one_by_one(repo, commits)
    plain = [c for c in commits if len(git("rev-list", "--parents", "-n", "1", c).split()) <= 2]  # no merges
    ids = {c: git.patch_id(c) for c in plain}
    empty = next(c for c in plain if ids[c] is None)
    first, met, half_met, unmet, *_ = [c for c in plain if ids[c] is not None]
    choice = Fingerprints(
        always=frozenset({first}),
        unless={
            met: (frozenset({ids[met], "0" * 40}),),
            half_met: (frozenset({ids[half_met]}), frozenset({"0" * 40})),
            unmet: (frozenset({ids[first]}),),
            empty: (frozenset({None}),),  # an empty diff meets an empty diff
        },
    )
    for chosen in (choice, choice.of([first, met, unmet, empty])):
        lean = dict(many_patch_facts(repo, commits, chosen))
        wanted = {c for c in plain if chosen.wanted(c, ids[c])}
        assert wanted == ({first, half_met, unmet} if chosen is choice else {first, unmet})
        for commit in commits:
            facts = eager[commit]
            assert facts is not None
            expected = facts if commit in wanted or commit not in plain else replace(facts, fingerprint=None)
            assert lean[commit] == expected, commit
    assert all(
        facts is not None and facts.fingerprint is None for c, facts in many_patch_facts(repo, plain, NO_FINGERPRINTS)
    )


def test_facts_of_diff_leave_out_only_the_fingerprint_when_asked(kinds: tuple[Git, list[str]]) -> None:
    git, commits = kinds
    repo = GitRepo(git.path)
    for commit in commits:
        text = repo.diff_text(commit)
        full = facts_of_diff(text, repo.abbrev_length())
        assert facts_of_diff(text, repo.abbrev_length(), fingerprint=False) == replace(full, fingerprint=None)


def test_patch_ids_and_paths_are_gits(engine: str, kinds: tuple[Git, list[str]]) -> None:
    git, commits = kinds
    found = dict(many_patch_facts(GitRepo(git.path), commits))
    named = dict(many_touched_paths(GitRepo(git.path), commits))
    for commit in commits:
        facts = found[commit]
        assert facts is not None and facts.patch_id == git.patch_id(commit), commit
        parents = git("rev-list", "--parents", "-n", "1", commit).split()[1:]
        against = [parents[0], commit] if parents else ["--root", commit]
        listed = [name for name in git("diff-tree", "-r", "-z", "--name-only", "--no-renames", *against).split("\0")]
        expected = sorted(name for name in listed[(0 if parents else 1) :] if name)
        assert list(named[commit] or ()) == expected, commit


def test_a_commit_over_the_fingerprint_budget_gets_the_same_facts_from_both_engines(
    engine: str, tmp_path: Path
) -> None:
    git = Git.init(tmp_path)
    git.commit("start", {"app.py": "def run():\n    return 1\n", "vendor/lib.js": "var start = 0;\n"})
    vendored = "".join(f"var generated_{n} = load_part({n});\n" for n in range(LINE_BUDGET + 10))
    fix = "def run():\n    if not ready():\n        raise NotReady()\n    return 1\n"
    files: dict[str, str | bytes | None] = {"vendor/lib.js": vendored, "app.py": fix, "logo.png": b"\x89PNG\0\1"}
    commit = git.commit("Vendor the library, check readiness", files)
    repo = GitRepo(tmp_path)
    facts = dict(many_patch_facts(repo, [commit]))[commit]
    assert facts == repo.patch_facts(commit)
    assert facts is not None and facts.patch_id == git.patch_id(commit)
    assert facts.insertions == LINE_BUDGET + 10 + 2 and facts.abbrev  # the binary file's ids are in the patch-id


def test_missing_objects_make_that_commit_unreadable_and_the_others_are_answered(engine: str, tmp_path: Path) -> None:
    git = Git.init(tmp_path)
    chain = [git.commit("before", {"a.txt": "a\n"}), git.commit("lost blob", {"b.txt": "lost\n"})]
    chain += [git.commit(f"after {n}", {"a.txt": f"a{n}\n"}) for n in range(3)]
    blob = git("rev-parse", f"{chain[1]}:b.txt").strip()
    (tmp_path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    repo = GitRepo(tmp_path)
    facts = dict(many_patch_facts(repo, [*chain, "0" * 40]))
    assert [facts[commit] is None for commit in chain] == [False, True, False, False, False]
    assert facts["0" * 40] is None  # no such commit
    assert all(facts[commit] == repo.patch_facts(commit) for commit in chain if commit != chain[1])
    assert dict(many_touched_paths(repo, chain))[chain[1]] == ("b.txt",)  # its trees are all there


@pytest.mark.parametrize(
    ("line", "path"),
    [
        (b"diff --git a/plain.txt b/plain.txt\n", b"plain.txt"),
        (b"diff --git a/with space b/x b/with space b/x\n", b"with space b/x"),
        (b'diff --git "a/ta\\"b\\t.txt" "b/ta\\"b\\t.txt"\n', b'ta"b\t.txt'),
        (b'diff --git "a/\\303\\251.txt" "b/\\303\\251.txt"\n', "é.txt".encode()),
    ],
)
def test_a_diff_header_names_its_path_as_git_wrote_it(line: bytes, path: bytes) -> None:
    assert header_path(line) == path


def test_unquoting_reads_every_escape_git_writes() -> None:
    assert unquote(b'"a\\\\b\\"c\\a\\b\\f\\n\\r\\t\\v\\001" rest') == b'a\\b"c\a\b\f\n\r\t\v\x01'
