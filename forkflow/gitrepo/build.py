"""Writing history in memory: commits from file contents, cherry-picks and merges, pushes.

Used to build example networks (``forkflow demo``, the benchmarks); nothing here touches a
work tree.
"""

from __future__ import annotations

from dataclasses import dataclass

import pygit2
from pygit2.enums import FileMode

from forkflow.credential import Credential
from forkflow.errors import ConflictError, GitError
from forkflow.gitrepo.repo import GitRepo, commit_at, conflicting_paths
from forkflow.types import CommitId

REGULAR = 0o100644
EXECUTABLE = 0o100755


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class FileChange:
    """Set ``path`` to ``data`` with ``mode``; ``data=None`` removes it."""

    path: str
    data: bytes | None
    mode: int = REGULAR


class HistoryBuilder:
    """Writes commits into one repository without a work tree."""

    def __init__(self, repo: GitRepo):
        self._repo = repo.raw

    def read(self, commit_id: str, path: str) -> tuple[bytes, int] | None:
        """The content and mode of ``path`` at a commit, or None when it has no such file."""
        tree = self._commit(commit_id).tree
        try:
            entry = tree[path]
        except KeyError:
            return None
        blob = self._repo[entry.id]
        if not isinstance(blob, pygit2.Blob):
            return None
        return bytes(blob.data), int(entry.filemode)

    def commit(
        self,
        parents: list[str],
        changes: list[FileChange],
        author: Person,
        when: int,
        message: str,
        *,
        committer_when: int | None = None,
    ) -> CommitId:
        """A commit on ``parents[0]``'s tree (or an empty tree) with ``changes`` applied."""
        index = pygit2.Index()
        if parents:
            index.read_tree(self._commit(parents[0]).tree)
        for change in changes:
            if change.data is None:
                index.remove(change.path)
            else:
                blob = self._repo.create_blob(change.data)
                index.add(pygit2.IndexEntry(change.path, blob, FileMode(change.mode)))
        tree = index.write_tree(self._repo)
        return self._write(parents, tree, author, when, message, committer_when)

    def cherry_pick(self, commit_id: str, onto: str, committer: Person, when: int) -> CommitId:
        """Apply a commit's change onto ``onto`` (keeping its author and message), as git cherry-pick."""
        picked = self._commit(commit_id)
        if len(picked.parents) != 1:
            raise GitError(f"{commit_id[:12]} is a root or a merge commit; it cannot be picked")
        index = self._repo.merge_trees(picked.parents[0].tree, self._commit(onto).tree, picked.tree)
        self._refuse_conflicts(index, f"picking {commit_id[:12]} onto {onto[:12]}")
        tree = index.write_tree(self._repo)
        author = Person(picked.author.name, picked.author.email)
        return self._write([onto], tree, author, int(picked.author.time), picked.message, when, committer=committer)

    def merge(self, ours: str, theirs: str, author: Person, when: int, message: str) -> CommitId:
        """A merge commit of ``theirs`` into ``ours``; refuses when the merge would conflict."""
        index = self._repo.merge_commits(pygit2.Oid(hex=ours), pygit2.Oid(hex=theirs))
        self._refuse_conflicts(index, f"merging {theirs[:12]} into {ours[:12]}")
        tree = index.write_tree(self._repo)
        return self._write([ours, theirs], tree, author, when, message, None)

    def push(self, url: str, refspecs: list[str], credential: Credential | None = None) -> None:
        from forkflow.gitrepo.remote import push_refs

        push_refs(GitRepo(self._repo.path), url, refspecs, credential)

    def _write(
        self,
        parents: list[str],
        tree: pygit2.Oid,
        author: Person,
        when: int,
        message: str,
        committer_when: int | None,
        committer: Person | None = None,
    ) -> CommitId:
        signature = pygit2.Signature(author.name, author.email, when, 0)
        who = committer or author
        committed = pygit2.Signature(who.name, who.email, committer_when or when, 0)
        oid = self._repo.create_commit(None, signature, committed, message, tree, [pygit2.Oid(hex=p) for p in parents])
        return CommitId(str(oid))

    def _commit(self, commit_id: str) -> pygit2.Commit:
        return commit_at(self._repo, commit_id)

    @staticmethod
    def _refuse_conflicts(index: pygit2.Index, what: str) -> None:
        paths = conflicting_paths(index)
        if paths:
            raise ConflictError(f"{what} conflicts in: {', '.join(paths)}")


def clone(source: str, dest: str) -> GitRepo:
    """A clone with a work tree."""
    try:
        pygit2.clone_repository(source, dest)
    except (pygit2.GitError, OSError) as err:
        raise GitError(f"cloning {source} failed: {err}") from err
    return GitRepo(dest)


def set_remote_url(repo: GitRepo, name: str, url: str) -> None:
    try:
        repo.raw.remotes.set_url(name, url)
    except (pygit2.GitError, KeyError, ValueError) as err:
        raise GitError(f"the url of remote {name!r} cannot be set: {err}") from err
