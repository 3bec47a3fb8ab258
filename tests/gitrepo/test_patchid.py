"""forkflow's patch-id is git's: `git diff-tree -p --root <c> | git patch-id --stable`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from forkflow.gitrepo import GitRepo
from forkflow.gitrepo.patchid import stable_patch_id
from tests.gitcli import Git
from tests.gitrepo.kinds import every_kind


@pytest.fixture(scope="module")
def kinds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Git, dict[str, str]]:
    git = Git.init(tmp_path_factory.mktemp("kinds"))
    return git, every_kind(git)


KINDS = [
    "root",
    "indent-heuristic",
    "rename",
    "rename-with-edit",
    "mode",
    "mode-and-edit",
    "delete",
    "binary-add",
    "binary-change",
    "binary-and-text",
    "empty-file",
    "no-newline",
    "no-newline-change",
    "binary-delete",
    "symlink",
    "typechange",
    "quoted-names",
    "many-files",
    "crlf",
    "whitespace-only",
    "gitlink",
    "gitlink-change",
    "gitlink-delete",
    "side",
]


@pytest.mark.parametrize("kind", KINDS)
def test_patch_id_equals_git(kinds: tuple[Git, dict[str, str]], kind: str) -> None:
    git, made = kinds
    expected = git.patch_id(made[kind])
    assert expected is not None
    assert GitRepo(git.path).patch_facts(made[kind]).patch_id == expected


@pytest.mark.parametrize("kind", ["empty-commit", "merge"])
def test_no_patch_id_where_git_prints_none(kinds: tuple[Git, dict[str, str]], kind: str) -> None:
    git, made = kinds
    assert git.patch_id(made[kind]) is None
    assert GitRepo(git.path).patch_facts(made[kind]).patch_id is None


def test_diff_text_is_what_git_diff_tree_prints_for_text_changes(kinds: tuple[Git, dict[str, str]]) -> None:
    git, made = kinds
    for kind in ("indent-heuristic", "mode-and-edit", "delete", "no-newline-change", "quoted-names"):
        ours = GitRepo(git.path).diff_text(made[kind])
        theirs = subprocess.run(
            ["git", "diff-tree", "-p", "--no-renames", made[kind]], cwd=git.path, capture_output=True, check=True
        ).stdout
        # git's own output, less its first line (the commit id) and its index lines (which
        # patch-id skips and which forkflow only writes for binary files).
        expected = [line for line in theirs.splitlines(keepends=True)[1:] if not line.startswith(b"index ")]
        assert ours.splitlines(keepends=True) == expected, kind


def test_line_counts_and_paths_agree_with_git_numstat(kinds: tuple[Git, dict[str, str]]) -> None:
    git, made = kinds
    repo = GitRepo(git.path)
    for kind in ("indent-heuristic", "rename-with-edit", "quoted-names", "many-files", "delete"):
        out = git("show", "--no-renames", "--numstat", "-z", "--format=", made[kind])
        rows = [entry.strip("\n").split("\t", 2) for entry in out.split("\0") if entry.strip("\n")]
        facts = repo.patch_facts(made[kind])
        assert facts.insertions == sum(int(r[0]) for r in rows if r[0] != "-"), kind
        assert facts.deletions == sum(int(r[1]) for r in rows if r[1] != "-"), kind
        assert list(facts.paths) == sorted(r[2] for r in rows), kind


def test_binary_patch_id_follows_a_configured_abbreviation(tmp_path: Path) -> None:
    git = Git.init(tmp_path)
    git.commit("root", {"a.txt": "a\n"})
    commit = git.commit("binary", {"x.bin": b"\x00abc"})
    git("config", "core.abbrev", "12")
    expected = git.patch_id(commit)
    assert GitRepo(git.path).patch_facts(commit).patch_id == expected
    git("config", "core.abbrev", "7")
    assert GitRepo(git.path).patch_facts(commit).patch_id != expected


def test_binary_patch_id_follows_the_automatic_abbreviation_of_a_big_repository(tmp_path: Path) -> None:
    """From 16,384 packed objects on git abbreviates to eight digits, and so must forkflow."""
    git = Git.init(tmp_path)
    stream = b"".join(b"blob\ndata %d\nfiller %d\n" % (len(b"filler %d\n" % i), i) for i in range(17_000))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=tmp_path, input=stream, check=True)
    git.commit("root", {"a.txt": "a\n"})
    commit = git.commit("binary", {"x.bin": b"\x00abc"})
    assert " index 0000000" not in git("show", commit)  # git itself uses eight digits here
    assert GitRepo(git.path).abbrev_length() == 8
    assert GitRepo(git.path).patch_facts(commit).patch_id == git.patch_id(commit)


def test_port_keeps_gits_quirks_for_header_only_files() -> None:
    """An empty new file is hashed with the file after it: swapping them changes the id."""
    empty_first = [
        b"diff --git a/a b/a\n",
        b"new file mode 100644\n",
        b"diff --git a/b b/b\n",
        b"new file mode 100644\n",
        b"--- /dev/null\n",
        b"+++ b/b\n",
        b"@@ -0,0 +1 @@\n",
        b"+x\n",
    ]
    assert stable_patch_id(empty_first) is not None
    text_first = [*empty_first[2:], *empty_first[:2]]
    assert stable_patch_id(text_first) != stable_patch_id(empty_first)
    assert stable_patch_id([]) is None
