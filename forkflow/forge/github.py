"""The GitHub forge: proposals as pull requests, through github3.py (the only module that imports it).

A proposal lives in the target node's repository: its branch is pushed there, the pull request
carries the title, the body and the labels, and a hidden block at the end of the body holds
what forkflow needs to find it again (the change, the carriers), so re-runs update instead of
duplicating, with nothing kept between runs but GitHub itself.  Authentication is a token
(``GITHUB_TOKEN``) or a GitHub App installation; ``GITHUB_API_URL`` selects GitHub Enterprise.
Tokens never appear in output, logs or errors.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import github3
import requests
from github3.exceptions import ForbiddenError, GitHubError, MissingAppInstallationAuthentication, NotFoundError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from forkflow.credential import Credential, git_host_of_api
from forkflow.errors import ForgeError
from forkflow.forge import Proposal, ProposalState
from forkflow.gitrepo import GitRepo, Person
from forkflow.gitrepo.remote import push_refs
from forkflow.manifest import Manifest

PUBLIC_API = "https://api.github.com"
META = re.compile(r"\n*<!-- forkflow:meta (\{.*?\}) -->\s*$", re.S)
_REPO_URL = re.compile(r"^(?:https?://[^/]+/|git@[^:]+:|file://.*/)?(?P<owner>[^/]+)/(?P<name>[^/]+?)(?:\.git)?/?$")
MAX_WAIT = 60
"""Seconds forkflow waits at most for one Retry-After; a longer wait is reported instead."""
T = TypeVar("T")


class RateLimited(ForgeError):
    """GitHub's rate limit is exhausted: every further call would fail too, so the run stops."""


class _BoundedRetry(Retry):
    """urllib3's retries for idempotent calls, honouring Retry-After but never waiting longer than MAX_WAIT."""

    def get_retry_after(self, response: Any) -> float | None:
        wait = super().get_retry_after(response)
        return None if wait is None else min(wait, MAX_WAIT)


@dataclass(frozen=True)
class Credentials:
    """A token, or a GitHub App (id, private key, installation) that yields one."""

    token: str | None = None
    app_id: int | None = None
    private_key: bytes | None = None
    installation_id: int | None = None


class GitHubClient:
    """One authenticated session against GitHub (or GitHub Enterprise, or a test server).

    ``hosts`` are where its repositories live, the only hosts its token is pushed to (default:
    the API's own, ``api.github.com`` -> ``github.com``; see :mod:`forkflow.credential`).
    """

    def __init__(self, credentials: Credentials, api_url: str = PUBLIC_API, *, hosts: frozenset[str] | None = None):
        self.api_url = api_url.rstrip("/")
        self.hosts = hosts if hosts is not None else frozenset({git_host_of_api(self.api_url)})
        self._gh = (
            github3.GitHub() if self.api_url == PUBLIC_API else github3.GitHubEnterprise(_enterprise_root(self.api_url))
        )
        self._gh.session.base_url = self.api_url
        retries = _BoundedRetry(
            total=4,
            backoff_factor=0.5,
            status_forcelist=(429, 502, 503, 504),
            allowed_methods=frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retries)
        self._gh.session.mount("https://", adapter)
        self._gh.session.mount("http://", adapter)
        self.token = self._login(credentials)

    def _login(self, credentials: Credentials) -> str:
        if credentials.token:
            self._gh.login(token=credentials.token)
            return credentials.token
        if credentials.app_id and credentials.private_key and credentials.installation_id:
            self.call(
                lambda: self._gh.login_as_app_installation(
                    credentials.private_key,
                    str(credentials.app_id),  # github3 signs the JWT with it as "iss", which PyJWT wants a string
                    credentials.installation_id,
                ),
                "logging in as the GitHub App",
            )
            token = str(self._gh.session.auth.token)
            return token
        raise ForgeError(
            "no GitHub credentials: set GITHUB_TOKEN (or --token), or FORKFLOW_APP_ID, FORKFLOW_APP_PRIVATE_KEY and "
            "FORKFLOW_APP_INSTALLATION_ID"
        )

    @property
    def credential(self) -> Credential:
        """The session's token, for git on the forge's hosts only."""
        return Credential(token=self.token, hosts=self.hosts)

    @property
    def gh(self) -> github3.GitHub:
        return self._gh

    def call(self, action: Callable[[], T], what: str) -> T:
        """Run one API call; GitHub's failures become ForgeError, without the token, rate limits explained."""
        try:
            return action()
        except ForbiddenError as err:
            limit = _rate_limit_message(err)
            if limit is not None:
                raise RateLimited(f"{what}: {limit}") from None
            raise ForgeError(self._clean(f"{what}: {err}")) from None
        except NotFoundError:
            raise ForgeError(f"{what}: not found (or the token cannot see it)") from None
        except (GitHubError, requests.RequestException) as err:
            raise ForgeError(self._clean(f"{what}: {err}")) from None

    def _clean(self, text: str) -> str:
        token = getattr(self, "token", None)
        return text.replace(token, "***") if token else text


def _enterprise_root(api_url: str) -> str:
    """github3 appends /api/v3 to an Enterprise URL: give it the root."""
    return api_url[: -len("/api/v3")] if api_url.endswith("/api/v3") else api_url


def _rate_limit_message(err: GitHubError) -> str | None:
    response = getattr(err, "response", None)
    headers = getattr(response, "headers", {}) or {}
    if headers.get("X-RateLimit-Remaining") == "0":
        reset = headers.get("X-RateLimit-Reset")
        when = datetime.fromtimestamp(int(reset), UTC).isoformat(timespec="minutes") if reset else "later"
        return f"GitHub's rate limit is exhausted until {when}; run again then"
    return None


def repo_of(url: str) -> tuple[str, str]:
    """(owner, name) of a node's repository url (https, ssh, or a path ending in owner/name)."""
    match = _REPO_URL.match(url.strip())
    if match is None:
        raise ForgeError(f"{url}: not a GitHub repository url (https://github.com/OWNER/NAME)")
    return match.group("owner"), match.group("name")


class GitHubForge:
    """Proposals as pull requests in the target node's repository."""

    name = "github"
    branchless = False  # a pull request needs a branch: a proposal that applies nowhere is reported, not opened

    def __init__(self, repo: GitRepo, manifest: Manifest, client: GitHubClient):
        self._repo = repo
        self._manifest = manifest
        self._client = client
        self._where: dict[tuple[str, int], Any] = {}  # (target node, number) -> pull request
        self.problems: list[str] = []  # repositories that could not be read: reported, the run goes on

    # reading ----------------------------------------------------------------------------

    def proposals(self) -> list[Proposal]:
        found = []
        for spec in self._manifest.nodes:
            if spec.url is None or spec.retired:
                continue
            try:
                listed = self._pulls(self._repository(spec.name))
            except RateLimited:
                raise
            except ForgeError as err:
                self.problems.append(f"{spec.name}: {err}")
                continue
            for pull in listed:
                proposal = self._from_pull(spec.name, pull)
                if proposal is not None:
                    found.append(proposal)
                    self._where[(spec.name, proposal.number)] = pull
        return sorted(found, key=lambda p: (p.created_at, p.number))

    def get(self, number: int, *, target: str | None = None) -> Proposal:
        target, pull = self._locate(number, target)
        proposal = self._from_pull(target, pull)
        assert proposal is not None
        return proposal

    # writing ----------------------------------------------------------------------------

    def open(self, proposal: Proposal) -> Proposal:
        if proposal.head is None:
            raise ForgeError(
                f"{proposal.title}: no variant applies cleanly on {proposal.target} "
                f"(conflicts in {', '.join(proposal.conflicts)}); a pull request needs a branch"
            )
        self._push(proposal)
        repository = self._repository(proposal.target)
        base = self._manifest.node(proposal.target).branch or repository.default_branch
        pull = self._client.call(
            lambda: repository.create_pull(proposal.title, base, proposal.branch, self._body(proposal)),
            f"opening a pull request in {repository.full_name}",
        )
        issue = self._client.call(pull.issue, "reading the pull request's issue")
        self._client.call(lambda: issue.add_labels(*proposal.labels), "labelling the pull request")
        reviewers = self._reviewers(proposal)
        if reviewers[0] or reviewers[1]:
            self._client.call(
                lambda: pull.create_review_requests(reviewers=reviewers[0], team_reviewers=reviewers[1]),
                "requesting reviews from the carriers' owners",
            )
        self._where[(proposal.target, pull.number)] = pull
        return proposal.model_copy(update={"number": pull.number, "url": pull.html_url})

    def update(self, proposal: Proposal) -> Proposal:
        _, pull = self._locate(proposal.number, proposal.target)
        if proposal.head is not None:
            self._push(proposal)
        state = "open" if proposal.state == ProposalState.OPEN else "closed"
        self._client.call(
            lambda: pull.update(title=proposal.title, body=self._body(proposal), state=state),
            f"updating pull request #{proposal.number}",
        )
        return proposal

    def close(self, number: int, when: str, *, target: str | None = None) -> Proposal:
        target, pull = self._locate(number, target)
        self._client.call(pull.close, f"closing pull request #{number}")
        closed = self.get(number, target=target)
        return closed.model_copy(update={"state": ProposalState.CLOSED, "closed_at": when})

    def mark_merged(self, number: int, commit: str | None, when: str, *, target: str | None = None) -> Proposal:
        """The change reached the target another way (a squash, a cherry-pick): say so and close the request."""
        target, pull = self._locate(number, target)
        note = "The target has this change now (merged, squashed or picked); forkflow closes this."
        self.comment(number, note, target=target)
        self._client.call(pull.close, f"closing pull request #{number}")
        done = self.get(number, target=target)
        return done.model_copy(update={"state": ProposalState.MERGED, "merged_at": when})

    def merge(self, number: int, *, committer: Person, when: int, target: str | None = None) -> Proposal:
        target, pull = self._locate(number, target)
        merged = self._client.call(lambda: pull.merge(commit_message=f"Merge forkflow proposal #{number}"), "merging")
        if not merged:
            raise ForgeError(f"pull request #{number} could not be merged (conflicts, or required checks)")
        stamp = datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds")
        return self.get(number, target=target).model_copy(update={"state": ProposalState.MERGED, "merged_at": stamp})

    def comment(self, number: int, body: str, *, marker: str | None = None, target: str | None = None) -> None:
        """Comment on a pull request; with ``marker``, refresh forkflow's earlier comment instead of adding one."""
        if target is not None:
            repository = self._repository(target)
            pull = self._client.call(lambda: repository.pull_request(number), f"reading pull request #{number}")
        else:
            _, pull = self._locate(number, None)
        issue = self._client.call(pull.issue, "reading the pull request's issue")
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
        try:
            repository.create_check_run(
                "forkflow policy",
                sha,
                status="completed",
                conclusion=conclusion,
                output=output,
                completed_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            )
        except (ForbiddenError, MissingAppInstallationAuthentication):  # a user token cannot make check runs
            # a commit status says the same
            state = "success" if ok else "failure"
            self._client.call(
                lambda: repository.create_status(sha, state, description=title[:140], context="forkflow/policy"),
                "setting the commit status",
            )

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

    def _repository(self, node: str) -> Any:
        spec = self._manifest.node(node)
        if spec.url is None:
            raise ForgeError(f"node {node!r} has no url: the GitHub forge cannot reach its repository")
        owner, name = repo_of(spec.url)
        return self._client.call(lambda: self._client.gh.repository(owner, name), f"reading {owner}/{name}")

    def _pulls(self, repository: Any) -> list[Any]:
        def listing() -> list[Any]:
            return list(repository.pull_requests(state="all"))  # github3 follows the Link headers

        return self._client.call(listing, f"listing the pull requests of {repository.full_name}")

    def _locate(self, number: int, target: str | None) -> tuple[str, Any]:
        """The pull request ``number`` (of ``target``'s repository: numbers are per repository)."""
        for attempt in range(2):
            found = [(t, pull) for (t, n), pull in self._where.items() if n == number and target in (None, t)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                where = ", ".join(t for t, _ in found)
                raise ForgeError(f"pull request #{number} exists in several repositories ({where}); name the node")
            if attempt == 0:
                self.proposals()
        raise ForgeError(f"no forkflow pull request #{number} in the network's repositories")

    def _push(self, proposal: Proposal) -> None:
        assert proposal.head is not None
        repository = self._repository(proposal.target)
        local = f"refs/forkflow/push/{proposal.branch}"
        self._repo.set_ref(local, proposal.head)
        # clone_url is GitHub's answer, so it is not trusted: the token goes there only on the forge's host
        push_refs(self._repo, repository.clone_url, [f"+{local}:refs/heads/{proposal.branch}"], self._client.credential)

    def _reviewers(self, proposal: Proposal) -> tuple[list[str], list[str]]:
        users: list[str] = []
        teams: list[str] = []
        for carrier in proposal.carriers:
            for owner in self._manifest.node(carrier).owners:
                handle = owner.lstrip("@")
                (teams if "/" in handle else users).append(handle.split("/")[-1])
        return sorted(set(users)), sorted(set(teams))

    @staticmethod
    def _body(proposal: Proposal) -> str:
        meta = {
            "change_id": proposal.change_id,
            "kind": proposal.kind,
            "source": proposal.source,
            "target": proposal.target,
            "base": proposal.base,
            "carriers": proposal.carriers,
            "commits": proposal.commits,
            "patch_ids": proposal.patch_ids,
            "conflicts": proposal.conflicts,
            "created_at": proposal.created_at,
        }
        return proposal.body.rstrip() + f"\n\n<!-- forkflow:meta {json.dumps(meta, separators=(',', ':'))} -->\n"

    @staticmethod
    def _from_pull(target: str, pull: Any) -> Proposal | None:
        match = META.search(pull.body or "")
        if match is None:
            return None
        meta = json.loads(match.group(1))
        merged = bool(getattr(pull, "merged_at", None))
        state = ProposalState.MERGED if merged else ProposalState(pull.state)
        return Proposal(
            number=pull.number,
            change_id=meta["change_id"],
            kind=meta.get("kind", "exact"),
            target=meta.get("target", target),
            branch=pull.head.ref,
            state=state,
            title=pull.title,
            body=META.sub("\n", pull.body).rstrip() + "\n",
            base=meta.get("base", ""),
            head=pull.head.sha,
            carriers=meta.get("carriers", []),
            commits=meta.get("commits", []),
            patch_ids=meta.get("patch_ids", []),
            conflicts=meta.get("conflicts", []),
            labels=[label["name"] if isinstance(label, dict) else str(label) for label in getattr(pull, "labels", [])],
            source=meta.get("source", "bubble-up"),
            created_at=meta.get("created_at", ""),
            url=pull.html_url,
        )


def credentials_from_env(environ: dict[str, str], token: str | None = None) -> Credentials:
    """The credentials the environment gives: --token, GITHUB_TOKEN, or FORKFLOW_APP_ID + key + installation."""
    if token or environ.get("GITHUB_TOKEN"):
        return Credentials(token=token or environ["GITHUB_TOKEN"])
    app_id, key, installation = (
        environ.get("FORKFLOW_APP_ID"),
        environ.get("FORKFLOW_APP_PRIVATE_KEY"),
        environ.get("FORKFLOW_APP_INSTALLATION_ID"),
    )
    if app_id and key and installation:
        return Credentials(app_id=int(app_id), private_key=key.encode(), installation_id=int(installation))
    return Credentials()


@dataclass(frozen=True)
class Discovered:
    """A repository of the fork network: its full name, its parent's, where it lives."""

    full_name: str
    parent: str | None
    url: str
    branch: str


def discover_network(client: GitHubClient, central: str, org: str | None = None) -> list[Discovered]:
    """Central and every fork of it, forks of forks included (breadth first); with ``org``, only that org's forks."""
    owner, name = central.split("/", 1)
    root = client.call(lambda: client.gh.repository(owner, name), f"reading {central}")
    found = [Discovered(root.full_name, None, root.html_url, root.default_branch)]
    queue = [root]
    while queue:
        current = queue.pop(0)
        forks: list[Any] = client.call(lambda c=current: list(c.forks()), f"listing the forks of {current.full_name}")  # type: ignore[misc]
        for fork in sorted(forks, key=lambda f: f.full_name):
            if org is not None and fork.owner.login.lower() != org.lower() and current is root:
                continue
            found.append(Discovered(fork.full_name, current.full_name, fork.html_url, fork.default_branch))
            queue.append(fork)
    return found
