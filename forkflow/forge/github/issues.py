"""Proposals without a branch, as GitHub issues: a security fix that does not apply cleanly on a node.

A pull request needs a branch, so a backport whose cherry-pick conflicts is opened as an issue in
the node's repository instead: the same title, the body naming the conflicting files and the
commits for a person to finish, the label, and the hidden block that finds it again.  When the
fix applies later, the issue gives way to a pull request (and the other way round); either is
closed once the node has the fix.
"""

from __future__ import annotations

from typing import Any

from forkflow.forge import SECURITY_LABEL, Proposal, ProposalState
from forkflow.forge.github.client import GitHubClient
from forkflow.forge.meta import meta_block

ISSUE_KINDS = frozenset({"security"})
"""The kinds of proposal that are opened as an issue when they have no branch."""


def proposal_issues(client: GitHubClient, repository: Any) -> list[Any]:
    """The repository's issues (not pull requests) that may hold such proposals, in every state."""

    def listing() -> list[Any]:
        found = repository.issues(state="all", labels=SECURITY_LABEL)  # github3 follows the Link headers
        return [issue for issue in found if issue.pull_request_urls is None]  # GitHub lists pull requests too

    return client.call(listing, f"listing the issues of {repository.full_name}")


def open_issue(client: GitHubClient, repository: Any, proposal: Proposal) -> Any:
    return client.call(
        lambda: repository.create_issue(proposal.title, body=meta_block(proposal), labels=proposal.labels),
        f"opening an issue in {repository.full_name}",
    )


def edit_issue(client: GitHubClient, issue: Any, proposal: Proposal) -> None:
    state = "open" if proposal.state == ProposalState.OPEN else "closed"
    client.call(
        lambda: issue.edit(title=proposal.title, body=meta_block(proposal), state=state),
        f"updating issue #{issue.number}",
    )


def close_issue(client: GitHubClient, issue: Any, note: str | None = None) -> None:
    if note:
        client.call(lambda: issue.create_comment(note), f"commenting on issue #{issue.number}")
    client.call(lambda: issue.edit(state="closed"), f"closing issue #{issue.number}")
