"""Fetching a node's branch into the working repository (local paths and remote URLs)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pygit2

from forkflow.errors import FetchError, GitError
from forkflow.gitrepo.repo import GitRepo
from forkflow.types import CommitId

TransferProgress = Callable[[int, int], None]
"""Called with (objects received, objects in all) while a fetch runs."""


@dataclass(frozen=True)
class FetchOutcome:
    head: CommitId
    previous: CommitId | None
    branch: str

    @property
    def updated(self) -> bool:
        return self.head != self.previous


class _Callbacks(pygit2.RemoteCallbacks):
    def __init__(self, progress: TransferProgress | None = None, token: str | None = None):
        super().__init__()
        self._progress = progress
        self._token = token
        self.refused: list[str] = []

    def credentials(
        self, url: str, username_from_url: str | None, allowed_types: pygit2.enums.CredentialType
    ) -> pygit2.UserPass:
        """HTTPS with a GitHub token: the token is the password (it never appears in a URL)."""
        if self._token is None:
            raise pygit2.GitError(f"{url} asks for credentials; give a token (GITHUB_TOKEN or --token)")
        return pygit2.UserPass("x-access-token", self._token)

    def push_update_reference(self, refname: str, message: str | None) -> None:
        """The remote's verdict on one pushed ref: libgit2's push succeeds even when a hook refused the ref."""
        if message is not None:
            self.refused.append(f"{refname}: {message}")

    def transfer_progress(self, stats: pygit2.remotes.TransferProgress) -> None:
        if self._progress is not None:
            self._progress(int(stats.received_objects), int(stats.total_objects))


def fetch_branch(
    repo: GitRepo,
    url: str,
    branch: str | None,
    dest_ref: str,
    progress: TransferProgress | None = None,
    token: str | None = None,
) -> FetchOutcome:
    """Bring ``branch`` of ``url`` (its default branch when None) into ``dest_ref``.

    Nothing is transferred when ``dest_ref`` already holds the remote head.  The ref is
    written only after every object arrived, so an interrupted fetch changes nothing.
    """
    raw = repo.raw
    previous = repo.resolve(dest_ref)
    callbacks = _Callbacks(progress, token)
    try:
        remote = raw.remotes.create_anonymous(url)
        heads = {str(head.name): head for head in remote.list_heads(callbacks=callbacks)}
    except (pygit2.GitError, KeyError, ValueError, OSError) as err:
        # The message says what libgit2 said, the token scrubbed; the cause is left out of the chain
        # (from None, here and below), where its text would be unscrubbed.
        raise FetchError(f"cannot reach {url}: {_scrubbed(err, token)}") from None
    source = _source_ref(heads, branch, url)
    target = str(heads[source].oid)
    if previous == target:
        return FetchOutcome(CommitId(target), previous, source)
    try:
        remote.fetch([f"+{source}:{dest_ref}"], callbacks=callbacks, message=f"forkflow: fetch {url} {source}")
    except (pygit2.GitError, KeyError, OSError) as err:
        raise FetchError(f"fetching {source} from {url} failed: {_scrubbed(err, token)}") from None
    head = repo.resolve(dest_ref)
    if head is None:
        raise FetchError(f"fetching {source} from {url} wrote no {dest_ref}")
    return FetchOutcome(head, previous, source)


def _source_ref(heads: dict[str, pygit2.remotes.RemoteHead], branch: str | None, url: str) -> str:
    if branch is None:
        default = heads.get("HEAD")
        target = getattr(default, "symref_target", None) if default is not None else None
        if not target:
            raise FetchError(f'{url} has no default branch; name one with branch = "..."')
        return str(target)
    source = branch if branch.startswith("refs/") else f"refs/heads/{branch}"
    if source not in heads:
        known = ", ".join(sorted(h.removeprefix("refs/heads/") for h in heads if h.startswith("refs/heads/")))
        raise FetchError(f"{url} has no branch {branch!r} (it has: {known or 'no branches'})")
    return source


def push_refs(repo: GitRepo, url: str, refspecs: list[str], token: str | None = None) -> None:
    """Push ``refspecs`` to ``url`` (a path, file:// or https:// with a token); a refused ref is a GitError."""
    callbacks = _Callbacks(token=token)
    try:
        remote = repo.raw.remotes.create_anonymous(url)
        remote.push(refspecs, callbacks=callbacks)
    except (pygit2.GitError, KeyError, OSError) as err:
        raise GitError(f"pushing to {url} failed: {_scrubbed(err, token)}") from None  # as in fetch_branch
    if callbacks.refused:
        message = "; ".join(callbacks.refused)
        raise GitError(f"{url} refused the push: {message.replace(token, '***') if token else message}")


def _scrubbed(err: Exception, token: str | None) -> str:
    return str(err).replace(token, "***") if token else str(err)
