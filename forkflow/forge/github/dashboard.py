"""The dashboard as one GitHub issue in central's repository, found again by the marker in its body.

The issue is looked for before one is made (the number last seen first, then the issues with the
dashboard label), so a re-run, or a run after one stopped right after creating it, finds the same
issue.  Two runs that raced and both created one leave two: the next look keeps the oldest and
closes the others as duplicates, so there is one again.  A dashboard someone closed is reopened.
"""

from __future__ import annotations

from typing import Any

from forkflow.errors import ForgeError, RateLimited
from forkflow.forge import DASHBOARD_LABEL, DashboardIssue
from forkflow.forge.github.client import GitHubClient


def find_dashboard(
    client: GitHubClient, repository: Any, marker: str, remembered: int | None, *, repair: bool = True
) -> Any | None:
    """The dashboard issue (with ``repair``: reopened when closed, duplicates closed), or None when there is none."""
    found = _marked(client, repository, marker, remembered)
    if not found:
        return None
    keep, *extra = sorted(found, key=lambda issue: issue.number)
    if not repair:
        return keep
    text = f"A duplicate of the forkflow dashboard #{keep.number}; closed."
    for duplicate in extra:
        client.call(lambda d=duplicate: d.create_comment(text), f"commenting on #{duplicate.number}")  # type: ignore[misc]
        client.call(lambda d=duplicate: d.edit(state="closed"), f"closing #{duplicate.number}")  # type: ignore[misc]
    if keep.state != "open":
        client.call(lambda: keep.edit(state="open"), f"reopening the dashboard #{keep.number}")
    return keep


def _marked(client: GitHubClient, repository: Any, marker: str, remembered: int | None) -> list[Any]:
    """The issues (not pull requests) whose body holds the marker: the remembered one, and the labelled ones."""

    def listing() -> list[Any]:
        return list(repository.issues(state="all", labels=DASHBOARD_LABEL))  # github3 follows the Link headers

    candidates = client.call(listing, f"listing the dashboard issues of {repository.full_name}")
    if remembered is not None and all(issue.number != remembered for issue in candidates):
        try:
            candidates.append(client.call(lambda: repository.issue(remembered), f"reading #{remembered}"))
        except RateLimited:
            raise
        except ForgeError:
            pass  # deleted, or never there: the label's listing is the truth
    return [
        issue for issue in candidates if issue.pull_request_urls is None and marker in (issue.body or "").splitlines()
    ]


def create_dashboard(client: GitHubClient, repository: Any, title: str, body: str) -> Any:
    return client.call(
        lambda: repository.create_issue(title, body=body, labels=[DASHBOARD_LABEL]),
        f"creating the dashboard issue in {repository.full_name}",
    )


def edit_dashboard(client: GitHubClient, issue: Any, title: str, body: str) -> Any:
    if issue.title != title or (issue.body or "") != body:  # an unchanged body is not written again
        client.call(lambda: issue.edit(title=title, body=body), f"updating the dashboard #{issue.number}")
    return issue


def as_dashboard(issue: Any) -> DashboardIssue:
    return DashboardIssue(number=issue.number, title=issue.title or "", body=issue.body or "", url=issue.html_url)
