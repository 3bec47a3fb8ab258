"""The GitHub forge: proposals as pull requests, through github3.py.

A proposal lives in the target node's repository: its branch is pushed there, the pull request
carries the title, the body and the labels, and a hidden block at the end of the body holds
what forkflow needs to find it again (the change, the carriers), so re-runs update instead of
duplicating, with nothing kept between runs but GitHub itself.  Authentication is a token
(``GITHUB_TOKEN``) or a GitHub App installation; ``GITHUB_API_URL`` selects GitHub Enterprise.
Tokens never appear in output, logs or errors.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from github3.exceptions import (
    ForbiddenError,
    MissingAppInstallationAuthentication,
)

from forkflow.errors import ForgeError, GitError, RateLimited
from forkflow.forge import Advisory, DashboardIssue, Proposal, ProposalState
from forkflow.forge.github.advisories import published_advisories
from forkflow.forge.github.client import GitHubClient
from forkflow.forge.github.dashboard import as_dashboard, create_dashboard, edit_dashboard, find_dashboard
from forkflow.forge.github.issues import ISSUE_KINDS, close_issue, edit_issue, open_issue, proposal_issues
from forkflow.forge.meta import MetaError, issue_proposal, meta_block, proposal_of, repo_of
from forkflow.forge.requests import SeenRequests
from forkflow.gitrepo import GitRepo, Person
from forkflow.gitrepo.remote import push_refs
from forkflow.manifest.spec import Manifest, NodeSpec
from forkflow.problems import StepProblem, one_line


class GitHubForge(SeenRequests):
    """Proposals as pull requests in the target node's repository."""

    name = "github"
    branchless = False  # a pull request needs a branch: a proposal that applies nowhere is reported, not opened
    branchless_kinds = ISSUE_KINDS  # ... except a security backport, which becomes an issue for a person

    def __init__(self, repo: GitRepo, manifest: Manifest, client: GitHubClient):
        self._repo = repo
        self._manifest = manifest
        self._client = client
        self._where: dict[tuple[str, int], tuple[Any, Proposal]] = {}  # (target, number) -> pull request, proposal
        self._issues: set[tuple[str, int]] = set()  # the (target, number) of _where that are issues, not pulls
        self._unlisted: set[str] = set()  # nodes whose pull requests could not be listed: nothing is opened there
        self._foreign: dict[tuple[str, str], int] = {}  # (node, branch) -> an open pull request forkflow cannot read
        self.problems: list[StepProblem] = []  # what could not be read: reported, the run goes on

    # reading ----------------------------------------------------------------------------

    def proposals(self) -> list[Proposal]:
        found: list[Proposal] = []
        listed: set[str] = set()
        for spec in self._manifest.nodes:
            if spec.url is None or spec.retired:
                continue
            try:
                repository = self._repository(spec.name)
                if repository.full_name.lower() in listed:
                    continue  # several nodes (branches) of one repository: its pull requests are listed once
                pulls = self._pulls(repository)
                issues = proposal_issues(self._client, repository)
            except RateLimited:
                raise
            except ForgeError as err:
                self._unlisted.add(spec.name)
                self.problems.append(StepProblem(node=spec.name, step="list proposals", reason=one_line(str(err))))
                continue
            self._unlisted.discard(spec.name)
            self._foreign = {key: number for key, number in self._foreign.items() if key[0] != spec.name}
            listed.add(repository.full_name.lower())
            for pull in pulls:
                proposal = self._read_request(spec.name, repository.full_name, pull.number, pull, self._proposal_of)
                if proposal is not None:
                    found.append(proposal)
                    self._where[(proposal.target, proposal.number)] = (pull, proposal)
            for issue in issues:
                proposal = self._read_issue(spec.name, repository.full_name, issue)
                if proposal is not None:
                    found.append(proposal)
                    self._where[(proposal.target, proposal.number)] = (issue, proposal)
                    self._issues.add((proposal.target, proposal.number))
        return sorted(found, key=lambda p: (p.created_at, p.number))

    def get(self, number: int, *, target: str | None = None) -> Proposal:
        return self._locate(number, target)[2]

    # writing ----------------------------------------------------------------------------

    def open(self, proposal: Proposal) -> Proposal:
        if proposal.head is None and proposal.kind in ISSUE_KINDS:
            return self._open_issue(proposal)
        if proposal.head is None:
            raise ForgeError(
                f"{proposal.title}: no variant applies cleanly on {proposal.target} "
                f"(conflicts in {', '.join(proposal.conflicts)}); a pull request needs a branch"
            )
        self._may_open(proposal)
        self._push(proposal)
        repository = self._repository(proposal.target)
        base = self._node(proposal.target).branch or repository.default_branch
        pull = self._client.call(
            lambda: repository.create_pull(proposal.title, base, proposal.branch, meta_block(proposal)),
            f"opening a pull request in {repository.full_name}",
        )
        opened = proposal.model_copy(update={"number": pull.number, "url": pull.html_url})
        self._where[(proposal.target, pull.number)] = (pull, opened)
        try:
            self._label_and_ask(pull, proposal)
        except RateLimited:
            raise
        except ForgeError as err:  # the pull request is there: the next run finds it, and says so now
            raise ForgeError(f"#{pull.number} was opened in {repository.full_name}, but {err}") from err
        return opened

    def _label_and_ask(self, pull: Any, proposal: Proposal) -> None:
        issue = self._client.call(pull.issue, "reading the pull request's issue")
        self._client.call(lambda: issue.add_labels(*proposal.labels), "labelling the pull request")
        reviewers = self._reviewers(proposal)
        if reviewers[0] or reviewers[1]:
            self._client.call(
                lambda: pull.create_review_requests(reviewers=reviewers[0], team_reviewers=reviewers[1]),
                "requesting reviews from the carriers' owners",
            )

    def update(self, proposal: Proposal) -> Proposal:
        target, pull, _ = self._locate(proposal.number, proposal.target)
        if (target, proposal.number) in self._issues:
            return self._update_issue(pull, proposal)
        if proposal.head is None and proposal.kind in ISSUE_KINDS:  # it no longer applies: an issue instead
            opened = self._open_issue(proposal.model_copy(update={"number": 0}))
            self.comment(proposal.number, f"This no longer applies cleanly: see #{opened.number}.", target=target)
            self._client.call(pull.close, f"closing pull request #{proposal.number}")
            return opened
        if proposal.head is not None:
            self._push(proposal)
        state = "open" if proposal.state == ProposalState.OPEN else "closed"
        self._client.call(
            lambda: pull.update(title=proposal.title, body=meta_block(proposal), state=state),
            f"updating pull request #{proposal.number}",
        )
        return proposal

    def close(self, number: int, when: str, *, target: str | None = None) -> Proposal:
        target, pull, _ = self._locate(number, target)
        if (target, number) in self._issues:
            close_issue(self._client, pull)
        else:
            self._client.call(pull.close, f"closing pull request #{number}")
        closed = self.get(number, target=target)
        return closed.model_copy(update={"state": ProposalState.CLOSED, "closed_at": when})

    def mark_merged(self, number: int, commit: str | None, when: str, *, target: str | None = None) -> Proposal:
        """The change reached the target another way (a squash, a cherry-pick): say so and close the request."""
        target, pull, _ = self._locate(number, target)
        note = "The target has this change now (merged, squashed or picked); forkflow closes this."
        self.comment(number, note, target=target)
        self._client.call(pull.close, f"closing pull request #{number}")
        done = self.get(number, target=target)
        return done.model_copy(update={"state": ProposalState.MERGED, "merged_at": when})

    def merge(self, number: int, *, committer: Person, when: int, target: str | None = None) -> Proposal:
        target, pull, _ = self._locate(number, target)
        merged = self._client.call(lambda: pull.merge(commit_message=f"Merge forkflow proposal #{number}"), "merging")
        if not merged:
            raise ForgeError(f"pull request #{number} could not be merged (conflicts, or required checks)")
        stamp = datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds")
        return self.get(number, target=target).model_copy(update={"state": ProposalState.MERGED, "merged_at": stamp})

    def comment(self, number: int, body: str, *, marker: str | None = None, target: str | None = None) -> None:
        """Comment on a pull request; with ``marker``, refresh forkflow's earlier comment instead of adding one."""
        if (
            target is not None
        ):  # any pull request or issue of the node's repository (on GitHub, a pull request is an issue)
            repository = self._repository(target)
            issue = self._client.call(lambda: repository.issue(number), f"reading #{number}")
        else:
            where, pull, _ = self._locate(number, None)
            issue = pull if (where, number) in self._issues else self._client.call(pull.issue, "reading the issue")
        if marker is not None:
            text = f"{body}\n\n<!-- {marker} -->"
            comments: list[Any] = self._client.call(lambda: list(issue.comments()), "reading comments")
            for old in comments:
                if f"<!-- {marker} -->" in (old.body or ""):
                    self._client.call(lambda o=old: o.edit(text), "refreshing the comment")  # type: ignore[misc]
                    return
            body = text
        self._client.call(lambda: issue.create_comment(body), "commenting")

    def report_check(self, target: str, sha: str, *, ok: bool, title: str, summary: str) -> None:
        """The policy's verdict on a commit: a check run (a commit status where checks are not allowed)."""
        repository = self._repository(target)
        conclusion = "success" if ok else "failure"
        output = {"title": title, "summary": summary}
        completed = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

        def check_run() -> bool:
            try:
                repository.create_check_run(
                    "forkflow policy",
                    sha,
                    status="completed",
                    conclusion=conclusion,
                    output=output,
                    completed_at=completed,
                )
            except (ForbiddenError, MissingAppInstallationAuthentication):  # a user token cannot make check runs
                return False
            return True

        if not self._client.call(check_run, f"creating the check run in {repository.full_name}"):
            state = "success" if ok else "failure"  # a commit status says the same
            self._client.call(
                lambda: repository.create_status(sha, state, description=title[:140], context="forkflow/policy"),
                "setting the commit status",
            )

    def advisories(self, node: str) -> list[Advisory]:
        """The node's repository's published security advisories; what cannot be read is a problem."""
        found, unread = published_advisories(self._client, self._repository(node))
        self.problems += [StepProblem(node=node, step="read advisories", reason=reason) for reason in unread]
        return found

    def dashboard(self, marker: str, *, remembered: int | None = None, repair: bool = True) -> DashboardIssue | None:
        """The dashboard issue in central's repository (see :mod:`forkflow.forge.github.dashboard`)."""
        repository = self._repository(self._manifest_root())
        found = find_dashboard(self._client, repository, marker, remembered, repair=repair)
        return as_dashboard(found) if found is not None else None

    def save_dashboard(self, title: str, body: str, *, number: int | None = None) -> DashboardIssue:
        repository = self._repository(self._manifest_root())
        if number is None:
            return as_dashboard(create_dashboard(self._client, repository, title, body))
        issue = self._client.call(lambda: repository.issue(number), f"reading the dashboard #{number}")
        return as_dashboard(edit_dashboard(self._client, issue, title, body))

    # repositories (the life of nodes) ---------------------------------------------------

    def fork_for(self, parent: str, organization: str | None) -> tuple[str, str]:
        """Fork ``parent``'s repository (into ``organization``); returns (clone url, default branch)."""
        repository = self._repository(parent)
        fork = self._client.call(lambda: repository.create_fork(organization), f"forking {repository.full_name}")
        return fork.clone_url, fork.default_branch

    def archive(self, node: str) -> None:
        """Archive the node's repository: read-only, kept."""
        repository = self._repository(node)
        self._client.call(lambda: repository.edit(repository.name, archived=True), f"archiving {repository.full_name}")

    # internals --------------------------------------------------------------------------

    def _node(self, name: str) -> NodeSpec:
        """The manifest's node ``name``; a name the manifest does not have (from a pull request) is a ForgeError."""
        spec = self._spec(name)
        if spec is None:
            raise ForgeError(f"node {name!r} is not in {self._manifest.path.name}")
        return spec

    def _manifest_root(self) -> str:
        return next(spec.name for spec in self._manifest.nodes if spec.parent is None)

    def _spec(self, name: str) -> NodeSpec | None:
        return self._manifest.find(name)

    def _repository(self, node: str) -> Any:
        spec = self._node(node)
        if spec.url is None:
            raise ForgeError(f"node {node!r} has no url: the GitHub forge cannot reach its repository")
        owner, name = repo_of(spec.url)
        return self._client.call(lambda: self._client.gh.repository(owner, name), f"reading {owner}/{name}")

    def _pulls(self, repository: Any) -> list[Any]:
        def listing() -> list[Any]:
            return list(repository.pull_requests(state="all"))  # github3 follows the Link headers

        return self._client.call(listing, f"listing the pull requests of {repository.full_name}")

    def _push(self, proposal: Proposal) -> None:
        assert proposal.head is not None
        repository = self._repository(proposal.target)
        local = f"refs/forkflow/push/{proposal.branch}"
        try:
            self._repo.set_ref(local, proposal.head)
            # clone_url is GitHub's answer, so it is not trusted: the token goes there only on the forge's host
            push_refs(
                self._repo, repository.clone_url, [f"+{local}:refs/heads/{proposal.branch}"], self._client.credential
            )
        except GitError as err:
            where = (
                f"node {proposal.target!r}: the branch {proposal.branch} could not be pushed to {repository.full_name}"
            )
            raise ForgeError(self._client.clean(f"{where}: {err}")) from err

    def _reviewers(self, proposal: Proposal) -> tuple[list[str], list[str]]:
        users: list[str] = []
        teams: list[str] = []
        for carrier in proposal.carriers:
            spec = self._spec(carrier)  # a carrier no longer in the manifest has no owners to ask
            for owner in spec.owners if spec is not None else ():
                handle = owner.lstrip("@")
                (teams if "/" in handle else users).append(handle.split("/")[-1])
        return sorted(set(users)), sorted(set(teams))

    def _proposal_of(self, node: str, full_name: str, pull: Any) -> Proposal | None:
        return proposal_of(pull, node, full_name, self._manifest)

    def _open_issue(self, proposal: Proposal) -> Proposal:
        """A proposal with no branch, as an issue that names the conflicts for a person to finish."""
        if proposal.target in self._unlisted:
            raise ForgeError(f"not opened: the issues of {proposal.target!r} could not be listed, so one may be open")
        repository = self._repository(proposal.target)
        issue = open_issue(self._client, repository, proposal)
        opened = proposal.model_copy(update={"number": issue.number, "url": issue.html_url})
        self._where[(proposal.target, issue.number)] = (issue, opened)
        self._issues.add((proposal.target, issue.number))
        return opened

    def _update_issue(self, issue: Any, proposal: Proposal) -> Proposal:
        """Refresh the issue; when the proposal has a branch now, a pull request takes its place."""
        if proposal.head is None:
            edit_issue(self._client, issue, proposal)
            return proposal
        opened = self.open(proposal.model_copy(update={"number": 0}))
        close_issue(self._client, issue, f"It applies cleanly now: see #{opened.number}.")
        return opened

    def _read_issue(self, node: str, full_name: str, issue: Any) -> Proposal | None:
        """The proposal an issue holds; None (and a problem when its block is broken) when it holds none."""
        try:
            return issue_proposal(issue, node, full_name, self._manifest)
        except MetaError as err:
            item = f"{full_name}#{issue.number}"
            reason = f"{err}; restore the block, or delete it (forkflow then leaves the issue alone)"
            self.problems.append(StepProblem(node=node, step="read issue", item=item, reason=reason))
            return None

    def _note_foreign(self, node: str, pull: Any) -> None:
        ref = str(getattr(pull.head, "ref", "") or "")
        if pull.state == "open" and ref.startswith("forkflow/"):
            self._foreign[(node, ref)] = pull.number
