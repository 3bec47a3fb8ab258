"""The fake GitLab's endpoints: one method per operation, reading and changing `State` and the repositories.

Handlers return a `Response` or raise `ApiError`; the server turns errors into GitLab's error
JSON (`{"message": ...}` or `{"error": ...}`) and checks every answer against the API description.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from tests.fakeforge.gitops import Person
from tests.fakeforge.paging import link_header, page_of
from tests.fakegitlab.render import Renderer
from tests.fakegitlab.state import Identity, Label, Project, State, User

if TYPE_CHECKING:
    from tests.fakegitlab.server import Options

Json = dict[str, Any]
STATUS_STATES = ("pending", "running", "success", "failed", "canceled", "skipped")

ROUTES: list[tuple[str, str, str]] = [
    ("GET", "/user", "get_user"),
    ("GET", "/users", "list_users"),
    ("GET", "/groups/{id}", "get_group"),
    ("GET", "/groups/{id}/projects", "list_group_projects"),
    ("GET", "/namespaces/{id}", "get_namespace"),
    ("POST", "/projects", "create_project"),
    ("GET", "/projects/{id}", "get_project"),
    ("GET", "/projects/{id}/forks", "list_forks"),
    ("POST", "/projects/{id}/fork", "fork_project"),
    ("POST", "/projects/{id}/archive", "archive_project"),
    ("POST", "/projects/{id}/unarchive", "unarchive_project"),
    ("GET", "/projects/{id}/repository/branches", "list_branches"),
    ("GET", "/projects/{id}/repository/branches/{branch}", "get_branch"),
    ("GET", "/projects/{id}/repository/commits/{sha}", "get_commit"),
    ("GET", "/projects/{id}/repository/commits/{sha}/statuses", "list_statuses"),
    ("POST", "/projects/{id}/statuses/{sha}", "create_status"),
    ("GET", "/projects/{id}/labels", "list_labels"),
    ("POST", "/projects/{id}/labels", "create_label"),
    ("GET", "/projects/{id}/merge_requests", "list_merge_requests"),
    ("POST", "/projects/{id}/merge_requests", "create_merge_request"),
    ("GET", "/projects/{id}/merge_requests/{merge_request_iid}", "get_merge_request"),
    ("PUT", "/projects/{id}/merge_requests/{merge_request_iid}", "update_merge_request"),
    ("PUT", "/projects/{id}/merge_requests/{merge_request_iid}/merge", "merge_merge_request"),
    ("GET", "/projects/{id}/merge_requests/{noteable_id}/notes", "list_mr_notes"),
    ("POST", "/projects/{id}/merge_requests/{noteable_id}/notes", "create_mr_note"),
    ("PUT", "/projects/{id}/merge_requests/{noteable_id}/notes/{note_id}", "update_mr_note"),
    ("GET", "/projects/{id}/issues", "list_issues"),
    ("POST", "/projects/{id}/issues", "create_issue"),
    ("GET", "/projects/{id}/issues/{issue_iid}", "get_issue"),
    ("PUT", "/projects/{id}/issues/{issue_iid}", "update_issue"),
    ("GET", "/projects/{id}/issues/{noteable_id}/notes", "list_issue_notes"),
    ("POST", "/projects/{id}/issues/{noteable_id}/notes", "create_issue_note"),
    ("PUT", "/projects/{id}/issues/{noteable_id}/notes/{note_id}", "update_issue_note"),
]

JOB_TOKEN_REFUSES = frozenset(
    {
        "create_project",
        "fork_project",
        "archive_project",
        "unarchive_project",
        "create_label",
        "create_merge_request",
        "update_merge_request",
        "merge_merge_request",
        "create_mr_note",
        "update_mr_note",
        "create_issue",
        "update_issue",
        "create_issue_note",
        "update_issue_note",
    }
)
"""What a CI job token may not do by default (GitLab allows a job token only a short list of endpoints)."""


class ApiError(Exception):
    """An error answer: GitLab's `{"message": ...}` (or `{"error": ...}` with `key="error"`)."""

    def __init__(self, status: int, message: Any, *, key: str = "message", headers: dict[str, str] | None = None):
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.key = key
        self.headers = dict(headers or {})

    @property
    def body(self) -> Json:
        return {self.key: self.message}


def not_found(what: str) -> ApiError:
    return ApiError(404, f"404 {what} Not Found")


def missing(name: str) -> ApiError:
    """GitLab's answer to a missing required parameter (400, `error`)."""
    return ApiError(400, f"{name} is missing", key="error")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    query_string: str
    headers: dict[str, str]
    raw_body: bytes
    identity: Identity | None = None
    operation: Any = None
    _json: Json | None = field(default=None, repr=False)

    def json(self) -> Json:
        """The parameters: JSON body, form body or query (python-gitlab sends JSON)."""
        if self._json is None:
            data: Any = {}
            if self.raw_body:
                kind = self.headers.get("content-type", "")
                if "json" in kind:
                    try:
                        data = json.loads(self.raw_body)
                    except ValueError as error:
                        raise ApiError(400, "400 Bad request - invalid JSON", key="error") from error
                else:
                    data = dict(parse_qsl(self.raw_body.decode(errors="replace")))
            if not isinstance(data, dict):
                raise ApiError(400, "400 Bad request - the body must be an object", key="error")
            self._json = {**self.query, **data}
        return self._json

    @property
    def user(self) -> User:
        if self.identity is None:
            raise ApiError(401, "401 Unauthorized")
        return self.identity.user


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    internal: bool = False  # the fake's own failure: not validated


class BaseHandlers:
    """Helpers the handler mixins share (state lives on the fake)."""

    state: State
    renderer: Renderer
    options: Options
    api_url: str

    def _project(self, ref: str) -> Project:
        project = self.state.project(ref)
        if project is None:
            raise not_found("Project")
        return project

    def _writable(self, request: Request, project: Project) -> None:
        """403 unless the user may write to `project` (its namespace's user or a member of its group)."""
        user = request.user
        owner = project.namespace
        allowed = owner is user if isinstance(owner, User) else user.username in owner.members
        if not allowed:
            raise ApiError(403, "403 Forbidden")
        if project.archived:
            raise ApiError(403, "403 Forbidden - Project is archived")

    def _page(self, request: Request, items: list[Any]) -> Response:
        """One page, with GitLab's `X-Page`, `X-Per-Page`, `X-Next-Page`, `X-Prev-Page`, `X-Total(-Pages)` and `Link`."""
        chunk, page, per_page, last = page_of(items, request.query, 20, self.options.max_per_page)
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Next-Page": str(page + 1) if page < last else "",
            "X-Prev-Page": str(page - 1) if page > 1 else "",
            "X-Total": str(len(items)),
            "X-Total-Pages": str(last),
        }
        link = link_header(self.api_url + request.path, request.query_string, page, last, always=True)
        if link:
            headers["Link"] = link
        return Response(200, chunk, headers)

    def _sync_heads(self, project: Project) -> None:
        """Each open merge request's head, as GitLab keeps it in the target: `refs/merge-requests/IID/head`."""
        for (pid, iid), mr in self.state.merge_requests.items():
            if pid != project.id or mr.state != "opened":
                continue
            head = mr.source.git.branch(mr.source_branch)
            if head is None:
                continue
            ref = f"refs/merge-requests/{iid}/head"
            if mr.source is project:
                project.git.update_ref(ref, head)
            elif project.git.ref_target(ref) != head:
                project.git.fetch(mr.source.git_path, f"+refs/heads/{mr.source_branch}:{ref}")

    def _labels(self, project: Project) -> list[Label]:
        return self.state.labels.setdefault(project.id, [])

    def _ensure_labels(self, project: Project, names: list[str]) -> None:
        """GitLab creates a label that a merge request or issue names and the project lacks."""
        known = {label.name for label in self._labels(project)}
        for name in names:
            if name not in known:
                self._labels(project).append(Label(self.state.next_id(), name, "#6699cc"))
                known.add(name)

    @staticmethod
    def _label_list(value: Any) -> list[str]:
        if value is None:
            return []
        items = value if isinstance(value, list) else str(value).split(",")
        return [str(item).strip() for item in items if str(item).strip()]

    def _person(self, user: User) -> Person:
        return Person(user.name, user.email or f"{user.username}@example.com", str(self.state.clock.tick()))
