"""What the fake GitHub knows: accounts, apps, repositories, pull requests, issues and their satellites.

Git data (branches, commits) is not copied here: it lives in each repository's bare git
repository on disk and is read from there when a response needs it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.fakeforge.clock import Clock
from tests.fakeforge.gitops import BareRepo


def iso(epoch: int) -> str:
    """An epoch as GitHub writes times: `2023-11-14T22:13:20Z`."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(eq=False)
class Account:
    """A user, an organization or an app's bot user."""

    login: str
    id: int
    type: str  # "User", "Organization" or "Bot"
    created_at: int
    name: str | None = None
    email: str | None = None
    members: set[str] = field(default_factory=set)  # organizations only


@dataclass(eq=False)
class App:
    """A GitHub App with its single installation."""

    id: int
    slug: str
    name: str
    public_key_pem: bytes
    owner: Account
    created_at: int
    installation: Installation | None = None


@dataclass(eq=False)
class Installation:
    """An installation of an App on an account; its token acts as the App's bot user."""

    id: int
    app: App
    account: Account | None  # None: installed everywhere
    token: str
    bot: Account
    created_at: int
    repositories: set[str] | None = None  # full names; None: all of the account's


@dataclass(frozen=True)
class Identity:
    """Who a request authenticated as."""

    kind: str  # "user", "installation" or "app"
    account: Account | None = None  # the acting user (or the installation's bot)
    app: App | None = None
    installation: Installation | None = None


@dataclass(eq=False)
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str | None = None
    default: bool = False


@dataclass(eq=False)
class Repo:
    """A repository: its record here, its git data in the bare repository at `path`."""

    id: int
    owner: Account
    name: str
    path: Path
    default_branch: str
    created_at: int
    updated_at: int
    pushed_at: int
    parent: Repo | None = None
    description: str | None = None
    homepage: str | None = None
    private: bool = False
    archived: bool = False
    is_template: bool = False
    forks: list[Repo] = field(default_factory=list)
    labels: dict[str, Label] = field(default_factory=dict)
    next_number: int = 1

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    @property
    def git(self) -> BareRepo:
        return BareRepo(self.path)

    @property
    def source(self) -> Repo | None:
        """The root of the fork network (None for a repository that is not a fork)."""
        repo = self.parent
        while repo is not None and repo.parent is not None:
            repo = repo.parent
        return repo

    @property
    def network_root(self) -> Repo:
        return self.source or self


@dataclass(eq=False)
class Pull:
    """A pull request (and the issue GitHub keeps alongside it, same number)."""

    id: int
    issue_id: int
    number: int
    repo: Repo
    base_ref: str
    head_repo: Repo
    head_ref: str
    head_sha: str
    title: str
    body: str | None
    user: Account
    created_at: int
    updated_at: int
    draft: bool = False
    maintainer_can_modify: bool = False
    state: str = "open"
    closed_at: int | None = None
    closed_by: Account | None = None
    merged_at: int | None = None
    merged_by: Account | None = None
    merge_commit_sha: str | None = None
    labels: list[str] = field(default_factory=list)
    requested_reviewers: list[Account] = field(default_factory=list)
    frozen_stats: dict[str, int] | None = None  # commits/additions/... once closed
    closed_base_sha: str | None = None  # the base branch's tip when it was closed or merged


@dataclass(eq=False)
class Issue:
    """A standalone issue (a pull request's issue side is its `Pull`); numbered with the pull requests."""

    id: int
    number: int
    repo: Repo
    title: str
    body: str | None
    user: Account
    created_at: int
    updated_at: int
    state: str = "open"
    state_reason: str | None = None  # "completed", "not_planned", "duplicate" or "reopened"
    closed_at: int | None = None
    closed_by: Account | None = None
    labels: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Advisory:
    """A repository security advisory (GHSA), with the times of its life as epochs."""

    ghsa_id: str
    repo: Repo
    summary: str
    description: str | None
    severity: str | None  # "critical", "high", "medium", "low" or None
    state: str  # "triage", "draft", "published", "closed" or "withdrawn"
    created_at: int
    updated_at: int
    cve_id: str | None = None
    published_at: int | None = None
    closed_at: int | None = None
    withdrawn_at: int | None = None


@dataclass(eq=False)
class Comment:
    id: int
    repo: Repo
    number: int
    body: str
    user: Account
    created_at: int
    updated_at: int


@dataclass(eq=False)
class Status:
    id: int
    repo: Repo
    sha: str
    state: str
    context: str
    creator: Account | None
    created_at: int
    target_url: str | None = None
    description: str | None = None


@dataclass(eq=False)
class CheckRun:
    id: int
    repo: Repo
    head_sha: str
    name: str
    app: App
    suite_id: int
    status: str
    started_at: int | None
    conclusion: str | None = None
    completed_at: int | None = None
    details_url: str | None = None
    external_id: str = ""
    output: dict[str, Any] = field(default_factory=dict)


@dataclass
class State:
    """Everything the fake knows, for handlers and for tests to inspect."""

    clock: Clock = field(default_factory=Clock)
    accounts: dict[str, Account] = field(default_factory=dict)  # login -> user/org/bot
    tokens: dict[str, Identity] = field(default_factory=dict)
    apps: dict[int, App] = field(default_factory=dict)
    installations: dict[int, Installation] = field(default_factory=dict)
    repos: dict[str, Repo] = field(default_factory=dict)  # "owner/name" -> repository
    pulls: dict[tuple[str, int], Pull] = field(default_factory=dict)  # ("owner/name", number) -> pull
    issues: dict[tuple[str, int], Issue] = field(default_factory=dict)  # ("owner/name", number) -> standalone issue
    advisories: dict[str, Advisory] = field(default_factory=dict)  # GHSA ID -> repository advisory
    comments: dict[int, Comment] = field(default_factory=dict)
    statuses: list[Status] = field(default_factory=list)
    check_runs: dict[int, CheckRun] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    def next_id(self) -> int:
        return next(self._ids)

    def repo(self, owner: str, name: str) -> Repo | None:
        """A repository by owner and name (case-insensitive, as on GitHub)."""
        wanted = f"{owner}/{name}".lower()
        return next((repo for key, repo in self.repos.items() if key.lower() == wanted), None)

    def account(self, login: str) -> Account | None:
        return next((acc for key, acc in self.accounts.items() if key.lower() == login.lower()), None)

    def account_by_email(self, email: str) -> Account | None:
        return next((acc for acc in self.accounts.values() if acc.email and acc.email.lower() == email.lower()), None)

    def pulls_of(self, repo: Repo) -> list[Pull]:
        return [pull for (name, _), pull in self.pulls.items() if name == repo.full_name]

    def issues_of(self, repo: Repo) -> list[Issue]:
        """The standalone issues of a repository (not the issue sides of its pull requests)."""
        return [issue for (name, _), issue in self.issues.items() if name == repo.full_name]

    def advisories_of(self, repo: Repo) -> list[Advisory]:
        return [advisory for advisory in self.advisories.values() if advisory.repo is repo]

    @property
    def labels(self) -> dict[str, dict[str, Label]]:
        """The labels of every repository: "owner/name" -> label name -> label."""
        return {name: repo.labels for name, repo in self.repos.items()}

    def comments_of(self, repo: Repo, number: int) -> list[Comment]:
        return [c for c in self.comments.values() if c.repo is repo and c.number == number]
