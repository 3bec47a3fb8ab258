"""The dashboard as one GitLab issue in central's project, found again by the marker in its description.

As on GitHub: the issue remembered is looked at first, then the issues with the dashboard label;
two runs that raced and both made one leave two, and the next look keeps the oldest and closes
the others; a dashboard someone closed is reopened.  An unchanged description is not written again.
"""

from __future__ import annotations

from typing import Any

from forkflow.errors import ForgeError, RateLimited
from forkflow.forge import DASHBOARD_LABEL, DashboardIssue
from forkflow.forge.gitlab.client import GitLabClient

ISSUES = "the api scope and the Reporter role on central's project (to write issues)"


def find_dashboard(
    client: GitLabClient, project: Any, marker: str, remembered: int | None, *, repair: bool = True
) -> DashboardIssue | None:
    found = _marked(client, project, marker, remembered)
    if not found:
        return None
    keep, *extra = sorted(found, key=lambda issue: int(issue.iid))
    if repair:
        text = f"A duplicate of the forkflow dashboard #{keep.iid}; closed."
        for duplicate in extra:
            notes = duplicate.notes
            client.call(lambda n=notes: n.create({"body": text}), f"commenting on #{duplicate.iid}", needs=ISSUES)  # type: ignore[misc]
            duplicate.state_event = "close"
            client.call(duplicate.save, f"closing #{duplicate.iid}", needs=ISSUES)
        if keep.state != "opened":
            keep.state_event = "reopen"
            client.call(keep.save, f"reopening the dashboard #{keep.iid}", needs=ISSUES)
    return as_dashboard(keep)


def _marked(client: GitLabClient, project: Any, marker: str, remembered: int | None) -> list[Any]:
    candidates: list[Any] = client.call(
        lambda: project.issues.list(state="all", labels=[DASHBOARD_LABEL], get_all=True),
        f"listing the dashboard issues of {project.path_with_namespace}",
        needs=ISSUES,
    )
    if remembered is not None and all(int(issue.iid) != remembered for issue in candidates):
        try:
            candidates.append(client.call(lambda: project.issues.get(remembered), f"reading #{remembered}"))
        except RateLimited:
            raise
        except ForgeError:
            pass  # deleted, or never there: the label's listing is the truth
    return [issue for issue in candidates if marker in (issue.description or "").splitlines()]


def create_dashboard(client: GitLabClient, project: Any, title: str, body: str) -> DashboardIssue:
    issue = client.call(
        lambda: project.issues.create({"title": title, "description": body, "labels": DASHBOARD_LABEL}),
        f"creating the dashboard issue in {project.path_with_namespace}",
        needs=ISSUES,
    )
    return as_dashboard(issue)


def edit_dashboard(client: GitLabClient, project: Any, number: int, title: str, body: str) -> DashboardIssue:
    issue = client.call(lambda: project.issues.get(number), f"reading the dashboard #{number}", needs=ISSUES)
    if issue.title != title or (issue.description or "") != body:
        issue.title, issue.description = title, body
        client.call(issue.save, f"updating the dashboard #{number}", needs=ISSUES)
    return as_dashboard(issue)


def as_dashboard(issue: Any) -> DashboardIssue:
    return DashboardIssue(
        number=int(issue.iid), title=str(issue.title or ""), body=str(issue.description or ""), url=issue.web_url
    )
