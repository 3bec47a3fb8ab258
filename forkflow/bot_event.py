"""The pull_request and issues events the bot is woken by (GITHUB_EVENT_PATH), read as untrusted input.

Only the fields the bot uses are read, each checked for its type (a commit id is 40 or 64 hex
digits); anything else in the event is ignored.  An event that is not what GitHub sends is a
EventError that names the field, never a crash.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from forkflow.errors import EventError

E = TypeVar("E", bound="_Event")
Sha = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")]


class _Event(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")


class EventRef(_Event):
    sha: Sha
    ref: Annotated[str, Field(max_length=1024)] = ""


class EventPull(_Event):
    number: Annotated[int, Field(ge=1)]
    head: EventRef
    base: EventRef


class EventRepository(_Event):
    full_name: Annotated[str, Field(max_length=300)] = ""


class PullRequestEvent(_Event):
    pull_request: EventPull
    repository: EventRepository = EventRepository()


class EventIssue(_Event):
    number: Annotated[int, Field(ge=1)]
    body: Annotated[str, Field(max_length=262144)] | None = None


class IssuesEvent(_Event):
    action: Annotated[str, Field(max_length=64)]
    issue: EventIssue


def dashboard_edit_ignored(event: dict[str, Any], network: str, *, enabled: bool = True) -> str | None:
    """Why an ``issues`` event calls for no run (None: it is an edit of the dashboard with a box ticked)."""
    from forkflow.dashboard.body import marker_line, ticked_ids

    parsed = _parse(IssuesEvent, event, "issues")
    if not enabled:
        return "the policy turns the dashboard off (dashboard.enabled = false)"
    if parsed.action != "edited":
        return f"the issues event is {parsed.action!r}, and only an edit of the dashboard ticks a box"
    body = parsed.issue.body or ""
    if marker_line(network) not in body.splitlines():
        return f"issue #{parsed.issue.number} is not the dashboard of network {network!r}"
    if not ticked_ids(body):
        return f"no box is ticked on the dashboard #{parsed.issue.number}"
    return None


def parse_pull_request_event(event: dict[str, Any]) -> PullRequestEvent:
    """The event's pull request, head and base, and repository; EventError naming the first wrong field."""
    return _parse(PullRequestEvent, event, "pull_request")


def _parse(model: type[E], event: dict[str, Any], name: str) -> E:
    try:
        return model.model_validate(event)
    except ValidationError as err:
        errors = err.errors()
        first = errors[0]
        where = ".".join(str(part) for part in first["loc"])
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        what = f"field {where!r}: {first['msg']}{more}"
        raise EventError(f"the {name} event (GITHUB_EVENT_PATH) is not what GitHub sends: {what}") from None
