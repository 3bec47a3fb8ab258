"""The remotes of a real clone and the default branch each has there."""

from __future__ import annotations

from pathlib import Path

from forkflow.gitrepo import open_repository
from forkflow.gitrepo.remotes import RemoteInfo, list_remotes
from tests.gitcli import Git


def test_each_remote_and_its_default_branch(tmp_path: Path) -> None:
    work = Git.init(tmp_path / "work")
    head = work.commit("Initial", {"a.txt": "a\n"})
    work("remote", "add", "known", "/srv/known.git")
    work("update-ref", "refs/remotes/known/trunk", head)
    work("symbolic-ref", "refs/remotes/known/HEAD", "refs/remotes/known/trunk")
    work("remote", "add", "old", "https://example.edu/old.git")
    work("update-ref", "refs/remotes/old/master", head)
    work("remote", "add", "both", "../both.git")
    work("update-ref", "refs/remotes/both/main", head)
    work("update-ref", "refs/remotes/both/master", head)
    work("remote", "add", "dangling", "/srv/dangling.git")  # its HEAD names a branch never fetched
    work("symbolic-ref", "refs/remotes/dangling/HEAD", "refs/remotes/dangling/gone")
    work("remote", "add", "team/eng", "/srv/eng.git")
    work("update-ref", "refs/remotes/team/eng/main", head)
    work("remote", "add", "team", "/srv/team.git")  # team/eng/main is not team's
    assert list_remotes(open_repository(work.path)) == [
        RemoteInfo("both", "../both.git", "main", True),
        RemoteInfo("dangling", "/srv/dangling.git", None, False),
        RemoteInfo("known", "/srv/known.git", "trunk", False),
        RemoteInfo("old", "https://example.edu/old.git", "master", True),
        RemoteInfo("team", "/srv/team.git", None, False),
        RemoteInfo("team/eng", "/srv/eng.git", "main", True),
    ]
    assert RemoteInfo("team/eng", "/srv/eng.git", "main", True).ref == "refs/remotes/team/eng/main"


def test_a_clone_without_remotes(tmp_path: Path) -> None:
    work = Git.init(tmp_path / "work")
    assert list_remotes(open_repository(work.path)) == []
