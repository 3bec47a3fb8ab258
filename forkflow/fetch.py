"""``forkflow fetch``: bring every url-node's branch into the working repository."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from forkflow import faultpoints
from forkflow.errors import FetchError, GitError
from forkflow.gitrepo import GitRepo
from forkflow.gitrepo.remote import FetchOutcome, TransferProgress, fetch_branch
from forkflow.network import Network


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
    token: str | None = None,
) -> list[FetchResult]:
    """Fetch each step; a node that fails is reported with its reason and the others go on.

    ``token`` answers HTTPS servers that ask for credentials (GitHub); it never appears in errors.
    """
    results = []
    for step in steps:
        progress = on_start(step) if on_start is not None else None
        try:
            outcome = fetch_branch(repo, step.url, step.branch, step.dest_ref, progress, token)
            result = FetchResult(step, outcome=outcome)
        except (FetchError, GitError) as err:
            message = str(err).replace(token, "***") if token else str(err)
            result = FetchResult(step, error=message)
        results.append(result)
        if on_done is not None:
            on_done(result)
        faultpoints.reached("fetch.node-done")
    return results
