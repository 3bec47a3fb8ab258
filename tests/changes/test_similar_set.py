"""The labelled set of similar and different changes: complete, real commits, no identical pairs, deterministic."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest

from benchmarks.similar_set import CATEGORIES, NEGATIVE, POSITIVE, Case, build_labelled_set

PER_CATEGORY = 3


def git(repo: Path, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True, text=True, check=True)
    return result.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Case]]:
    repo = tmp_path_factory.mktemp("similar") / "repo"
    return repo, build_labelled_set(repo, seed=1, per_category=PER_CATEGORY)


def patch_ids(repo: Path, patches: dict[str, str]) -> dict[str, str]:
    """`git patch-id --stable` of each patch, in one call (each patch named by a 40-hex key)."""
    stream = "".join(f"commit {key}\n\n{patch}" for key, patch in patches.items())
    ids = {}
    for line in git(repo, "patch-id", "--stable", stdin=stream).splitlines():
        patch_id, key = line.split()
        ids[key] = patch_id
    return ids


def test_every_category_has_its_cases_and_label(built: tuple[Path, list[Case]]) -> None:
    _, cases = built
    assert [c.category for c in cases] == [c for c in CATEGORIES for _ in range(PER_CATEGORY)]
    for case in cases:
        assert case.same == (case.category in POSITIVE), case
        assert case.category in POSITIVE or case.category in NEGATIVE


def test_sides_are_chains_of_existing_commits(built: tuple[Path, list[Case]]) -> None:
    repo, cases = built
    for case in cases:
        for side in (case.left, case.right):
            assert side, case
            assert all(len(oid) == 40 and int(oid, 16) >= 0 for oid in side)
            for parent, child in itertools.pairwise(side):
                assert git(repo, "rev-parse", f"{child}^").strip() == parent
        assert set(case.left).isdisjoint(case.right)
    every = [oid for case in cases for oid in (*case.left, *case.right)]
    assert len(set(every)) == len(every)
    for oid in every:
        subprocess.run(["git", "-C", str(repo), "cat-file", "-e", f"{oid}^{{commit}}"], check=True)
    git(repo, "fsck", "--no-progress")


def test_no_pair_is_byte_identical(built: tuple[Path, list[Case]]) -> None:
    repo, cases = built
    sides = {
        side[-1]: git(repo, "diff", "--no-ext-diff", f"{side[0]}^", side[-1])
        for c in cases
        for side in (c.left, c.right)
    }
    whole = patch_ids(repo, sides)
    assert set(whole) == set(sides)
    commits = [oid for c in cases for oid in (*c.left, *c.right)]
    shown = git(repo, "diff-tree", "-p", "--no-ext-diff", "--stdin", stdin="\n".join(commits) + "\n")
    one_by_one: dict[str, str] = {}
    for line in git(repo, "patch-id", "--stable", stdin=shown).splitlines():
        patch_id, oid = line.split()
        one_by_one[oid] = patch_id
    assert set(one_by_one) == set(commits)
    for case in cases:
        assert whole[case.left[-1]] != whole[case.right[-1]], case
        left = {one_by_one[oid] for oid in case.left}
        right = {one_by_one[oid] for oid in case.right}
        assert left.isdisjoint(right), case


def test_the_same_seed_gives_the_same_commits(built: tuple[Path, list[Case]], tmp_path: Path) -> None:
    _, cases = built
    assert build_labelled_set(tmp_path / "again", seed=1, per_category=PER_CATEGORY) == cases


def test_the_folder_must_be_new_or_empty(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError):
        build_labelled_set(tmp_path, per_category=1)
