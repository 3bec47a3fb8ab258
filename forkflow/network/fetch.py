"""``forkflow fetch``: bring every url-node's branch into the working repository."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from forkflow import faultpoints
from forkflow.credential import Credential
from forkflow.errors import FetchError, GitError
from forkflow.gitrepo import GitRepo
from forkflow.gitrepo.remote import FetchOutcome, TransferProgress, fetch_branch
from forkflow.network.tree import Network


@dataclass(frozen=True)
class FetchStep:
    """One node to fetch: from where, into which ref."""

    node: str
    url: str
    branch: str | None
    dest_ref: str


@dataclass(frozen=True)
class FetchResult:
    step: FetchStep
    outcome: FetchOutcome | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def plan_fetch(network: Network, only: set[str] | None = None) -> list[FetchStep]:
    """The url-nodes to fetch, in tree order (nodes named by ref need no fetch)."""
    steps = []
    for name in network.tree_order():
        spec = network.spec(name)
        if spec.url is None or spec.retired or (only is not None and name not in only):
            continue
        steps.append(FetchStep(name, network.manifest.resolve_url(spec.url), spec.branch, spec.head_ref))
    return steps


def apply_fetch(
    repo: GitRepo,
    steps: list[FetchStep],
    *,
    on_start: Callable[[FetchStep], TransferProgress | None] | None = None,
    on_done: Callable[[FetchResult], None] | None = None,
    credential: Credential | None = None,
) -> list[FetchResult]:
    """Fetch each step; a node that fails is reported with its reason and the others go on.

    ``credential`` answers servers that ask for credentials: its token goes only to the forge's
    hosts over https (:mod:`forkflow.credential`), and it never appears in errors.
    """
    hide = (credential or Credential()).hide
    results = []
    for step in steps:
        progress = on_start(step) if on_start is not None else None
        try:
            outcome = fetch_branch(repo, step.url, step.branch, step.dest_ref, progress, credential)
            result = FetchResult(step, outcome=outcome)
        except (FetchError, GitError) as err:
            result = FetchResult(step, error=hide(str(err)))
        results.append(result)
        if on_done is not None:
            on_done(result)
        faultpoints.reached("fetch.node-done")
    return results
