"""The fake's endpoints: one method per operation, reading and changing `State` and the bare repos.

Handlers return a `Response` or raise `ApiError`; the server turns errors into GitHub's error
JSON (or an empty body where the description documents the status without one) and checks
every response against the OpenAPI description.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.fakeforge.gitops import Person
from tests.fakegithub.render import Renderer, Urls, q
from tests.fakegithub.state import Account, CheckRun, Comment, Identity, Issue, Label, Pull, Repo, State, Status

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.fakegithub.schema import Operation

Json = dict[str, Any]
GITHUB = ("GitHub", "noreply@github.com")  # the committer of merges GitHub makes
DOCS = "https://docs.github.com/rest"
CHECK_STATUSES = ("queued", "in_progress", "completed")  # what a request may set
CHECK_CONCLUSIONS = ("action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out")
STATE_REASONS = ("completed", "not_planned", "duplicate", "reopened")  # why an issue is closed (or open again)
ADVISORY_STATES = ("triage", "draft", "published", "closed", "withdrawn")
ADVISORY_SEVERITIES = ("critical", "high", "medium", "low")
PUBLIC_ADVISORY_STATES = ("published", "withdrawn")  # the others only the repository's administrators see

ROUTES: list[tuple[str, str, str]] = [
    ("GET", "/user", "get_user"),
    ("GET", "/app", "get_app"),
    ("POST", "/app/installations/{installation_id}/access_tokens", "create_installation_token"),
    ("GET", "/repos/{owner}/{repo}/installation", "get_repo_installation"),
    ("GET", "/orgs/{org}", "get_org"),
    ("GET", "/orgs/{org}/repos", "list_org_repos"),
    ("POST", "/orgs/{org}/repos", "create_org_repo"),
    ("GET", "/repos/{owner}/{repo}", "get_repo"),
    ("PATCH", "/repos/{owner}/{repo}", "update_repo"),
    ("POST", "/repos/{template_owner}/{template_repo}/generate", "generate_repo"),
    ("GET", "/repos/{owner}/{repo}/branches", "list_branches"),
    ("GET", "/repos/{owner}/{repo}/branches/{branch}", "get_branch"),
    ("GET", "/repos/{owner}/{repo}/git/ref/{ref}", "get_ref"),
    ("GET", "/repos/{owner}/{repo}/git/refs", "list_refs"),
    ("GET", "/repos/{owner}/{repo}/git/refs/{ref}", "list_refs"),
    ("POST", "/repos/{owner}/{repo}/git/refs", "create_ref"),
    ("PATCH", "/repos/{owner}/{repo}/git/refs/{ref}", "update_ref"),
    ("DELETE", "/repos/{owner}/{repo}/git/refs/{ref}", "delete_ref"),
    ("GET", "/repos/{owner}/{repo}/commits/{ref}", "get_commit"),
    ("GET", "/repos/{owner}/{repo}/compare/{basehead}", "compare"),
    ("GET", "/repos/{owner}/{repo}/forks", "list_forks"),
    ("POST", "/repos/{owner}/{repo}/forks", "create_fork"),
    ("GET", "/repos/{owner}/{repo}/pulls", "list_pulls"),
    ("POST", "/repos/{owner}/{repo}/pulls", "create_pull"),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", "get_pull"),
    ("PATCH", "/repos/{owner}/{repo}/pulls/{pull_number}", "update_pull"),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/merge", "is_merged"),
    ("PUT", "/repos/{owner}/{repo}/pulls/{pull_number}/merge", "merge_pull"),
    ("POST", "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", "request_reviewers"),
    ("GET", "/repos/{owner}/{repo}/issues", "list_issues"),
    ("POST", "/repos/{owner}/{repo}/issues", "create_issue"),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}", "get_issue"),
    ("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", "update_issue"),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments", "list_comments"),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", "create_comment"),
    ("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}", "update_comment"),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/labels", "list_labels"),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels", "add_labels"),
    ("POST", "/repos/{owner}/{repo}/statuses/{sha}", "create_status"),
    ("POST", "/repos/{owner}/{repo}/check-runs", "create_check_run"),
    ("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", "update_check_run"),
    ("POST", "/repos/{owner}/{repo}/merge-upstream", "merge_upstream"),
    ("GET", "/repos/{owner}/{repo}/security-advisories", "list_advisories"),
]


class ApiError(Exception):
    """An error answer: GitHub's `{"message", "documentation_url"[, "errors"]}`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[Json] | None = None,
        headers: dict[str, str] | None = None,
        documentation_url: str | None = None,
    ):
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = dict(headers or {})
        self.documentation_url = documentation_url


def missing(resource: str, *fields: str) -> ApiError:
    errors = [{"resource": resource, "field": name, "code": "missing_field"} for name in fields]
    return ApiError(422, "Validation Failed", errors=errors)


def invalid(resource: str, name: str, message: str | None = None) -> ApiError:
    error: Json = {"resource": resource, "field": name, "code": "invalid"}
    if message:
        error["message"] = message
    return ApiError(422, "Validation Failed", errors=[error])


def custom(resource: str, message: str) -> ApiError:
    return ApiError(422, "Validation Failed", errors=[{"resource": resource, "code": "custom", "message": message}])


@dataclass
class Request:
    """One API request, its path without `/api/v3`."""

    method: str
    path: str
    query: dict[str, str]
    query_string: str
    headers: dict[str, str]
    raw_body: bytes
    urls: Urls
    identity: Identity | None = None
    operation: Operation | None = None

    def json(self) -> Any:
        if not self.raw_body.strip():
            return {}
        try:
            return json.loads(self.raw_body)
        except ValueError as error:
            raise ApiError(400, "Problems parsing JSON") from error

    def body_formats(self) -> frozenset[str]:
        """The body representations asked for (`Accept: application/vnd.github.full+json`...)."""
        asked = set(re.findall(r"vnd\.github(?:\.v3)?\.(raw|text|html|full)\b", self.headers.get("accept", "")))
        if "full" in asked:
            asked |= {"raw", "text", "html"}
        return frozenset(asked - {"full"} or {"raw"})

    def object(self) -> Json:
        body = self.json()
        if not isinstance(body, dict):
            raise ApiError(400, "Problems parsing JSON")
        return body


@dataclass
class Response:
    """What a handler answers; `internal` responses (the fake's own 500s) skip validation."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    internal: bool = False


def _epoch(value: Any, resource: str, name: str) -> int:
    """An ISO 8601 time from a request, as epoch seconds (422 when it is not one)."""
    if not isinstance(value, str):
        raise invalid(resource, name)
    try:
        return int(datetime.fromisoformat(value).timestamp())
    except ValueError as error:
        raise invalid(resource, name) from error


class Handlers:
    """Endpoint handlers, mixed into `FakeGitHub` (which provides state, options and paging)."""

    state: State
    options: Any

    if TYPE_CHECKING:

        def _page(self, request: Request, items: list[Any]) -> tuple[list[Any], dict[str, str]]: ...

        def _cursor_page(
            self, request: Request, items: list[Any], key: Callable[[Any], str]
        ) -> tuple[list[Any], dict[str, str]]: ...

        def add_repo(
            self,
            owner: str,
            name: str,
            *,
            source_path: Path | None = None,
            fork_of: str | Repo | None = None,
            default_branch: str | None = None,
            description: str | None = None,
            private: bool = False,
            is_template: bool = False,
        ) -> Repo: ...

    # -- helpers -------------------------------------------------------------------------
    def _render(self, req: Request) -> Renderer:
        return Renderer(self.state, req.urls, req.body_formats())

    def _tick(self) -> int:
        return self.state.clock.tick()

    @staticmethod
    def _actor(req: Request) -> Account:
        if req.identity is None or req.identity.account is None:
            raise ApiError(401, "Requires authentication")
        return req.identity.account

    def _visible(self, req: Request, repo: Repo) -> bool:
        identity = req.identity
        if identity is not None and identity.installation is not None:
            installation = identity.installation
            if installation.repositories is not None:
                return repo.full_name in installation.repositories
            return installation.account is None or installation.account is repo.owner
        if not repo.private:
            return True
        account = identity.account if identity else None
        return account is not None and (account is repo.owner or account.login in repo.owner.members)

    def _repo(self, req: Request, owner: str, name: str) -> Repo:
        repo = self.state.repo(owner, name)
        if repo is None or not self._visible(req, repo):
            raise ApiError(404, "Not Found")
        return repo

    def _pull(self, repo: Repo, number: str) -> Pull:
        pull = self.state.pulls.get((repo.full_name, int(number))) if number.isdigit() else None
        if pull is None:
            raise ApiError(404, "Not Found")
        return pull

    def _issue(self, repo: Repo, number: str) -> Pull | Issue:
        """The issue numbered `number`: a standalone one, or the issue side of a pull request."""
        key = (repo.full_name, int(number)) if number.isdigit() else None
        found = (self.state.pulls.get(key) or self.state.issues.get(key)) if key else None
        if found is None:
            raise ApiError(404, "Not Found")
        return found

    @staticmethod
    def _administers(req: Request, repo: Repo) -> bool:
        """Whether the request sees what only the repository's administrators see (its owner, the org's members)."""
        identity = req.identity
        if identity is None:
            return False
        if identity.installation is not None:
            return True
        account = identity.account
        return account is not None and (account is repo.owner or account.login in repo.owner.members)

    @staticmethod
    def _person(account: Account, when: int) -> Person:
        email = account.email or f"{account.id}+{account.login}@users.noreply.github.com"
        return Person(account.name or account.login, email, f"{when} +0000")

    def _in_network(self, repo: Repo, owner: str, name: str | None = None) -> Repo | None:
        """The repository of `owner` (named `name`, if given) in `repo`'s fork network."""
        root = repo.network_root
        found = [
            other
            for other in self.state.repos.values()
            if other.network_root is root
            and other.owner.login.lower() == owner.lower()
            and (name is None or other.name.lower() == name.lower())
        ]
        found.sort(key=lambda other: (other.name != repo.name, other.id))
        return found[0] if found else None

    @staticmethod
    def _bring(repo: Repo, other: Repo, sha: str) -> None:
        """Make `sha` (from `other`, same network) available in `repo`, as GitHub's network does."""
        if other is not repo and not repo.git.has_commit(sha):
            repo.git.fetch(other.path, sha)

    # -- users and apps ------------------------------------------------------------------
    def get_user(self, req: Request) -> Response:
        identity = req.identity
        if identity is None or identity.kind != "user" or identity.account is None:
            raise ApiError(403, "Resource not accessible by integration")
        return Response(200, self._render(req).private_user(identity.account))

    def get_app(self, req: Request) -> Response:
        assert req.identity is not None and req.identity.app is not None
        return Response(200, self._render(req).app(req.identity.app))

    def create_installation_token(self, req: Request, installation_id: str) -> Response:
        assert req.identity is not None and req.identity.app is not None
        installation = self.state.installations.get(int(installation_id)) if installation_id.isdigit() else None
        if installation is None or installation.app is not req.identity.app:
            raise ApiError(404, "Not Found")
        identity = Identity("installation", account=installation.bot, app=installation.app, installation=installation)
        self.state.tokens[installation.token] = identity
        return Response(201, self._render(req).installation_token(installation))

    def get_repo_installation(self, req: Request, owner: str, repo: str) -> Response:
        assert req.identity is not None and req.identity.app is not None
        found = self.state.repo(owner, repo)
        installation = req.identity.app.installation
        if found is None or installation is None:
            raise ApiError(404, "Not Found")
        covered = (
            found.full_name in installation.repositories
            if installation.repositories is not None
            else installation.account is None or installation.account is found.owner
        )
        if not covered:
            raise ApiError(404, "Not Found")
        return Response(200, self._render(req).installation(installation))

    # -- organizations -------------------------------------------------------------------
    def _org(self, login: str) -> Account:
        org = self.state.account(login)
        if org is None or org.type != "Organization":
            raise ApiError(404, "Not Found")
        return org

    def get_org(self, req: Request, org: str) -> Response:
        return Response(200, self._render(req).organization(self._org(org)))

    def list_org_repos(self, req: Request, org: str) -> Response:
        account = self._org(org)
        repos = [r for r in self.state.repos.values() if r.owner is account and self._visible(req, r)]
        kind = req.query.get("type", "all")
        if kind == "forks":
            repos = [r for r in repos if r.parent is not None]
        elif kind == "sources":
            repos = [r for r in repos if r.parent is None]
        elif kind in ("public", "private"):
            repos = [r for r in repos if r.private == (kind == "private")]
        sort = req.query.get("sort", "created")
        keys = {"full_name": lambda r: r.full_name.lower(), "updated": lambda r: r.updated_at}
        keys["pushed"] = lambda r: r.pushed_at
        repos.sort(key=keys.get(sort, lambda r: (r.created_at, r.id)))
        default_direction = "asc" if sort == "full_name" else "desc"
        if req.query.get("direction", default_direction) == "desc":
            repos.reverse()
        page, headers = self._page(req, repos)
        render = self._render(req)
        return Response(200, [render.repository(r) for r in page], headers)

    def create_org_repo(self, req: Request, org: str) -> Response:
        account = self._org(org)
        actor = self._actor(req)
        body = req.object()
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise missing("Repository", "name")
        if self.state.repo(account.login, name):
            raise custom("Repository", "name already exists on this account")
        private = bool(body.get("private")) or body.get("visibility") == "private"
        repo = self.add_repo(account.login, name, description=body.get("description"), private=private)
        repo.homepage = body.get("homepage") or None
        repo.is_template = bool(body.get("is_template"))
        if body.get("auto_init"):
            sha = repo.git.write_file_commit(
                {"README.md": f"# {name}\n"}, "Initial commit", self._person(actor, self._tick())
            )
            repo.git.update_ref(f"refs/heads/{repo.default_branch}", sha)
        data = self._render(req).repository(repo, full=True)
        return Response(201, data, {"Location": data["url"]})

    # -- repositories --------------------------------------------------------------------
    def get_repo(self, req: Request, owner: str, repo: str) -> Response:
        return Response(200, self._render(req).repository(self._repo(req, owner, repo), full=True))

    def update_repo(self, req: Request, owner: str, repo: str) -> Response:
        found = self._repo(req, owner, repo)
        self._actor(req)
        body = req.object()
        if "default_branch" in body:
            branch = body["default_branch"]
            if not isinstance(branch, str) or (found.git.branches() and found.git.branch(branch) is None):
                raise invalid("Repository", "default_branch", f"Branch {branch} not found")
            found.default_branch = branch
            found.git.git("symbolic-ref", "HEAD", f"refs/heads/{branch}")
        if isinstance(body.get("name"), str) and body["name"] != found.name:
            self._rename(found, body["name"])
        for key in ("description", "homepage"):
            if key in body:
                setattr(found, key, body[key] or None)
        for key in ("private", "archived", "is_template"):
            if key in body:
                setattr(found, key, bool(body[key]))
        if "visibility" in body:
            found.private = body["visibility"] == "private"
        found.updated_at = self._tick()
        return Response(200, self._render(req).repository(found, full=True))

    def _rename(self, repo: Repo, name: str) -> None:
        """Rename a repository; its pull requests and issues keep their numbers under the new name."""
        if self.state.repo(repo.owner.login, name):
            raise custom("Repository", "name already exists on this account")
        del self.state.repos[repo.full_name]
        repo.name = name
        self.state.repos[repo.full_name] = repo
        for old, pull in list(self.state.pulls.items()):
            if pull.repo is repo:
                del self.state.pulls[old]
                self.state.pulls[(repo.full_name, pull.number)] = pull
        for old, issue in list(self.state.issues.items()):
            if issue.repo is repo:
                del self.state.issues[old]
                self.state.issues[(repo.full_name, issue.number)] = issue

    def generate_repo(self, req: Request, template_owner: str, template_repo: str) -> Response:
        template = self._repo(req, template_owner, template_repo)
        actor = self._actor(req)
        body = req.object()
        if not template.is_template:
            raise custom("Repository", f"{template.full_name} is not a template repository")
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise missing("Repository", "name")
        owner = body.get("owner") or actor.login
        if self.state.account(owner) is None:
            raise invalid("Repository", "owner")
        if self.state.repo(owner, name):
            raise custom("Repository", "name already exists on this account")
        repo = self.add_repo(owner, name, default_branch=template.default_branch, description=body.get("description"))
        repo.private = bool(body.get("private"))
        branches = template.git.branches()
        if not body.get("include_all_branches"):
            branches = [(b, sha) for b, sha in branches if b == template.default_branch]
        person = self._person(actor, self._tick())
        for branch, sha in branches:
            repo.git.fetch(template.path, sha)
            tree = repo.git.commit_info(sha).tree
            repo.git.update_ref(
                f"refs/heads/{branch}", repo.git.commit_tree(tree, [], "Initial commit", person, person)
            )
        data = self._render(req).repository(repo, full=True)
        return Response(201, data, {"Location": data["url"]})

    def list_forks(self, req: Request, owner: str, repo: str) -> Response:
        found = self._repo(req, owner, repo)
        forks = [fork for fork in found.forks if self._visible(req, fork)]
        forks.sort(key=lambda fork: (fork.created_at, fork.id), reverse=req.query.get("sort", "newest") != "oldest")
        page, headers = self._page(req, forks)
        render = self._render(req)
        return Response(200, [render.repository(fork) for fork in page], headers)

    def create_fork(self, req: Request, owner: str, repo: str) -> Response:
        parent = self._repo(req, owner, repo)
        actor = self._actor(req)
        body = req.object()
        target = self._fork_owner(req, actor, body.get("organization"))
        if target is parent.owner:
            raise custom("Repository", "A repository cannot be forked into the account that owns it")
        existing = next((fork for fork in parent.forks if fork.owner is target), None)
        if existing is None:
            name = body.get("name") or parent.name
            candidate, suffix = name, 0
            while self.state.repo(target.login, candidate):
                suffix += 1
                candidate = f"{name}-{suffix}"
            existing = self.add_repo(target.login, candidate, fork_of=parent)
            if body.get("default_branch_only"):
                for branch, _ in existing.git.branches():
                    if branch != existing.default_branch:
                        existing.git.delete_ref(f"refs/heads/{branch}")
        return Response(202, self._render(req).repository(existing, full=True))

    def _fork_owner(self, req: Request, actor: Account, organization: Any) -> Account:
        if organization:
            org = self.state.account(str(organization))
            if org is None or org.type != "Organization":
                raise invalid("Fork", "organization")
            return org
        if req.identity is not None and req.identity.installation is not None:
            account = req.identity.installation.account
            if account is None:
                raise ApiError(403, "Resource not accessible by integration")
            return account
        return actor

    # -- branches, refs, commits ---------------------------------------------------------
    def list_branches(self, req: Request, owner: str, repo: str) -> Response:
        found = self._repo(req, owner, repo)
        branches = found.git.branches()
        if req.query.get("protected", "").lower() in ("true", "1"):
            branches = []
        page, headers = self._page(req, branches)
        render = self._render(req)
        return Response(200, [render.short_branch(found, name, sha) for name, sha in page], headers)

    def get_branch(self, req: Request, owner: str, repo: str, branch: str) -> Response:
        found = self._repo(req, owner, repo)
        sha = found.git.branch(branch)
        if sha is None:
            raise ApiError(404, "Branch not found")
        return Response(200, self._render(req).branch(found, branch, found.git.commit_info(sha)))

    def _ref_json(self, req: Request, repo: Repo, ref: str, target: str) -> Json:
        return self._render(req).git_ref(repo, ref, target, repo.git.object_type(target) or "commit")

    def get_ref(self, req: Request, owner: str, repo: str, ref: str) -> Response:
        found = self._repo(req, owner, repo)
        full = f"refs/{ref}"
        target = found.git.ref_target(full) if not full.startswith("refs/fakegithub/") else None
        if target is None:
            raise ApiError(404, "Not Found")
        return Response(200, self._ref_json(req, found, full, target))

    def list_refs(self, req: Request, owner: str, repo: str, ref: str | None = None) -> Response:
        found = self._repo(req, owner, repo)
        prefix = f"refs/{ref}" if ref else "refs"
        refs = [
            (name, sha)
            for name, sha in found.git.refs("refs/")
            if (name == prefix or name.startswith(prefix.rstrip("/") + "/")) and not name.startswith("refs/fakegithub/")
        ]
        exact = [(name, sha) for name, sha in refs if name == prefix]
        if exact:
            return Response(200, self._ref_json(req, found, *exact[0]))
        if ref and not refs:
            raise ApiError(404, "Not Found")
        page, headers = self._page(req, refs)
        return Response(200, [self._ref_json(req, found, name, sha) for name, sha in page], headers)

    def create_ref(self, req: Request, owner: str, repo: str) -> Response:
        found = self._repo(req, owner, repo)
        self._actor(req)
        body = req.object()
        ref, sha = body.get("ref"), body.get("sha")
        if not isinstance(ref, str) or not isinstance(sha, str):
            raise missing("Reference", *[k for k in ("ref", "sha") if not isinstance(body.get(k), str)])
        if ref.count("/") < 2 or not ref.startswith("refs/") or ref.startswith(("refs/pull/", "refs/fakegithub/")):
            raise ApiError(422, "Reference name is invalid")
        if not found.git.succeeds("check-ref-format", ref):
            raise ApiError(422, "Reference name is invalid")
        if found.git.object_type(sha) is None:
            raise ApiError(422, "Object does not exist")
        if found.git.ref_target(ref) is not None:
            raise ApiError(422, "Reference already exists")
        found.git.update_ref(ref, sha, "0" * 40)
        found.pushed_at = self._tick()
        data = self._ref_json(req, found, ref, sha)
        return Response(201, data, {"Location": data["url"]})

    def update_ref(self, req: Request, owner: str, repo: str, ref: str) -> Response:
        found = self._repo(req, owner, repo)
        self._actor(req)
        body = req.object()
        sha = body.get("sha")
        if not isinstance(sha, str):
            raise missing("Reference", "sha")
        full = f"refs/{ref}"
        current = found.git.ref_target(full)
        if current is None or full.startswith(("refs/pull/", "refs/fakegithub/")):
            raise ApiError(422, "Reference does not exist")
        if not found.git.has_commit(sha):
            raise ApiError(422, "Object does not exist")
        if not body.get("force") and not found.git.is_ancestor(current, sha):
            raise ApiError(422, "Update is not a fast forward")
        found.git.update_ref(full, sha, current)
        found.pushed_at = self._tick()
        return Response(200, self._ref_json(req, found, full, sha))

    def delete_ref(self, req: Request, owner: str, repo: str, ref: str) -> Response:
        found = self._repo(req, owner, repo)
        self._actor(req)
        full = f"refs/{ref}"
        if found.git.ref_target(full) is None or full.startswith(("refs/pull/", "refs/fakegithub/")):
            raise ApiError(422, "Reference does not exist")
        found.git.delete_ref(full)
        found.pushed_at = self._tick()
        return Response(204)

    def get_commit(self, req: Request, owner: str, repo: str, ref: str) -> Response:
        found = self._repo(req, owner, repo)
        sha = found.git.resolve(ref)
        if sha is None:
            raise ApiError(422, f"No commit found for SHA: {ref}", errors=[])
        info = found.git.commit_info(sha)
        files = found.git.diff(info.parents[0] if info.parents else None, sha)
        return Response(200, self._render(req).commit(found, info, files))

    def _side(self, repo: Repo, spec: str) -> str:
        """A side of `base...head`: `ref`, `owner:ref` or `owner:repo:ref`, resolved in `repo`."""
        parts = spec.split(":")
        if len(parts) == 1:
            other: Repo | None = repo
        else:
            other = self._in_network(repo, parts[0], parts[1] if len(parts) == 3 else None)
        sha = other.git.resolve(parts[-1]) if other else None
        if other is None or sha is None:
            raise ApiError(404, "Not Found")
        self._bring(repo, other, sha)
        return sha

    def compare(self, req: Request, owner: str, repo: str, basehead: str) -> Response:
        found = self._repo(req, owner, repo)
        separator = "..." if "..." in basehead else ".."
        if separator not in basehead:
            raise ApiError(404, "Not Found")
        base_spec, head_spec = basehead.split(separator, 1)
        base, head = self._side(found, base_spec), self._side(found, head_spec)
        git = found.git
        merge_base = git.merge_base(base, head)
        if merge_base is None:
            raise ApiError(404, f"No common ancestor between {base_spec} and {head_spec}.")
        ahead = git.rev_list("--reverse", f"{base}..{head}")
        behind = git.rev_list(f"{head}..{base}")
        render = self._render(req)
        path = f"/compare/{q(basehead)}"
        owner = found.owner.login
        data = {
            "url": render.urls.repo_api(found, path),
            "html_url": render.urls.repo_web(found, path),
            "permalink_url": render.urls.repo_web(found, f"/compare/{owner}:{base}...{owner}:{head}"),
            "diff_url": render.urls.repo_web(found, f"{path}.diff"),
            "patch_url": render.urls.repo_web(found, f"{path}.patch"),
            "base_commit": render.commit(found, git.commit_info(base)),
            "merge_base_commit": render.commit(found, git.commit_info(merge_base)),
            "status": _compare_status(len(ahead), len(behind)),
            "ahead_by": len(ahead),
            "behind_by": len(behind),
            "total_commits": len(ahead),
            "commits": [render.commit(found, git.commit_info(sha)) for sha in ahead],
            "files": [render.diff_entry(found, head, change) for change in git.diff(merge_base, head)],
        }
        return Response(200, data)

    # -- pull requests -------------------------------------------------------------------
    def _sync_head(self, pull: Pull) -> None:
        """An open pull request follows its head branch (kept as refs/pull/N/head in the base)."""
        if pull.state != "open":
            return
        sha = pull.head_repo.git.branch(pull.head_ref)
        if sha is not None and sha != pull.head_sha:
            self._bring(pull.repo, pull.head_repo, sha)
            pull.repo.git.update_ref(f"refs/pull/{pull.number}/head", sha)
            pull.head_sha = sha

    def _base_sha(self, pull: Pull) -> str:
        if pull.state != "open" and pull.closed_base_sha:
            return pull.closed_base_sha
        return pull.repo.git.branch(pull.base_ref) or pull.closed_base_sha or pull.head_sha

    def _stats(self, pull: Pull, base_sha: str) -> dict[str, int]:
        if pull.frozen_stats is not None:
            return pull.frozen_stats
        git = pull.repo.git
        merge_base = git.merge_base(base_sha, pull.head_sha)
        changes = git.diff(merge_base, pull.head_sha)
        return {
            "commits": len(git.rev_list(f"{base_sha}..{pull.head_sha}")),
            "additions": sum(change.additions for change in changes),
            "deletions": sum(change.deletions for change in changes),
            "changed_files": len(changes),
        }

    def _pull_json(self, req: Request, pull: Pull, *, simple: bool = False) -> Json:
        self._sync_head(pull)
        base_sha = self._base_sha(pull)
        render = self._render(req)
        if simple:
            return render.pull_simple(pull, base_sha)
        mergeable = pull.repo.git.merge_tree(base_sha, pull.head_sha) is not None if pull.state == "open" else None
        return render.pull(pull, base_sha, self._stats(pull, base_sha), mergeable)

    def _close(self, pull: Pull, actor: Account) -> None:
        self._sync_head(pull)
        base_sha = self._base_sha(pull)
        pull.frozen_stats = self._stats(pull, base_sha)
        pull.closed_base_sha = base_sha
        pull.state = "closed"
        pull.closed_at = pull.updated_at = self._tick()
        pull.closed_by = actor

    def _reopen(self, pull: Pull) -> None:
        if pull.merged_at is not None:
            raise custom("PullRequest", "Cannot reopen a merged pull request")
        if pull.head_repo.git.branch(pull.head_ref) is None:
            raise custom("PullRequest", f"The {pull.head_ref} branch has been deleted")
        pull.state = "open"
        pull.frozen_stats = pull.closed_base_sha = pull.closed_at = pull.closed_by = None
        pull.updated_at = self._tick()
        self._sync_head(pull)

    def _set_state(self, pull: Pull, state: Any, actor: Account) -> None:
        if state not in ("open", "closed"):
            raise invalid("PullRequest", "state")
        if state == "closed" and pull.state == "open":
            self._close(pull, actor)
        elif state == "open" and pull.state == "closed":
            self._reopen(pull)

    def list_pulls(self, req: Request, owner: str, repo: str) -> Response:
        found = self._repo(req, owner, repo)
        pulls = self.state.pulls_of(found)
        state = req.query.get("state", "open")
        if state != "all":
            pulls = [pull for pull in pulls if pull.state == state]
        if head := req.query.get("head"):
            user, _, ref = head.rpartition(":")
            pulls = [
                p for p in pulls if p.head_ref == ref and (not user or p.head_repo.owner.login.lower() == user.lower())
            ]
        if base := req.query.get("base"):
            pulls = [pull for pull in pulls if pull.base_ref == base]
        sort = req.query.get("sort", "created")
        keys = {
            "updated": lambda p: (p.updated_at, p.number),
            "popularity": lambda p: (len(self.state.comments_of(p.repo, p.number)), p.number),
            "long-running": lambda p: (-p.created_at, p.number),
        }
        pulls.sort(key=keys.get(sort, lambda p: (p.created_at, p.number)))
        default_direction = "desc" if sort in ("created", "updated", "popularity") else "asc"
        if req.query.get("direction", default_direction) == "desc":
            pulls.reverse()
        page, headers = self._page(req, pulls)
        return Response(200, [self._pull_json(req, pull, simple=True) for pull in page], headers)

    def _head_of(self, repo: Repo, head: str, head_repo: Any) -> tuple[Repo, str]:
        """`head` ("branch" or "owner:branch", with `head_repo` "name" or "owner/name") -> repo, branch."""
        owner, _, branch = head.rpartition(":")
        name = str(head_repo).rpartition("/")[2] if head_repo else None
        if owner:
            found = self._in_network(repo, owner, name)
        elif head_repo:
            head_owner = str(head_repo).rpartition("/")[0] or repo.owner.login
            found = self._in_network(repo, head_owner, name)
        else:
            found = repo
        if found is None or not branch:
            raise invalid("PullRequest", "head")
        return found, branch

    def create_pull(self, req: Request, owner: str, repo: str) -> Response:
        found = self._repo(req, owner, repo)
        actor = self._actor(req)
        body = req.object()
        head, base = body.get("head"), body.get("base")
        if not isinstance(head, str) or not isinstance(base, str) or not head or not base:
            raise missing("PullRequest", *[k for k in ("head", "base") if not isinstance(body.get(k), str)])
        if "issue" in body:
            raise custom("PullRequest", "The fake GitHub does not turn issues into pull requests")
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            raise missing("PullRequest", "title")
        head_repo, head_ref = self._head_of(found, head, body.get("head_repo"))
        base_sha = found.git.branch(base)
        if base_sha is None:
            raise invalid("PullRequest", "base")
        head_sha = head_repo.git.branch(head_ref)
        if head_sha is None:
            raise invalid("PullRequest", "head")
        label = f"{head_repo.owner.login}:{head_ref}"
        for other in self.state.pulls_of(found):
            same = other.head_repo is head_repo and other.head_ref == head_ref and other.base_ref == base
            if same and other.state == "open":
                raise custom("PullRequest", f"A pull request already exists for {label}.")
        self._bring(found, head_repo, head_sha)
        if found.git.is_ancestor(head_sha, base_sha):
            raise custom("PullRequest", f"No commits between {base} and {label if head_repo is not found else head}")
        pull = self._new_pull(found, base, head_repo, head_ref, head_sha, title, body, actor)
        data = self._pull_json(req, pull)
        return Response(201, data, {"Location": data["url"]})

    def _new_pull(
        self,
        repo: Repo,
        base: str,
        head_repo: Repo,
        head_ref: str,
        head_sha: str,
        title: str,
        body: Json,
        actor: Account,
    ) -> Pull:
        number = repo.next_number
        repo.next_number += 1
        now = self._tick()
        pull = Pull(
            id=self.state.next_id(),
            issue_id=self.state.next_id(),
            number=number,
            repo=repo,
            base_ref=base,
            head_repo=head_repo,
            head_ref=head_ref,
            head_sha=head_sha,
            title=title,
            body=body.get("body"),
            user=actor,
            created_at=now,
            updated_at=now,
            draft=bool(body.get("draft")),
            maintainer_can_modify=bool(body.get("maintainer_can_modify")),
        )
        repo.git.update_ref(f"refs/pull/{number}/head", head_sha)
        self.state.pulls[(repo.full_name, number)] = pull
        return pull

    def get_pull(self, req: Request, owner: str, repo: str, pull_number: str) -> Response:
        pull = self._pull(self._repo(req, owner, repo), pull_number)
        return Response(200, self._pull_json(req, pull))

    def update_pull(self, req: Request, owner: str, repo: str, pull_number: str) -> Response:
        found = self._repo(req, owner, repo)
        pull = self._pull(found, pull_number)
        actor = self._actor(req)
        body = req.object()
        if "base" in body:
            if not isinstance(body["base"], str) or found.git.branch(body["base"]) is None:
                raise invalid("PullRequest", "base")
            pull.base_ref = body["base"]
        for key in ("title", "body"):
            if key in body:
                setattr(pull, key, body[key])
        if "maintainer_can_modify" in body:
            pull.maintainer_can_modify = bool(body["maintainer_can_modify"])
        if "state" in body:
            self._set_state(pull, body["state"], actor)
        pull.updated_at = self._tick()
        return Response(200, self._pull_json(req, pull))

    def is_merged(self, req: Request, owner: str, repo: str, pull_number: str) -> Response:
        pull = self._pull(self._repo(req, owner, repo), pull_number)
        if pull.merged_at is None:
            raise ApiError(404, "Not Found")
        return Response(204)

    def merge_pull(self, req: Request, owner: str, repo: str, pull_number: str) -> Response:
        found = self._repo(req, owner, repo)
        pull = self._pull(found, pull_number)
        actor = self._actor(req)
        body = req.object()
        if pull.state != "open":
            raise ApiError(405, "Pull Request is not mergeable")
        self._sync_head(pull)
        if body.get("sha") and body["sha"] != pull.head_sha:
            raise ApiError(409, "Head branch was modified. Review and try the merge again.")
        method = body.get("merge_method") or "merge"
        if method not in ("merge", "squash", "rebase"):
            raise invalid("PullRequest", "merge_method")
        base_sha = found.git.branch(pull.base_ref)
        if base_sha is None or found.git.is_ancestor(pull.head_sha, base_sha):
            raise ApiError(405, "Pull Request is not mergeable")
        stats = self._stats(pull, base_sha)
        merged = self._merge_commit(pull, method, base_sha, body, actor)
        if merged is None:
            raise ApiError(405, "Pull Request is not mergeable")
        found.git.update_ref(f"refs/heads/{pull.base_ref}", merged, base_sha)
        found.pushed_at = self._tick()
        pull.frozen_stats, pull.closed_base_sha = stats, base_sha
        pull.state, pull.merge_commit_sha, pull.merged_by, pull.closed_by = "closed", merged, actor, actor
        pull.merged_at = pull.closed_at = pull.updated_at = self._tick()
        return Response(200, {"sha": merged, "merged": True, "message": "Pull Request successfully merged"})

    def _merge_commit(self, pull: Pull, method: str, base_sha: str, body: Json, actor: Account) -> str | None:
        """The new tip of the base branch for `method`, or None when the merge conflicts."""
        git = pull.repo.git
        now = self._tick()
        committer = Person(*GITHUB, f"{now} +0000")
        if method == "rebase":
            commits = git.rev_list("--reverse", "--no-merges", f"{base_sha}..{pull.head_sha}")
            return git.rebase(base_sha, commits, committer)
        tree = git.merge_tree(base_sha, pull.head_sha)
        if tree is None:
            return None
        if method == "squash":
            title = body.get("commit_title") or f"{pull.title} (#{pull.number})"
            subjects = [
                git.commit_info(sha).message for sha in git.rev_list("--reverse", f"{base_sha}..{pull.head_sha}")
            ]
            message = body.get("commit_message")
            message = "\n\n".join(f"* {text}" for text in subjects) if message is None else message
            return git.commit_tree(tree, [base_sha], _message(title, message), self._person(pull.user, now), committer)
        title = (
            body.get("commit_title")
            or f"Merge pull request #{pull.number} from {pull.head_repo.owner.login}/{pull.head_ref}"
        )
        message = body.get("commit_message")
        message = pull.title if message is None else message
        author = self._person(actor, now)
        return git.commit_tree(tree, [base_sha, pull.head_sha], _message(title, message), author, committer)

    def request_reviewers(self, req: Request, owner: str, repo: str, pull_number: str) -> Response:
        found = self._repo(req, owner, repo)
        pull = self._pull(found, pull_number)
        self._actor(req)
        body = req.object()
        logins = body.get("reviewers") or []
        if not isinstance(logins, list):
            raise invalid("PullRequest", "reviewers")
        reviewers = []
        for login in logins:
            account = self.state.account(str(login))
            if account is None or account.type != "User":
                raise invalid("PullRequest", "reviewers", f"Reviews may only be requested from collaborators: {login}")
            if account is pull.user:
                raise custom("PullRequest", "Review cannot be requested from pull request author.")
            reviewers.append(account)
        for account in reviewers:
            if account not in pull.requested_reviewers:
                pull.requested_reviewers.append(account)
        pull.updated_at = self._tick()
        return Response(201, self._pull_json(req, pull, simple=True))

    # -- issues, their comments and labels ------------------------------------------------
    def _issue_json(self, req: Request, issue: Pull | Issue) -> Json:
        if isinstance(issue, Pull):
            self._sync_head(issue)
        return self._render(req).issue(issue)

    def list_issues(self, req: Request, owner: str, repo: str) -> Response:
        """Standalone issues and, as on GitHub, the issue sides of pull requests."""
        found = self._repo(req, owner, repo)
        issues: list[Pull | Issue] = [*self.state.pulls_of(found), *self.state.issues_of(found)]
        state = req.query.get("state", "open")
        if state not in ("open", "closed", "all"):
            raise invalid("Issue", "state")
        if state != "all":
            issues = [issue for issue in issues if issue.state == state]
        if wanted := [name.strip().lower() for name in req.query.get("labels", "").split(",") if name.strip()]:
            issues = [i for i in issues if set(wanted) <= {name.lower() for name in i.labels}]
        if creator := req.query.get("creator"):
            issues = [issue for issue in issues if issue.user.login.lower() == creator.lower()]
        if req.query.get("assignee", "none") != "none" or req.query.get("milestone", "none") != "none":
            issues = []  # nothing is assigned, nothing has a milestone
        if since := req.query.get("since"):
            threshold = _epoch(since, "Issue", "since")
            issues = [issue for issue in issues if issue.updated_at >= threshold]
        sort = req.query.get("sort", "created")
        keys = {
            "updated": lambda i: (i.updated_at, i.number),
            "comments": lambda i: (len(self.state.comments_of(i.repo, i.number)), i.number),
        }
        issues.sort(key=keys.get(sort, lambda i: (i.created_at, i.number)))
        if req.query.get("direction", "desc") == "desc":
            issues.reverse()
        page, headers = self._page(req, issues)
        return Response(200, [self._issue_json(req, issue) for issue in page], headers)

    def create_issue(self, req: Request, owner: str, repo: str) -> Response:
        found = self._repo(req, owner, repo)
        actor = self._actor(req)
        body = req.object()
        title = body.get("title")
        if isinstance(title, int) and not isinstance(title, bool):
            title = str(title)  # GitHub takes a number for a title too
        if not isinstance(title, str) or not title.strip():
            raise missing("Issue", "title")
        text = body.get("body")
        if text is not None and not isinstance(text, str):
            raise invalid("Issue", "body")
        if body.get("assignees") or body.get("assignee") or body.get("milestone") is not None:
            raise custom("Issue", "The fake GitHub does not assign issues or give them milestones")
        number = found.next_number
        found.next_number += 1
        now = self._tick()
        issue = Issue(self.state.next_id(), number, found, title, text, actor, now, now)
        if body.get("labels") is not None:
            self._label(found, issue, body["labels"])
        self.state.issues[(found.full_name, number)] = issue
        data = self._render(req).issue(issue)
        return Response(201, data, {"Location": data["url"]})

    def get_issue(self, req: Request, owner: str, repo: str, issue_number: str) -> Response:
        issue = self._issue(self._repo(req, owner, repo), issue_number)
        return Response(200, self._issue_json(req, issue))

    def update_issue(self, req: Request, owner: str, repo: str, issue_number: str) -> Response:
        found = self._repo(req, owner, repo)
        issue = self._issue(found, issue_number)
        actor = self._actor(req)
        body = req.object()
        if "title" in body and (not isinstance(body["title"], str) or not body["title"].strip()):
            raise invalid("Issue", "title")
        for key in ("title", "body"):
            if key in body:
                setattr(issue, key, body[key])
        if "labels" in body:
            issue.labels = []
            self._label(found, issue, body["labels"])
        if isinstance(issue, Pull):
            if "state" in body:
                self._set_state(issue, body["state"], actor)
        elif "state" in body or "state_reason" in body:
            self._set_issue_state(issue, body.get("state", issue.state), body.get("state_reason"), actor)
        issue.updated_at = self._tick()
        return Response(200, self._issue_json(req, issue))

    def _set_issue_state(self, issue: Issue, state: Any, reason: Any, actor: Account) -> None:
        """Close or reopen a standalone issue; closing says why (`completed` unless told otherwise)."""
        if state not in ("open", "closed"):
            raise invalid("Issue", "state")
        if reason is not None and reason not in STATE_REASONS:
            raise invalid("Issue", "state_reason")
        if state == "closed":
            if issue.state == "open":
                issue.state, issue.closed_at, issue.closed_by = "closed", self._tick(), actor
                issue.state_reason = "completed"
            if reason not in (None, "reopened"):
                issue.state_reason = reason
        else:
            if issue.state == "closed":
                issue.state, issue.closed_at, issue.closed_by = "open", None, None
                issue.state_reason = "reopened"
            if reason is not None:
                issue.state_reason = reason

    def list_comments(self, req: Request, owner: str, repo: str, issue_number: str) -> Response:
        found = self._repo(req, owner, repo)
        issue = self._issue(found, issue_number)
        comments = sorted(self.state.comments_of(found, issue.number), key=lambda c: c.id)
        if since := req.query.get("since"):
            threshold = _epoch(since, "IssueComment", "since")
            comments = [comment for comment in comments if comment.updated_at >= threshold]
        page, headers = self._page(req, comments)
        render = self._render(req)
        return Response(200, [render.comment(comment) for comment in page], headers)

    def create_comment(self, req: Request, owner: str, repo: str, issue_number: str) -> Response:
        found = self._repo(req, owner, repo)
        issue = self._issue(found, issue_number)
        actor = self._actor(req)
        text = req.object().get("body")
        if not isinstance(text, str) or not text:
            raise missing("IssueComment", "body")
        now = self._tick()
        comment = Comment(self.state.next_id(), found, issue.number, text, actor, now, now)
        self.state.comments[comment.id] = comment
        issue.updated_at = now
        data = self._render(req).comment(comment)
        return Response(201, data, {"Location": data["url"]})

    def update_comment(self, req: Request, owner: str, repo: str, comment_id: str) -> Response:
        found = self._repo(req, owner, repo)
        self._actor(req)
        comment = self.state.comments.get(int(comment_id)) if comment_id.isdigit() else None
        if comment is None or comment.repo is not found:
            raise ApiError(404, "Not Found")
        text = req.object().get("body")
        if not isinstance(text, str) or not text:
            raise missing("IssueComment", "body")
        comment.body = text
        comment.updated_at = self._tick()
        return Response(200, self._render(req).comment(comment))

    def _label(self, repo: Repo, issue: Pull | Issue, items: Any) -> None:
        """Add labels (names or {"name": ...}) to the issue, creating unknown ones as GitHub does."""
        if not isinstance(items, list):
            raise invalid("Label", "labels")
        for item in items:
            name = item.get("name") if isinstance(item, dict) else item
            if not isinstance(name, str) or not name.strip():
                raise invalid("Label", "name")
            known = next((label for key, label in repo.labels.items() if key.lower() == name.lower()), None)
            if known is None:
                known = repo.labels[name] = Label(self.state.next_id(), name)
            if known.name not in issue.labels:
                issue.labels.append(known.name)

    def list_labels(self, req: Request, owner: str, repo: str, issue_number: str) -> Response:
        found = self._repo(req, owner, repo)
        issue = self._issue(found, issue_number)
        page, headers = self._page(req, list(issue.labels))
        render = self._render(req)
        return Response(200, [render.label(found, found.labels[name]) for name in page], headers)

    def add_labels(self, req: Request, owner: str, repo: str, issue_number: str) -> Response:
        found = self._repo(req, owner, repo)
        issue = self._issue(found, issue_number)
        self._actor(req)
        body = req.json()
        items = body.get("labels") if isinstance(body, dict) else body
        if not items:
            raise missing("Label", "labels")
        self._label(found, issue, items)
        issue.updated_at = self._tick()
        render = self._render(req)
        return Response(200, [render.label(found, found.labels[name]) for name in issue.labels])

    # -- statuses and check runs ---------------------------------------------------------
    def create_status(self, req: Request, owner: str, repo: str, sha: str) -> Response:
        found = self._repo(req, owner, repo)
        actor = self._actor(req)
        body = req.object()
        state = body.get("state")
        if state is None:
            raise missing("Status", "state")
        if state not in ("error", "failure", "pending", "success"):
            raise invalid("Status", "state")
        commit = found.git.resolve(sha)
        if commit is None or not commit.startswith(sha.lower()):
            raise ApiError(422, f"No commit found for SHA: {sha}", errors=[])
        status = Status(
            self.state.next_id(),
            found,
            commit,
            state,
            body.get("context") or "default",
            actor,
            self._tick(),
            target_url=body.get("target_url"),
            description=body.get("description"),
        )
        self.state.statuses.append(status)
        data = self._render(req).status(status)
        return Response(201, data, {"Location": data["url"]})

    def _check_pulls(self, run: CheckRun) -> list[tuple[Pull, str]]:
        pulls = []
        for pull in self.state.pulls_of(run.repo):
            self._sync_head(pull)
            if pull.state == "open" and pull.head_repo is run.repo and pull.head_sha == run.head_sha:
                pulls.append((pull, self._base_sha(pull)))
        return pulls

    def create_check_run(self, req: Request, owner: str, repo: str) -> Response:
        found = self._repo(req, owner, repo)
        identity = req.identity
        if identity is None or identity.kind != "installation" or identity.app is None:
            raise ApiError(403, "You must authenticate via a GitHub App.")
        body = req.object()
        name, head_sha = body.get("name"), body.get("head_sha")
        if not isinstance(name, str) or not isinstance(head_sha, str):
            raise missing("CheckRun", *[k for k in ("name", "head_sha") if not isinstance(body.get(k), str)])
        commit = found.git.resolve(head_sha)
        if commit is None or commit != head_sha.lower():
            raise ApiError(422, f"No commit found for SHA: {head_sha}", errors=[])
        now = self._tick()
        run = CheckRun(self.state.next_id(), found, commit, name, identity.app, self.state.next_id(), "queued", now)
        self._apply_check(run, body, now)
        self.state.check_runs[run.id] = run
        return Response(201, self._render(req).check_run(run, self._check_pulls(run)))

    def update_check_run(self, req: Request, owner: str, repo: str, check_run_id: str) -> Response:
        found = self._repo(req, owner, repo)
        identity = req.identity
        run = self.state.check_runs.get(int(check_run_id)) if check_run_id.isdigit() else None
        if run is None or run.repo is not found:
            raise ApiError(404, "Not Found")
        if identity is None or identity.app is not run.app:
            raise ApiError(403, "You must authenticate via the GitHub App that created the check run.")
        changed = copy.copy(run)  # all or nothing: a 422 leaves the run as it was
        self._apply_check(changed, req.object(), self._tick())
        vars(run).update(vars(changed))
        return Response(200, self._render(req).check_run(run, self._check_pulls(run)))

    @staticmethod
    def _apply_check(run: CheckRun, body: Json, now: int) -> None:
        for key in ("name", "details_url", "external_id"):
            if isinstance(body.get(key), str):
                setattr(run, key, body[key])
        if "started_at" in body:
            run.started_at = _epoch(body["started_at"], "CheckRun", "started_at")
        if "status" in body:
            if body["status"] not in CHECK_STATUSES:
                raise invalid("CheckRun", "status")
            run.status = body["status"]
        if body.get("conclusion") is not None:
            if body["conclusion"] not in CHECK_CONCLUSIONS:
                raise invalid("CheckRun", "conclusion")
            run.conclusion, run.status = body["conclusion"], "completed"
        if run.status == "completed" and run.conclusion is None:
            raise missing("CheckRun", "conclusion")
        if "completed_at" in body:
            run.completed_at = _epoch(body["completed_at"], "CheckRun", "completed_at")
        elif run.status == "completed" and run.completed_at is None:
            run.completed_at = now
        if isinstance(body.get("output"), dict):
            run.output = {**run.output, **body["output"]}

    # -- fork sync -----------------------------------------------------------------------
    def merge_upstream(self, req: Request, owner: str, repo: str) -> Response:
        fork = self._repo(req, owner, repo)
        actor = self._actor(req)
        branch = req.object().get("branch")
        if not isinstance(branch, str) or not branch:
            raise missing("Repository", "branch")
        parent = fork.parent
        if parent is None:
            raise ApiError(422, "This repository is not a fork")
        upstream, mine = parent.git.branch(branch), fork.git.branch(branch)
        if upstream is None or mine is None:
            raise ApiError(422, f"Branch {branch} not found")
        self._bring(fork, parent, upstream)
        label = f"{parent.owner.login}:{branch}"
        if fork.git.is_ancestor(upstream, mine):
            return self._synced("none", f"This branch is not behind the upstream {label}.", label)
        if fork.git.is_ancestor(mine, upstream):
            fork.git.update_ref(f"refs/heads/{branch}", upstream, mine)
            fork.pushed_at = self._tick()
            return self._synced(
                "fast-forward", f"Successfully fetched and fast-forwarded from upstream {label}.", label
            )
        tree = fork.git.merge_tree(mine, upstream) if self.options.merge_upstream_merges else None
        if tree is None:
            raise ApiError(409, "There are merge conflicts")
        now = self._tick()
        message = f"Merge branch '{branch}' of {parent.full_name} into {branch}"
        merged = fork.git.commit_tree(
            tree, [mine, upstream], message, self._person(actor, now), Person(*GITHUB, f"{now} +0000")
        )
        fork.git.update_ref(f"refs/heads/{branch}", merged, mine)
        fork.pushed_at = self._tick()
        return self._synced("merge", f"Successfully fetched and merged from upstream {label}.", label)

    @staticmethod
    def _synced(kind: str, message: str, label: str) -> Response:
        return Response(200, {"message": message, "merge_type": kind, "base_branch": label})

    # -- security advisories -------------------------------------------------------------
    def list_advisories(self, req: Request, owner: str, repo: str) -> Response:
        """A repository's security advisories, paged by cursor; unpublished ones only for its administrators."""
        found = self._repo(req, owner, repo)
        advisories = self.state.advisories_of(found)
        if not self._administers(req, found):
            advisories = [advisory for advisory in advisories if advisory.state in PUBLIC_ADVISORY_STATES]
        if state := req.query.get("state"):
            if state not in ADVISORY_STATES:
                raise ApiError(400, f"Invalid state: {state}")
            advisories = [advisory for advisory in advisories if advisory.state == state]
        sort = req.query.get("sort", "created")
        keys = {
            "created": lambda a: (a.created_at, a.ghsa_id),
            "updated": lambda a: (a.updated_at, a.ghsa_id),
            "published": lambda a: (a.published_at or 0, a.ghsa_id),
        }
        direction = req.query.get("direction", "desc")
        if sort not in keys or direction not in ("asc", "desc"):
            raise ApiError(400, f"Invalid {'sort' if sort not in keys else 'direction'}")
        advisories.sort(key=keys[sort], reverse=direction == "desc")
        page, headers = self._cursor_page(req, advisories, lambda advisory: advisory.ghsa_id)
        render = self._render(req)
        return Response(200, [render.advisory(advisory) for advisory in page], headers)


def _compare_status(ahead: int, behind: int) -> str:
    if ahead and behind:
        return "diverged"
    return "ahead" if ahead else "behind" if behind else "identical"


def _message(title: str, message: str) -> str:
    return f"{title}\n\n{message}" if message else title
