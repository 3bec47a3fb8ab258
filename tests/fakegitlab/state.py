"""What the fake GitLab knows: users, groups, projects, merge requests, notes, statuses, labels, issues.

Git data (branches, commits) is not copied here: it lives in each project's bare repository on
disk and is read from there when an answer needs it. Ids are global per kind, as on GitLab;
`iid`s (merge requests, issues) count per project.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tests.fakeforge.clock import Clock
from tests.fakeforge.gitops import BareRepo


def iso(epoch: int) -> str:
    """An epoch as GitLab writes times: `2023-11-14T22:13:20.000Z`."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass(eq=False)
class User:
    """A user; its personal namespace has the user's username as path."""

    id: int
    username: str
    name: str
    created_at: int
    namespace_id: int
    email: str | None = None
    bot: bool = False


@dataclass(eq=False)
class Group:
    """A group (a top-level namespace); members may create projects in it."""

    id: int
    path: str
    name: str
    created_at: int
    members: set[str] = field(default_factory=set)  # usernames


@dataclass(eq=False)
class Project:
    """A project with its bare repository; `forked_from` points at its parent."""

    id: int
    namespace: User | Group
    path: str
    git_path: Path
    default_branch: str
    created_at: int
    last_activity_at: int
    forked_from: Project | None = None
    description: str | None = None
    visibility: str = "public"
    archived: bool = False
    import_status: str = "none"  # "scheduled" -> "finished" for a fork
    pending_import: int = 0  # answers before a scheduled import finishes
    forks: list[Project] = field(default_factory=list)

    @property
    def namespace_path(self) -> str:
        return self.namespace.username if isinstance(self.namespace, User) else self.namespace.path

    @property
    def path_with_namespace(self) -> str:
        return f"{self.namespace_path}/{self.path}"

    @property
    def git(self) -> BareRepo:
        return BareRepo(self.git_path)


@dataclass(eq=False)
class Label:
    id: int
    name: str
    color: str
    description: str | None = None


@dataclass(eq=False)
class Note:
    id: int
    body: str
    author: User
    created_at: int
    updated_at: int
    system: bool = False


@dataclass(eq=False)
class MergeRequest:
    """A merge request of `target` (its `iid` counts per target project)."""

    id: int
    iid: int
    target: Project
    source: Project
    source_branch: str
    target_branch: str
    title: str
    description: str
    author: User
    created_at: int
    updated_at: int
    labels: list[str] = field(default_factory=list)
    reviewers: list[User] = field(default_factory=list)
    assignees: list[User] = field(default_factory=list)
    state: str = "opened"  # opened, closed, merged
    draft: bool = False
    merge_commit_sha: str | None = None
    merged_at: int | None = None
    closed_at: int | None = None
    notes: list[Note] = field(default_factory=list)


@dataclass(eq=False)
class Issue:
    id: int
    iid: int
    project: Project
    title: str
    description: str
    author: User
    created_at: int
    updated_at: int
    labels: list[str] = field(default_factory=list)
    state: str = "opened"  # opened, closed
    closed_at: int | None = None
    notes: list[Note] = field(default_factory=list)


@dataclass(eq=False)
class CommitStatus:
    id: int
    sha: str
    ref: str | None
    name: str
    state: str
    description: str | None
    target_url: str | None
    author: User
    created_at: int
    pipeline_id: int | None = None


@dataclass(frozen=True)
class Identity:
    """Who a request authenticated as: a user by personal token, or a CI job of `job_project`."""

    user: User
    job_project: Project | None = None  # set for a CI job token
    refuses: frozenset[str] = frozenset()  # a job token's refused handlers

    @property
    def is_job(self) -> bool:
        return self.job_project is not None


@dataclass
class State:
    """Everything the fake knows, keyed the way the handlers look things up."""

    clock: Clock = field(default_factory=Clock)
    users: dict[str, User] = field(default_factory=dict)  # by username (lower case)
    groups: dict[str, Group] = field(default_factory=dict)  # by path (lower case)
    projects: dict[int, Project] = field(default_factory=dict)
    tokens: dict[str, Identity] = field(default_factory=dict)
    merge_requests: dict[tuple[int, int], MergeRequest] = field(default_factory=dict)  # (project id, iid)
    issues: dict[tuple[int, int], Issue] = field(default_factory=dict)
    labels: dict[int, list[Label]] = field(default_factory=dict)  # by project id
    statuses: dict[int, list[CommitStatus]] = field(default_factory=dict)  # by project id
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _iids: dict[tuple[int, str], int] = field(default_factory=dict)

    def next_id(self) -> int:
        return next(self._ids)

    def next_iid(self, project: Project, kind: str) -> int:
        """The next `iid` of `kind` ("merge_request" or "issue") in `project`: each kind counts by itself."""
        key = (project.id, kind)
        self._iids[key] = self._iids.get(key, 0) + 1
        return self._iids[key]

    def namespace(self, path: str) -> User | Group | None:
        return self.users.get(path.lower()) or self.groups.get(path.lower())

    def project_by_path(self, full_path: str) -> Project | None:
        for project in self.projects.values():
            if project.path_with_namespace.lower() == full_path.lower():
                return project
        return None

    def project(self, ref: str) -> Project | None:
        """A project by id (digits) or by `namespace/path`."""
        if ref.isdigit():
            return self.projects.get(int(ref))
        return self.project_by_path(ref)
