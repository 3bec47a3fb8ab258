"""Forges: where proposals live.  ``local`` (the embedded default) keeps them in the working
repository and the store; a GitHub forge puts the same thing behind the same interface.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from forkflow.gitrepo import Person
from forkflow.problems import StepProblem

BUBBLE_UP_LABEL = "forkflow:bubble-up"
SECURITY_LABEL = "forkflow:security"
DASHBOARD_LABEL = "forkflow:dashboard"
BRANCH_PREFIX = "forkflow/bubble-up/"


class ProposalState(StrEnum):
    OPEN = "open"
    MERGED = "merged"
    CLOSED = "closed"


class Proposal(BaseModel):
    """A bubble-up proposal: a branch on the target's head, a title and a body, and its carriers."""

    model_config = ConfigDict(frozen=True)

    number: int = 0
    change_id: str
    kind: str = "exact"
    target: str
    branch: str
    state: ProposalState = ProposalState.OPEN
    title: str
    body: str
    base: str = Field(description="the target's head the branch was built on")
    head: str | None = Field(None, description="the branch's head; None when no variant applied cleanly")
    carriers: list[str] = Field(default_factory=list)
    commits: list[str] = Field(default_factory=list, description="the carriers' commits it was made from")
    patch_ids: list[str] = Field(default_factory=list)
    conflicts: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=lambda: [BUBBLE_UP_LABEL])
    source: str = Field("bubble-up", description="bubble-up (a shared change) or contribute (one node's commits)")
    created_at: str = ""
    updated_at: str = ""
    closed_at: str | None = None
    merged_at: str | None = None
    merge_commit: str | None = None
    url: str | None = None
    comments: list[str] = Field(default_factory=list)


class Advisory(BaseModel):
    """A security advisory the forge publishes for central's repository (GitHub's repository advisories).

    It comes from the forge, so it is untrusted input: the ids are checked where they are used.
    """

    model_config = ConfigDict(frozen=True)

    ghsa_id: str
    cve_id: str | None = None
    summary: str = ""
    published_at: datetime | None = None


class DashboardIssue(BaseModel):
    """The one issue that shows the network's state and the actions held for a person (its body is untrusted)."""

    model_config = ConfigDict(frozen=True)

    number: int
    title: str
    body: str
    url: str | None = None


class Forge(Protocol):
    """What forkflow needs from a forge."""

    name: str
    branchless: bool
    """Whether a proposal without a branch (no variant applied cleanly) can be recorded here."""
    branchless_kinds: frozenset[str]
    """The kinds of proposal that, without a branch, are still recorded (on GitHub, as an issue)."""
    problems: list[StepProblem]
    """What the forge could not read while listing proposals (a repository, a pull request): reported, the
    run went on."""

    def proposals(self) -> list[Proposal]:
        """Every proposal forkflow opened, oldest first."""
        ...

    def get(self, number: int, *, target: str | None = None) -> Proposal:
        """One proposal (``target``: the node whose repository holds it, where numbers are per repository)."""
        ...

    def open(self, proposal: Proposal) -> Proposal:
        """Push the branch (when there is one) and record the proposal; returns it with its number."""
        ...

    def update(self, proposal: Proposal) -> Proposal:
        """Replace the branch, title, body and carriers of an existing proposal."""
        ...

    def close(self, number: int, when: str, *, target: str | None = None) -> Proposal: ...

    def mark_merged(self, number: int, commit: str | None, when: str, *, target: str | None = None) -> Proposal: ...

    def merge(self, number: int, *, committer: Person, when: int, target: str | None = None) -> Proposal:
        """Merge the proposal into its target (what a maintainer's merge button does)."""
        ...

    def comment(self, number: int, body: str, *, marker: str | None = None, target: str | None = None) -> None:
        """Comment on a proposal (or, with ``target``, any pull request of that node's repository);
        with ``marker``, replace forkflow's earlier comment of that kind."""
        ...

    def report_check(self, target: str, sha: str, *, ok: bool, title: str, summary: str) -> None:
        """The policy's verdict on a commit of ``target`` (a check run on GitHub)."""
        ...

    def advisories(self, node: str) -> list[Advisory]:
        """The published advisories of ``node``'s repository (none where the forge has no such thing)."""
        ...

    def dashboard(self, marker: str, *, remembered: int | None = None, repair: bool = True) -> DashboardIssue | None:
        """The dashboard whose body holds ``marker`` (``remembered``: its number as last seen), or None; with
        ``repair``, duplicates (two runs that raced) are closed and a closed dashboard is reopened."""
        ...

    def save_dashboard(self, title: str, body: str, *, number: int | None = None) -> DashboardIssue:
        """Create the dashboard (``number`` None) or replace its title and body; returns it as it is now."""
        ...
