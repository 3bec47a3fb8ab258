"""Fetching a node's branch into the working repository (local paths and remote URLs)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pygit2

from forkflow.credential import Credential
from forkflow.errors import CredentialError, FetchError, GitError
from forkflow.gitrepo.auth import Answer, answer, refused
from forkflow.gitrepo.repo import GitRepo
from forkflow.types import CommitId
from forkflow.urls import url_problem

T = TypeVar("T")

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
    """libgit2's questions during one fetch or push, answered by :func:`answer`."""

    def __init__(
        self,
        progress: TransferProgress | None = None,
        credential: Credential | None = None,
        cwd: str | None = None,
    ):
        super().__init__()
        self._progress = progress
        self._credential = credential or Credential()
        self._cwd = cwd
        self._given: dict[tuple[str, int], Answer] = {}
        self.refused: list[str] = []

    def credentials(
        self, url: str, username_from_url: str | None, allowed_types: pygit2.enums.CredentialType
    ) -> Answer:
        """The credential for ``url``, or a :class:`CredentialError` that says why there is none.

        libgit2 asks again when the server refused what it was given (up to 15 times), so a
        second question of the same kind for the same url means "refused": it is answered
        with the reason instead of the same credential again.
        """
        wanted = pygit2.enums.CredentialType(allowed_types)
        key = (url, int(wanted))
        if key in self._given:
            raise CredentialError(refused(url, self._given[key], self._credential))
        given = answer(url, username_from_url, wanted, self._credential, self._cwd)
        self._given[key] = given
        return given

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
    credential: Credential | None = None,
) -> FetchOutcome:
    """Bring ``branch`` of ``url`` (its default branch when None) into ``dest_ref``.

    Nothing is transferred when ``dest_ref`` already holds the remote head.  The ref is
    written only after every object arrived, so an interrupted fetch changes nothing.
    ``credential`` answers a server that asks for one (see :mod:`forkflow.gitrepo.auth`).
    """
    problem = url_problem(url)
    if problem is not None:
        raise FetchError(f"{url!r} is not fetched: it {problem}")
    hide = (credential or Credential()).hide
    raw = repo.raw
    previous = repo.resolve(dest_ref)
    folder = _folder(repo)
    try:
        remote = raw.remotes.create_anonymous(url)
        listed = _interruptible(lambda: remote.list_heads(callbacks=_Callbacks(None, credential, folder)))
        heads = {str(head.name): head for head in listed}
    except (pygit2.GitError, KeyError, ValueError, OSError) as err:
        # The message says what libgit2 said, the token scrubbed; the cause is left out of the chain
        # (from None, here and below), where its text would be unscrubbed.
        raise FetchError(f"cannot reach {url}: {hide(str(err))}") from None
    source = _source_ref(heads, branch, url)
    target = str(heads[source].oid)
    if previous == target:
        return FetchOutcome(CommitId(target), previous, source)
    try:
        # callbacks of its own: a question it is asked is the first of this operation, not a refusal
        callbacks = _Callbacks(progress, credential, folder)
        message = f"forkflow: fetch {url} {source}"
        _interruptible(lambda: remote.fetch([f"+{source}:{dest_ref}"], callbacks=callbacks, message=message))
    except (pygit2.GitError, KeyError, OSError) as err:
        raise FetchError(f"fetching {source} from {url} failed: {hide(str(err))}") from None
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


def push_refs(repo: GitRepo, url: str, refspecs: list[str], credential: Credential | None = None) -> None:
    """Push ``refspecs`` to ``url`` (a path, file://, ssh or https://; ``credential`` answers a server
    that asks); a ref the remote refuses is a GitError."""
    problem = url_problem(url)
    if problem is not None:
        raise GitError(f"{url!r} is not pushed to: it {problem}")
    hide = (credential or Credential()).hide
    callbacks = _Callbacks(credential=credential, cwd=_folder(repo))
    try:
        remote = repo.raw.remotes.create_anonymous(url)
        _interruptible(lambda: remote.push(refspecs, callbacks=callbacks))
    except CredentialError as err:
        raise CredentialError(f"pushing to {url} failed: {hide(str(err))}") from None
    except (pygit2.GitError, KeyError, OSError) as err:
        # The message says what libgit2 said, the token hidden; the cause is left out of the chain
        # (from None, here and in fetch_branch), where its text would not be.
        raise GitError(f"pushing to {url} failed: {hide(str(err))}") from None
    if callbacks.refused:
        raise GitError(f"{url} refused the push: {hide('; '.join(callbacks.refused))}")


def _interruptible(work: Callable[[], T]) -> T:
    """``work`` (a network operation of libgit2's), run so that Ctrl-C or SIGTERM ends it at once.

    libgit2 retries a read that a signal interrupts, so a server that stalls would hold the
    process until it answers, the signal noticed only then.  The work runs in a thread of its
    own while this one waits, woken every tenth of a second to take the signal; the interrupted
    work is left to end with the process, and writes its ref only once every object arrived.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as err:  # handed to the waiting thread, raised there
            failure.append(err)

    thread = threading.Thread(target=run, name="forkflow-git-network", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.1)
    if failure:
        raise failure[0]
    return outcome[0]


def _folder(repo: GitRepo) -> str:
    """Where git runs for the repository's own configuration (its work tree, or the repository)."""
    return str(repo.raw.workdir or repo.raw.path)
