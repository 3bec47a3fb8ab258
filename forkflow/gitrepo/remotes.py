"""The remotes of a clone as git keeps them: each remote's url and the branch it calls its default."""

from __future__ import annotations

from dataclasses import dataclass

import pygit2

from forkflow.errors import GitError
from forkflow.gitrepo.repo import GitRepo

_GUESSED = ("main", "master")


@dataclass(frozen=True)
class RemoteInfo:
    """One remote: its name, its url, and its default branch as far as this clone knows it.

    ``branch`` is the target of ``refs/remotes/<name>/HEAD`` (``guessed`` False), else ``main`` or
    ``master`` when that was fetched (``guessed`` True), else None: the clone does not know it.
    ``ref`` is where that branch's head lives here (``refs/remotes/<name>/<branch>``).
    """

    name: str
    url: str | None
    branch: str | None
    guessed: bool

    @property
    def ref(self) -> str | None:
        return None if self.branch is None else f"refs/remotes/{self.name}/{self.branch}"


def list_remotes(repo: GitRepo) -> list[RemoteInfo]:
    """The remotes of ``repo``, by name."""
    raw = repo.raw
    try:
        remotes = sorted((str(remote.name), remote.url) for remote in raw.remotes)
    except (pygit2.GitError, ValueError) as err:
        raise GitError(f"{repo.git_dir}: the remotes cannot be read ({err})") from err
    return [RemoteInfo(name, url, *_default_branch(raw, name)) for name, url in remotes]


def _default_branch(raw: pygit2.Repository, name: str) -> tuple[str | None, bool]:
    prefix = f"refs/remotes/{name}/"
    head = raw.references.get(prefix + "HEAD")
    if head is not None and head.type == pygit2.enums.ReferenceType.SYMBOLIC:
        target = str(head.target)
        if target.startswith(prefix) and raw.references.get(target) is not None:
            return target.removeprefix(prefix), False
    for branch in _GUESSED:
        if raw.references.get(prefix + branch) is not None:
            return branch, True
    return None, False
