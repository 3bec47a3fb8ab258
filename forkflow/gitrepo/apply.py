"""Applying commits onto another head in memory (a cherry-pick with no work tree), and merging.

Each commit is applied with a three-way merge of trees (its parent's, the current head's and
its own), as ``git cherry-pick`` does; the new commit keeps the original author and message,
with trailers added.  Nothing is written to a ref: the caller decides where the result goes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pygit2

from forkflow.errors import ConflictError, GitError, UnreadableError
from forkflow.gitrepo.build import Person
from forkflow.gitrepo.repo import GitRepo, commit_at, conflicting_paths
from forkflow.types import CommitId

_TRAILER = re.compile(r"^[A-Za-z0-9-]+: .+$")


@dataclass(frozen=True)
class Applied:
    """The result of applying commits onto a head.

    ``head`` is the last commit written (``onto`` itself when every commit was already
    there); when a commit conflicts, ``head`` is None and ``conflicts`` names the paths and
    ``failed`` the commit.
    """

    onto: CommitId
    head: CommitId | None
    conflicts: tuple[str, ...] = ()
    failed: CommitId | None = None
    skipped: tuple[CommitId, ...] = ()  # commits whose change the head already had

    @property
    def clean(self) -> bool:
        return self.head is not None

    @property
    def empty(self) -> bool:
        """Nothing to propose: the head already has every change."""
        return self.head == self.onto


def apply_commits(
    repo: GitRepo,
    onto: str,
    commits: Sequence[str],
    *,
    committer: Person,
    when: int,
    trailers: Mapping[str, Sequence[str]] | None = None,
) -> Applied:
    """Apply ``commits`` (oldest first) onto ``onto``; ``trailers`` maps a commit to lines to add."""
    raw = repo.raw
    head = commit_at(raw, onto)
    skipped: list[CommitId] = []
    for commit_id in commits:
        picked = commit_at(raw, commit_id)
        if len(picked.parents) != 1:
            raise GitError(f"{commit_id[:12]} is a root or a merge commit; it cannot be applied")
        try:
            index = raw.merge_trees(picked.parents[0].tree, head.tree, picked.tree)
        except (pygit2.GitError, KeyError) as err:
            raise UnreadableError(f"applying {commit_id[:12]}: objects are missing ({err})") from err
        paths = conflicting_paths(index)
        if paths:
            return Applied(CommitId(onto), None, tuple(paths), CommitId(commit_id), tuple(skipped))
        tree = index.write_tree(raw)
        if tree == head.tree_id:
            skipped.append(CommitId(commit_id))
            continue
        message = add_trailers(picked.message, (trailers or {}).get(commit_id, ()))
        author = pygit2.Signature(picked.author.name, picked.author.email, picked.author.time, picked.author.offset)
        signed = pygit2.Signature(committer.name, committer.email, when, 0)
        oid = raw.create_commit(None, author, signed, message, tree, [head.id])
        head = commit_at(raw, str(oid))
    return Applied(CommitId(onto), CommitId(str(head.id)), skipped=tuple(skipped))


def add_trailers(message: str, lines: Sequence[str]) -> str:
    """``message`` with trailer ``lines`` added to its trailer block (made when it has none)."""
    new = [line for line in lines if line not in message.splitlines()]
    if not new:
        return message
    text = message.rstrip("\n")
    paragraphs = text.split("\n\n")
    last = paragraphs[-1].splitlines() if len(paragraphs) > 1 else []
    joiner = "\n" if last and all(_TRAILER.match(line) for line in last) else "\n\n"
    return text + joiner + "\n".join(new) + "\n"


def merge_into(repo: GitRepo, ours: str, theirs: str, *, committer: Person, when: int, message: str) -> CommitId:
    """A merge commit of ``theirs`` into ``ours`` (in memory); raises ConflictError naming the paths."""
    raw = repo.raw
    try:
        index = raw.merge_commits(pygit2.Oid(hex=ours), pygit2.Oid(hex=theirs))
    except (pygit2.GitError, KeyError) as err:
        raise UnreadableError(f"merging {theirs[:12]} into {ours[:12]}: objects are missing ({err})") from err
    paths = conflicting_paths(index)
    if paths:
        raise ConflictError(f"merging {theirs[:12]} into {ours[:12]} conflicts in: {', '.join(paths)}")
    tree = index.write_tree(raw)
    signature = pygit2.Signature(committer.name, committer.email, when, 0)
    parents = [pygit2.Oid(hex=ours), pygit2.Oid(hex=theirs)]
    return CommitId(str(raw.create_commit(None, signature, signature, message, tree, parents)))


def is_ancestor(repo: GitRepo, ancestor: str, descendant: str) -> bool:
    if ancestor == descendant:
        return True
    try:
        return bool(repo.raw.descendant_of(pygit2.Oid(hex=descendant), pygit2.Oid(hex=ancestor)))
    except (pygit2.GitError, KeyError) as err:
        raise UnreadableError(f"cannot tell whether {ancestor[:12]} is in {descendant[:12]} ({err})") from err


def diffstat(repo: GitRepo, old: str, new: str) -> list[tuple[str, int, int]]:
    """(path, insertions, deletions) of every file that differs between two commits."""
    raw = repo.raw
    try:
        diff = commit_at(raw, old).tree.diff_to_tree(commit_at(raw, new).tree)
        out = []
        for patch in diff:
            if patch is None:
                continue
            _, added, removed = patch.line_stats
            out.append((patch.delta.new_file.path or patch.delta.old_file.path, int(added), int(removed)))
    except (pygit2.GitError, KeyError) as err:
        raise UnreadableError(f"diff of {old[:12]}..{new[:12]} cannot be read ({err})") from err
    return sorted(out)
