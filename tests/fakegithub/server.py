"""A local, stateful fake of GitHub's REST API, over real HTTP on 127.0.0.1.

`FakeGitHub` runs a `ThreadingHTTPServer` in a thread. It serves the API at its root (like
api.github.com) and under `/api/v3` (like GitHub Enterprise), keeps its repositories as bare
git repositories under `root`, and checks every response it sends against GitHub's OpenAPI
description: a response that does not match is recorded in `validation_errors` and replaced
by a 500, so the client sees it too.

    with FakeGitHub(tmp_path) as fake:
        fake.add_user("alice", token="alice-token")
        fake.add_repo("acme", "product", source_path=work_tree)
        gh = fake.github("alice-token")            # a github3.GitHub talking to the fake
        gh.repository("acme", "product").create_fork()
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from tests.fakeforge.gitops import BareRepo
from tests.fakeforge.http import LoopbackServer, read_body, send
from tests.fakeforge.paging import int_arg, link_header, page_of
from tests.fakegithub.faults import GIT_PATH, Delay, Faults, Malformed
from tests.fakegithub.handlers import (
    ADVISORY_SEVERITIES,
    ADVISORY_STATES,
    DOCS,
    ROUTES,
    ApiError,
    Handlers,
    Request,
    Response,
)
from tests.fakegithub.render import Urls
from tests.fakegithub.schema import SPEC_PATH, Operation, load_spec, template_regex
from tests.fakegithub.state import Account, Advisory, App, Identity, Installation, Issue, Pull, Repo, State

try:  # PyJWT verifies the App's RS256 signature when it is installed.
    import jwt as pyjwt
except ImportError:  # pragma: no cover - exercised only without PyJWT
    pyjwt = None  # type: ignore[assignment]

API_PREFIX = "/api/v3"
RATE_LIMIT = 5000


class _Triple(NamedTuple):
    method: str
    path: str
    status: int


class RequestRecord(_Triple):
    """One answered request: a `(method, path, status)` tuple, plus its `query` string.

    The path is without `/api/v3` and without the query.
    """

    query: str

    def __new__(cls, method: str, path: str, status: int, query: str = "") -> RequestRecord:
        record = super().__new__(cls, method, path, status)
        record.query = query
        return record

    def __repr__(self) -> str:
        query = f"?{self.query}" if self.query else ""
        return f"RequestRecord({self.method} {self.path}{query} -> {self.status})"


@dataclass
class _Injection:
    """A canned answer for the next matching requests (`fail_next`, `rate_limit`)."""

    method: str
    pattern: re.Pattern[str]
    status: int
    headers: dict[str, str]
    body: Any
    remaining: int
    retry_after: int | None = None  # set for rate-limit answers


@dataclass
class _Corruption:
    """A test-only hook that spoils the JSON of the next matching response."""

    method: str
    pattern: re.Pattern[str]
    mutate: Callable[[Any], Any]
    remaining: int


@dataclass(frozen=True)
class _Route:
    method: str
    template: str
    regex: re.Pattern[str]
    handler: str


@dataclass
class _Options:
    """Knobs tests may turn."""

    max_per_page: int = 100
    allow_anonymous: bool = False
    merge_upstream_merges: bool = True  # GitHub merges a diverged fork; False: 409 unless fast-forward
    git_root: str | None = None  # clone_url's base: a git server over `root / "repos"`; None: file:// URIs


class FakeGitHub(LoopbackServer, Handlers, Faults):
    """The fake GitHub: state, HTTP server, validation and failure injection."""

    def __init__(self, root: Path, *, spec_path: Path = SPEC_PATH):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.spec = load_spec(spec_path)
        self.state = State()
        self.options = _Options()
        self.validation_errors: list[str] = []
        self.internal_errors: list[str] = []
        self.requests: list[RequestRecord] = []
        self._injections: list[_Injection] = []
        self._corruptions: list[_Corruption] = []
        self._delays: list[Delay] = []
        self._malformed: list[Malformed] = []
        self.malformed: list[str] = []  # the answers malformed_next spoiled: "METHOD path"
        self.git_over_http = False
        self.push_denied: set[str] = set()  # "owner/name" (lower case) that git pushes over HTTP may not reach
        self._lock = threading.RLock()
        self._routes = self._compile_routes()
        self._used = 0

    # -- lifecycle -----------------------------------------------------------------------
    thread_name = "fakegithub"
    server_version = "fakegithub/1.0"

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The API root (also the web root; GitHub Enterprise clients add `/api/v3`)."""
        if self._server is None:
            raise RuntimeError("the fake GitHub is not started")
        return self.root_url

    @property
    def enterprise_api_url(self) -> str:
        return self.url + API_PREFIX

    # -- github3.py clients --------------------------------------------------------------
    def github(self, token: str | None = None) -> Any:
        """A `github3.GitHub` pointed at the fake (api.github.com style)."""
        import github3

        client = github3.GitHub(token=token or "")
        client.session.base_url = self.url
        return client

    def enterprise(self, token: str | None = None) -> Any:
        """A `github3.GitHubEnterprise` for the fake (its API under `/api/v3`)."""
        import github3

        return github3.GitHubEnterprise(self.url, token=token or "")

    # -- accounts and apps ---------------------------------------------------------------
    def add_user(
        self, login: str, token: str | None = None, *, name: str | None = None, email: str | None = None
    ) -> Account:
        """A user; `token` (optional) authenticates as them (`token X` or `Bearer X`)."""
        with self._lock:
            account = self._new_account(login, "User", name=name, email=email)
            if token:
                self.add_token(login, token)
            return account

    def add_token(self, login: str, token: str) -> None:
        """One more personal access token for an existing user."""
        with self._lock:
            account = self.state.account(login)
            if account is None or account.type != "User":
                raise ValueError(f"no user {login!r}")
            self.state.tokens[token] = Identity("user", account=account)

    def add_org(self, login: str, *, name: str | None = None, members: tuple[str, ...] = ()) -> Account:
        """An organization (members are user logins, used for `author_association`)."""
        with self._lock:
            org = self._new_account(login, "Organization", name=name)
            org.members.update(members)
            return org

    def add_app(
        self,
        app_id: int,
        public_key_pem: bytes | str,
        installation_id: int,
        installation_token: str,
        *,
        slug: str | None = None,
        name: str | None = None,
        account: str | None = None,
        repositories: list[str] | None = None,
    ) -> App:
        """A GitHub App and its installation on `account` (None: everywhere).

        `POST /app/installations/{installation_id}/access_tokens` (with a JWT signed by the
        App's private key) hands out `installation_token`, which then acts as `slug[bot]`.
        `repositories` (full names) restricts the installation; None means all of the account's.
        """
        with self._lock:
            slug = slug or f"app-{app_id}"
            on = self.state.account(account) if account else None
            if account and on is None:
                raise ValueError(f"no account {account!r}")
            owner = on or self._new_account(f"{slug}-owner", "User")
            pem = _public_pem(public_key_pem.encode() if isinstance(public_key_pem, str) else public_key_pem)
            app = App(app_id, slug, name or slug, pem, owner, self.state.clock.tick())
            bot = self._new_account(f"{slug}[bot]", "Bot", email=f"{app_id}+{slug}[bot]@users.noreply.github.com")
            app.installation = Installation(
                installation_id,
                app,
                on,
                installation_token,
                bot,
                self.state.clock.tick(),
                set(repositories) if repositories is not None else None,
            )
            self.state.apps[app_id] = app
            self.state.installations[installation_id] = app.installation
            return app

    def _new_account(self, login: str, kind: str, *, name: str | None = None, email: str | None = None) -> Account:
        if self.state.account(login):
            raise ValueError(f"account {login!r} already exists")
        account = Account(login, self.state.next_id(), kind, self.state.clock.tick(), name=name, email=email)
        self.state.accounts[login] = account
        return account

    # -- repositories --------------------------------------------------------------------
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
    ) -> Repo:
        """A repository of `owner` (a user is created if unknown), as a bare git repository.

        `source_path` (a working or bare repository) is cloned; otherwise a fork starts as a
        clone of its parent (`fork_of`, "owner/name"), and anything else starts empty.
        `default_branch` defaults to the parent's for a fork, to "main" otherwise.
        """
        with self._lock:
            account = self.state.account(owner) or self._new_account(owner, "User")
            if self.state.repo(owner, name):
                raise ValueError(f"repository {owner}/{name} already exists")
            parent = self._repo_arg(fork_of)
            branch = default_branch or (parent.default_branch if parent else "main")
            path = self.root / "repos" / account.login / f"{name}.git"
            if source_path is not None:
                BareRepo.clone(Path(source_path), path)
            elif parent is not None:
                BareRepo.clone(parent.path, path)
            else:
                BareRepo.init(path, branch)
            BareRepo(path).git("symbolic-ref", "HEAD", f"refs/heads/{branch}")
            now = self.state.clock.tick()
            repo = Repo(self.state.next_id(), account, name, path, branch, now, now, now, parent=parent)
            repo.description, repo.private, repo.is_template = description, private, is_template
            if parent is not None:
                parent.forks.append(repo)
            self.state.repos[repo.full_name] = repo
            return repo

    def _repo_arg(self, repo: str | Repo | None) -> Repo | None:
        if repo is None or isinstance(repo, Repo):
            return repo
        owner, _, name = repo.partition("/")
        found = self.state.repo(owner, name)
        if found is None:
            raise ValueError(f"no repository {repo!r}")
        return found

    def repo(self, owner: str, name: str) -> Repo:
        """The repository record (KeyError if there is none)."""
        found = self.state.repo(owner, name)
        if found is None:
            raise KeyError(f"{owner}/{name}")
        return found

    def repo_path(self, owner: str, name: str) -> Path:
        """Where the repository's bare git repository is (push and fetch there with git)."""
        return self.repo(owner, name).path

    def branch_sha(self, owner: str, name: str, branch: str) -> str | None:
        """The commit a branch points to, read from the bare repository."""
        return self.repo(owner, name).git.branch(branch)

    def pull(self, owner: str, name: str, number: int) -> Pull:
        """The pull request record (KeyError if there is none)."""
        return self.state.pulls[(self.repo(owner, name).full_name, number)]

    def issue(self, owner: str, name: str, number: int) -> Issue:
        """The standalone issue record (KeyError if there is none; a pull request's issue side is `pull`)."""
        return self.state.issues[(self.repo(owner, name).full_name, number)]

    # -- security advisories -------------------------------------------------------------
    def add_advisory(
        self,
        owner: str,
        name: str,
        *,
        ghsa_id: str,
        summary: str,
        cve_id: str | None = None,
        description: str | None = "",
        severity: str | None = "high",
        state: str = "published",
        published_at: int | None = None,
        withdrawn_at: int | None = None,
    ) -> Advisory:
        """A security advisory of the repository owner/name, as GET .../security-advisories lists it.

        Times are epochs. `published_at` defaults to now for a published or withdrawn advisory,
        `withdrawn_at` to now for a withdrawn one; a closed one is closed now. It was created at the
        earliest of these (now if none is earlier) and last updated at the latest.
        """
        with self._lock:
            repo = self.repo(owner, name)
            if ghsa_id in self.state.advisories:
                raise ValueError(f"advisory {ghsa_id} already exists")
            if state not in ADVISORY_STATES:
                raise ValueError(f"an advisory's state is one of {ADVISORY_STATES}, not {state!r}")
            if severity is not None and severity not in ADVISORY_SEVERITIES:
                raise ValueError(f"an advisory's severity is one of {ADVISORY_SEVERITIES} or None, not {severity!r}")
            now = self.state.clock.tick()
            if published_at is None and state in ("published", "withdrawn"):
                published_at = now
            if withdrawn_at is None and state == "withdrawn":
                withdrawn_at = now
            closed_at = now if state == "closed" else None
            times = [when for when in (now, published_at, withdrawn_at, closed_at) if when is not None]
            advisory = Advisory(
                ghsa_id,
                repo,
                summary,
                description,
                severity,
                state,
                min(times),
                max(times),
                cve_id=cve_id,
                published_at=published_at,
                closed_at=closed_at,
                withdrawn_at=withdrawn_at,
            )
            self.state.advisories[ghsa_id] = advisory
            return advisory

    # -- failure injection ---------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` requests matching `method` ("*": any) and `path_regex`.

        The regex is searched in the path without `/api/v3` and without the query. The body
        defaults to GitHub's error JSON, or to nothing where the description documents the
        status without a body. Where the operation documents the status, the answer is
        validated like any other response.
        """
        with self._lock:
            injection = _Injection(method.upper(), re.compile(path_regex), status, dict(headers or {}), body, times)
            self._injections.append(injection)

    def rate_limit(
        self, times: int = 1, status: int = 429, retry_after: int = 1, *, method: str = "*", path_regex: str = ""
    ) -> None:
        """Rate-limit the next `times` requests: 403 (primary) or 429 (secondary), as GitHub does."""
        if status not in (403, 429):
            raise ValueError("GitHub rate-limits with 403 or 429")
        with self._lock:
            injection = _Injection(method.upper(), re.compile(path_regex), status, {}, None, times, retry_after)
            self._injections.append(injection)

    def corrupt_next(
        self,
        path_regex: str,
        mutate: Callable[[Any], None] | None = None,
        *,
        body: Any = None,
        method: str = "*",
        times: int = 1,
    ) -> None:
        """Test-only: spoil the next matching response before it is validated.

        `mutate` changes the JSON in place (its return value is ignored); `body` replaces it.
        """
        if (mutate is None) == (body is None):
            raise ValueError("give either mutate or body")

        def spoil(original: Any) -> Any:
            if mutate is None:
                return body
            mutate(original)
            return original

        with self._lock:
            self._corruptions.append(_Corruption(method.upper(), re.compile(path_regex), spoil, times))

    # -- HTTP ----------------------------------------------------------------------------
    def _serve(self, http: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(http.path)
        prefix = API_PREFIX if parts.path == API_PREFIX or parts.path.startswith(API_PREFIX + "/") else ""
        path = parts.path[len(prefix) :] or "/"
        body = read_body(http)
        try:
            if self.git_over_http and not prefix and GIT_PATH.match(path):
                self._serve_git(http, path, parts.query, body)
                return
            pause = self._pause_for(http.command.upper(), path)
            if pause:
                time.sleep(pause)  # outside the lock: other requests are answered meanwhile
            self._answer(http, prefix, path, parts.query, body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a timeout)
            http.close_connection = True

    def _answer(self, http: BaseHTTPRequestHandler, prefix: str, path: str, query: str, body: bytes) -> None:
        with self._lock:
            request = Request(
                method=http.command.upper(),
                path=path,
                query=dict(parse_qsl(query, keep_blank_values=True)),
                query_string=query,
                headers={key.lower(): value for key, value in http.headers.items()},
                raw_body=body,
                urls=Urls(
                    self.url, prefix, clone_root=self.options.git_root or (self.url if self.git_over_http else None)
                ),
            )
            response, operation = self._dispatch(request)
            try:
                payload, content_type = self._encode(response)
                response, payload, content_type = self._validated(request, operation, response, payload, content_type)
            except Exception:  # a bug in the fake or its validator: the test must fail, loudly
                self.internal_errors.append(f"{request.method} {request.path}: {traceback.format_exc()}")
                response = Response(500, {"message": "fakegithub crashed", "documentation_url": DOCS}, internal=True)
                payload, content_type = self._encode(response)
            spoiled = self._spoiled(request.method, path, response.body)
            if spoiled is not None:
                payload, content_type = spoiled, "application/json; charset=utf-8"
            self.requests.append(RequestRecord(request.method, path, response.status, query))
            headers = self._standard_headers(response)
        if content_type:
            headers["Content-Type"] = content_type
        send(http, response.status, headers, payload)

    @staticmethod
    def _encode(response: Response) -> tuple[bytes, str | None]:
        if response.body is None:
            return b"", None
        return json.dumps(response.body, indent=None).encode(), "application/json; charset=utf-8"

    def _validated(
        self,
        request: Request,
        operation: Operation | None,
        response: Response,
        payload: bytes,
        content_type: str | None,
    ) -> tuple[Response, bytes, str | None]:
        """The response if it agrees with the description; else a 500 saying why (and a record)."""
        if response.internal:
            return response, payload, content_type
        problems = self.spec.validate_response(operation, response.status, payload, content_type)
        if not problems:
            return response, payload, content_type
        name = operation.name if operation else "(no operation)"
        for problem in problems:
            self.validation_errors.append(f"{request.method} {request.path} -> {response.status} [{name}]: {problem}")
        message = (
            f"fakegithub: the {response.status} response to {request.method} {request.path} does not match "
            f"GitHub's OpenAPI description ({name}): " + "; ".join(problems)
        )
        failed = Response(500, {"message": message, "documentation_url": DOCS}, internal=True)
        return (failed, *self._encode(failed))

    def _standard_headers(self, response: Response) -> dict[str, str]:
        self._used += 1
        headers = {
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Request-Id": f"FAKE:{len(self.requests):06d}",
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(max(RATE_LIMIT - self._used, 0)),
            "X-RateLimit-Reset": str(int(time.time()) + 3600),
            "X-RateLimit-Used": str(self._used),
            "X-RateLimit-Resource": "core",
        }
        headers.update(response.headers)
        return headers

    # -- dispatch ------------------------------------------------------------------------
    def _compile_routes(self) -> list[_Route]:
        def specificity(item: tuple[str, str, str]) -> tuple[int, str]:
            return (-len(re.sub(r"\{[^}]+\}", "", item[1])), item[1])

        return [_Route(m, t, template_regex(t), h) for m, t, h in sorted(ROUTES, key=specificity)]

    def _find_route(self, method: str, path: str) -> tuple[_Route, dict[str, str]] | None:
        for route in self._routes:
            if route.method == method and (found := route.regex.match(path)):
                return route, {key: unquote(value) for key, value in found.groupdict().items()}
        return None

    def _dispatch(self, request: Request) -> tuple[Response, Operation | None]:
        found = self._find_route(request.method, request.path)
        operation = (
            self.spec.operation(request.method, found[0].template)
            if found
            else self.spec.match(request.method, request.path)
        )
        request.operation = operation
        injected = self._take_injection(request, operation)
        if injected is not None:
            return injected, operation
        try:
            if found is None:
                raise ApiError(404, "Not Found")
            route, params = found
            request.identity = self._authenticate(request, route.template)
            response: Response = getattr(self, route.handler)(request, **params)
        except ApiError as error:
            response = self._error_response(error, operation)
        except Exception:  # a bug in the fake: the test must fail, loudly
            self.internal_errors.append(f"{request.method} {request.path}: {traceback.format_exc()}")
            response = Response(500, {"message": "fakegithub crashed", "documentation_url": DOCS}, internal=True)
        return self._corrupted(request, response), operation

    def _error_response(self, error: ApiError, operation: Operation | None) -> Response:
        """GitHub's error JSON, or no body where the description documents the status without one."""
        documented = (operation.responses if operation else {}).get(str(error.status))
        if documented is not None and not documented.get("content"):
            return Response(error.status, None, error.headers)
        body: dict[str, Any] = {"message": error.message, "documentation_url": error.documentation_url or DOCS}
        if error.errors is not None:
            body["errors"] = error.errors
        body["status"] = str(error.status)
        return Response(error.status, body, error.headers)

    def _take_injection(self, request: Request, operation: Operation | None) -> Response | None:
        for injection in self._injections:
            if injection.method in ("*", request.method) and injection.pattern.search(request.path):
                injection.remaining -= 1
                if injection.remaining <= 0:
                    self._injections.remove(injection)
                return self._injected_response(injection, operation)
        return None

    def _injected_response(self, injection: _Injection, operation: Operation | None) -> Response:
        if injection.retry_after is not None:
            return self._rate_limited(injection.status, injection.retry_after)
        if injection.body is not None:
            return Response(injection.status, injection.body, injection.headers)
        error = ApiError(injection.status, _REASONS.get(injection.status, "Error"), headers=injection.headers)
        if injection.status == 422:
            error.errors = []
        return self._error_response(error, operation)

    def _rate_limited(self, status: int, retry_after: int) -> Response:
        headers = {
            "Retry-After": str(retry_after),
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(time.time()) + retry_after),
            "X-RateLimit-Used": str(RATE_LIMIT),
            "X-RateLimit-Resource": "core",
        }
        if status == 403:
            message = (
                "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, "
                "please include the request ID."
            )
            docs = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
        else:
            message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
            docs = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
        return Response(status, {"message": message, "documentation_url": docs}, headers)

    def _corrupted(self, request: Request, response: Response) -> Response:
        for corruption in self._corruptions:
            if corruption.method in ("*", request.method) and corruption.pattern.search(request.path):
                corruption.remaining -= 1
                if corruption.remaining <= 0:
                    self._corruptions.remove(corruption)
                if response.body is not None:
                    response.body = corruption.mutate(response.body)
                break
        return response

    # -- authentication ------------------------------------------------------------------
    def _authenticate(self, request: Request, template: str) -> Identity | None:
        """Who the request is from; ApiError(401) when the credentials are missing or wrong."""
        app_route = template.startswith("/app") or template == "/repos/{owner}/{repo}/installation"
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if not scheme:
            if self.options.allow_anonymous and request.method == "GET" and not app_route:
                return None
            raise ApiError(401, "Requires authentication")
        if scheme.lower() not in ("token", "bearer") or not credential.strip():
            raise ApiError(401, "Bad credentials")
        credential = credential.strip()
        identity = self.state.tokens.get(credential)
        if identity is None and credential.count(".") == 2:
            identity = self._verify_jwt(credential)
        if identity is None:
            raise ApiError(401, "Bad credentials")
        if app_route and identity.kind != "app":
            raise ApiError(401, "A JSON web token could not be decoded")
        if not app_route and identity.kind == "app":
            raise ApiError(401, "A JSON web token authenticates a GitHub App only on /app endpoints")
        return identity

    def _verify_jwt(self, token: str) -> Identity:
        """An App's JWT: RS256, signed by a known App's key, unexpired, at most 10 minutes long."""
        claims = _jwt_claims(token)
        try:
            app = self.state.apps.get(int(claims.get("iss", "")))
        except (TypeError, ValueError):
            app = None
        if app is None:
            raise ApiError(401, "'Issuer' claim ('iss') must be the ID of a known GitHub App")
        if pyjwt is not None:
            try:
                pyjwt.decode(
                    token, app.public_key_pem, algorithms=["RS256"], options={"require": ["exp", "iat", "iss"]}
                )
            except pyjwt.ExpiredSignatureError as error:
                raise ApiError(401, "'Expiration time' claim ('exp') must be in the future") from error
            except pyjwt.InvalidTokenError as error:
                raise ApiError(401, f"A JSON web token could not be decoded: {error}") from error
        elif _jwt_header(token).get("alg") != "RS256" or claims.get("exp", 0) < time.time():
            raise ApiError(401, "A JSON web token could not be decoded")
        if claims.get("exp", 0) - claims.get("iat", 0) > 600 + 60:
            raise ApiError(401, "'Expiration time' claim ('exp') is too far in the future")
        return Identity("app", app=app)

    # -- pagination ----------------------------------------------------------------------
    def _page(self, request: Request, items: list[Any]) -> tuple[list[Any], dict[str, str]]:
        """One page of `items` and its `Link` header (per_page capped at `options.max_per_page`)."""
        chunk, page, _, last = page_of(items, request.query, 30, self.options.max_per_page)
        header = link_header(request.urls.api(request.path), request.query_string, page, last)
        return chunk, {"Link": header} if header else {}

    def _cursor_page(
        self, request: Request, items: list[Any], key: Callable[[Any], str]
    ) -> tuple[list[Any], dict[str, str]]:
        """One page of `items` by cursor, as GitHub pages its newer lists (security advisories...).

        Each item's cursor is an opaque encoding of its `key`. `after` starts the page just after
        that item, `before` ends it just before it (400 for a cursor that names no item). The
        `Link` header has rel="next" (`after` the page's last item) and rel="prev" (`before` its
        first) where there is more; `page` is ignored.
        """
        per_page = min(max(_int(request.query.get("per_page"), 30), 1), self.options.max_per_page)
        cursors = [_cursor(key(item)) for item in items]
        start, end = 0, len(items)
        for name in ("after", "before"):
            if (cursor := request.query.get(name)) is not None:
                if cursor not in cursors:
                    raise ApiError(400, f"Invalid '{name}' cursor")
                if name == "after":
                    start = cursors.index(cursor) + 1
                else:
                    end = cursors.index(cursor)
        if request.query.get("before") is not None and request.query.get("after") is None:
            start = max(end - per_page, start)
        end = min(start + per_page, end)
        links = []
        if end < len(items) and end > start:
            links.append(("after", cursors[end - 1], "next"))
        if start > 0 and start < len(items):
            links.append(("before", cursors[start], "prev"))
        if not links:
            return items[start:end], {}
        header = ", ".join(f'<{self._cursor_url(request, name, cursor)}>; rel="{rel}"' for name, cursor, rel in links)
        return items[start:end], {"Link": header}

    @staticmethod
    def _cursor_url(request: Request, name: str, cursor: str) -> str:
        query = [(key, value) for key, value in parse_qsl(request.query_string, keep_blank_values=True)]
        query = [(key, value) for key, value in query if key not in ("after", "before", "page")] + [(name, cursor)]
        return request.urls.api(request.path) + "?" + urlencode(query)


_REASONS = {
    400: "Bad Request",
    401: "Bad credentials",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    410: "Gone",
    422: "Validation Failed",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


_int = int_arg


def _cursor(key: str) -> str:
    """An opaque cursor for the item `key` names (GitHub's are base64 too)."""
    return base64.urlsafe_b64encode(f"cursor:v2:{key}".encode()).decode().rstrip("=")


def _public_pem(pem: bytes) -> bytes:
    """The public key of a PEM key (a private key is accepted too, for convenience)."""
    if b"PRIVATE KEY" not in pem:
        return pem
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(pem, password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _b64json(part: str) -> dict[str, Any]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except ValueError as error:
        raise ApiError(401, "A JSON web token could not be decoded") from error
    if not isinstance(decoded, dict):
        raise ApiError(401, "A JSON web token could not be decoded")
    return decoded


def _jwt_header(token: str) -> dict[str, Any]:
    return _b64json(token.split(".", maxsplit=1)[0])


def _jwt_claims(token: str) -> dict[str, Any]:
    return _b64json(token.split(".")[1])
