"""A local, stateful fake of GitLab's REST API v4, over real HTTP on 127.0.0.1.

`FakeGitLab` serves `/api/v4/...` and git's smart HTTP (`/NAMESPACE/PROJECT.git/...`), keeps
each project's repository as a bare git repository under `root`, and checks every answer
against GitLab's API description: one that does not match is recorded in `validation_errors`
and replaced by a 500, so the client sees it too.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.fakeforge.http import LoopbackServer, read_body, send, send_text, serve_git_backend
from tests.fakeforge.rules import Delay, Malformed, spoiler, take
from tests.fakeforge.validation import specificity, template_regex
from tests.fakegitlab.handlers import JOB_TOKEN_REFUSES, ROUTES, ApiError, Request, Response
from tests.fakegitlab.mergerequests import MergeRequestHandlers
from tests.fakegitlab.projects import ProjectHandlers
from tests.fakegitlab.render import Renderer
from tests.fakegitlab.schema import GREEDY, PREFIX, Operation, SwaggerSpec, load_spec
from tests.fakegitlab.state import Group, Identity, MergeRequest, Project, State, User

RATE_LIMIT = 2000
GIT_PATH = re.compile(r"^/(?P<project>[^/]+/[^/]+?)(\.git)?/(info/refs|git-upload-pack|git-receive-pack)$")


@dataclass
class _Injection:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: Any
    remaining: int
    retry_after: int | None = None


@dataclass
class Options:
    """Knobs tests may turn."""

    max_per_page: int = 100
    import_reads: int = 1  # GET /projects/:id answers before a fork's import is `finished`
    allow_anonymous: bool = True  # GitLab answers public reads without a token


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # without /api/v4 and the query
    status: int
    query: str = ""
    auth: str = ""  # "private", "bearer", "job" or ""


class FakeGitLab(LoopbackServer, ProjectHandlers, MergeRequestHandlers):
    """The fake GitLab: state, HTTP server, validation and fault injection."""

    thread_name = "fakegitlab"
    server_version = "fakegitlab/1.0"

    def __init__(self, root: Path, *, spec: SwaggerSpec | None = None):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.spec = spec or load_spec()
        self.state = State()
        self.options = Options()
        self.renderer = Renderer(self.state, "http://127.0.0.1")
        self.validation_errors: list[str] = []
        self.internal_errors: list[str] = []
        self.requests: list[RequestRecord] = []
        self.malformed: list[str] = []
        self.push_denied: set[str] = set()
        self._injections: list[_Injection] = []
        self._delays: list[Delay] = []
        self._malformed: list[Malformed] = []
        self._lock = threading.RLock()
        self._routes = [
            (m, t, template_regex(t, GREEDY), h) for m, t, h in sorted(ROUTES, key=lambda r: specificity(r[1]))
        ]
        self._used = 0

    def start(self) -> FakeGitLab:
        super().start()
        self.renderer.url = self.url
        return self

    def __enter__(self) -> FakeGitLab:
        return self.start()

    @property
    def url(self) -> str:
        """The instance's root (`GITLAB_URL`); the API is under `/api/v4`."""
        return self.root_url

    @property
    def api_url(self) -> str:
        return self.url + PREFIX

    def gitlab(self, token: str | None = None, *, job_token: str | None = None, **kwargs: Any) -> Any:
        """A `gitlab.Gitlab` client for the fake (private token, or CI job token)."""
        import gitlab

        return gitlab.Gitlab(self.url, private_token=token, job_token=job_token, **kwargs)

    # -- users, groups, projects -----------------------------------------------------------
    def add_user(
        self, username: str, token: str | None = None, *, name: str | None = None, email: str | None = None
    ) -> User:
        """A user; `token` (optional) is a personal access token of theirs."""
        with self._lock:
            if self.state.namespace(username) is not None:
                raise ValueError(f"namespace {username!r} already exists")
            user = User(
                self.state.next_id(),
                username,
                name or username,
                self.state.clock.tick(),
                self.state.next_id(),
                email=email,
            )
            self.state.users[username.lower()] = user
            if token:
                self.add_token(username, token)
            return user

    def add_token(self, username: str, token: str) -> None:
        with self._lock:
            self.state.tokens[token] = Identity(self._user(username))

    def add_job_token(
        self, token: str, project: str, *, user: str, refuses: frozenset[str] = JOB_TOKEN_REFUSES
    ) -> None:
        """A CI job token of a pipeline in `project`, run by `user` (GitLab's `CI_JOB_TOKEN`).

        It is refused (403) the handlers `refuses` names (by default `JOB_TOKEN_REFUSES`: it may
        read, and set commit statuses); add e.g. "create_status" to refuse that too.
        """
        with self._lock:
            identity = Identity(self._user(user), job_project=self.project(project), refuses=frozenset(refuses))
            self.state.tokens[token] = identity

    def add_group(self, path: str, *, name: str | None = None, members: tuple[str, ...] = ()) -> Group:
        """A top-level group; `members` (usernames) may create and change its projects."""
        with self._lock:
            if self.state.namespace(path) is not None:
                raise ValueError(f"namespace {path!r} already exists")
            group = Group(self.state.next_id(), path, name or path, self.state.clock.tick(), set(members))
            self.state.groups[path.lower()] = group
            return group

    add_org = add_group  # the fake GitHub's name

    def add_project(
        self,
        namespace: str,
        path: str,
        *,
        source_path: Path | None = None,
        fork_of: str | Project | None = None,
        default_branch: str | None = None,
        description: str | None = None,
    ) -> Project:
        """A project in `namespace` (a user is created if unknown), with a bare repository.

        `source_path` is cloned; otherwise a fork starts as a clone of its parent (`fork_of`,
        "namespace/path"), and anything else starts empty. Its import is already finished.
        """
        with self._lock:
            owner = self.state.namespace(namespace) or self.add_user(namespace)
            parent = self.project(fork_of) if isinstance(fork_of, str) else fork_of
            return self.create_project_record(
                owner,
                path,
                source_path=source_path,
                fork_of=parent,
                default_branch=default_branch,
                description=description,
            )

    add_repo = add_project  # the fake GitHub's name

    def _user(self, username: str) -> User:
        user = self.state.users.get(username.lower())
        if user is None:
            raise ValueError(f"no user {username!r}")
        return user

    def project(self, full_path: str) -> Project:
        """The project record by `namespace/path` or id (KeyError if there is none)."""
        found = self.state.project(full_path)
        if found is None:
            raise KeyError(full_path)
        return found

    def repo_path(self, namespace: str, path: str) -> Path:
        return self.project(f"{namespace}/{path}").git_path

    def branch_sha(self, full_path: str, branch: str) -> str | None:
        return self.project(full_path).git.branch(branch)

    def merge_request(self, full_path: str, iid: int) -> MergeRequest:
        """The merge request record of the target project (KeyError if there is none)."""
        return self.state.merge_requests[(self.project(full_path).id, iid)]

    pull = merge_request  # the fake GitHub's name

    def clone_url(self, full_path: str) -> str:
        return self.renderer.clone_url(self.project(full_path))

    # -- fault injection -------------------------------------------------------------------
    def fail_next(self, method: str, path_regex: str, status: int, *, body: Any = None, times: int = 1) -> None:
        """Answer the next `times` matching requests (path without /api/v4) with `status` (GitLab's body)."""
        with self._lock:
            self._injections.append(_Injection(method.upper(), re.compile(path_regex), status, body, times))

    def rate_limit(self, times: int = 1, retry_after: int = 1, *, method: str = "*", path_regex: str = "") -> None:
        """429 with `Retry-After` and GitLab's `RateLimit-*` headers for the next `times` requests."""
        with self._lock:
            self._injections.append(_Injection(method.upper(), re.compile(path_regex), 429, None, times, retry_after))

    def delay_next(self, method: str, path_regex: str, seconds: float, *, times: int = 1) -> None:
        with self._lock:
            self._delays.append(Delay(method.upper(), re.compile(path_regex), seconds, times))

    def malformed_next(self, method: str, path_regex: str, body: Any, *, times: int = 1) -> None:
        """Replace the next matching answers (after validation) by `body` bytes or what `body(json)` gives."""
        with self._lock:
            self._malformed.append(Malformed(method.upper(), re.compile(path_regex), spoiler(body), times))

    def corrupt_next(self, path_regex: str, mutate: Any, *, method: str = "*", times: int = 1) -> None:
        """Test-only: change the next matching JSON in place *before* validation (so validation must catch it)."""
        with self._lock:
            self._injections.append(_Injection(method.upper(), re.compile(path_regex), -1, mutate, times))

    def deny_pushes(self, full_path: str) -> None:
        with self._lock:
            self.push_denied.add(full_path.lower())

    def unreachable(self, full_path: str, *, times: int = 1000) -> None:
        """Every API request about the project answers 503 (a fork whose instance is down)."""
        project = self.project(full_path)
        encoded = re.escape(full_path.replace("/", "%2F"))
        self.fail_next("*", rf"^/projects/({project.id}|{encoded})(/|$)", 503, times=times)

    # -- HTTP ------------------------------------------------------------------------------
    def _serve(self, http: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(http.path)
        raw_path = parts.path
        body = read_body(http)
        try:
            if not raw_path.startswith(PREFIX + "/") and GIT_PATH.match(raw_path):
                self._serve_git(http, raw_path, parts.query, body)
                return
            path = raw_path[len(PREFIX) :] if raw_path.startswith(PREFIX + "/") else raw_path
            with self._lock:
                rule = take(self._delays, http.command.upper(), path)
            if rule is not None:
                time.sleep(rule.seconds)  # outside the lock: other requests are answered meanwhile
            self._answer(http, path, parts.query, body, api=raw_path.startswith(PREFIX + "/"))
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
            http.close_connection = True

    def _answer(self, http: BaseHTTPRequestHandler, path: str, query: str, body: bytes, *, api: bool) -> None:
        with self._lock:
            request = Request(
                http.command.upper(),
                path,
                dict(parse_qsl(query, keep_blank_values=True)),
                query,
                {key.lower(): value for key, value in http.headers.items()},
                body,
            )
            response, operation = (
                self._dispatch(request) if api else (Response(404, {"message": "404 Not Found"}), None)
            )
            payload, content_type = _encode(response)
            if not response.internal and api:
                response, payload, content_type = self._validated(request, operation, response, payload, content_type)
            if (rule := take(self._malformed, request.method, path)) is not None:
                self.malformed.append(f"{request.method} {path}")
                payload, content_type = rule.spoil(response.body), "application/json"
            self.requests.append(
                RequestRecord(request.method, path, response.status, query, _auth_kind(request.headers))
            )
            # A 5xx from the proxy in front of GitLab carries no RateLimit-* headers (python-gitlab
            # would wait until RateLimit-Reset before retrying).
            proxied = response.status >= 500 and response.headers.pop("X-Fake-Proxy", None) is not None
            headers = {**({} if proxied else self._rate_headers()), **response.headers}
        if content_type:
            headers["Content-Type"] = content_type
        send(http, response.status, headers, payload)

    def _validated(
        self,
        request: Request,
        operation: Operation | None,
        response: Response,
        payload: bytes,
        content_type: str | None,
    ) -> tuple[Response, bytes, str | None]:
        problems = self.spec.validate_response(operation, response.status, payload, content_type)
        if not problems:
            return response, payload, content_type
        name = operation.name if operation else "(no operation)"
        for problem in problems:
            self.validation_errors.append(f"{request.method} {request.path} -> {response.status} [{name}]: {problem}")
        message = (
            f"fakegitlab: the {response.status} answer to {request.method} {request.path} does not match GitLab's API description ({name}): "
            + "; ".join(problems)
        )
        failed = Response(500, {"message": message}, internal=True)
        return (failed, *_encode(failed))

    def _rate_headers(self) -> dict[str, str]:
        self._used += 1
        reset = int(time.time()) + 60
        return {
            "RateLimit-Limit": str(RATE_LIMIT),
            "RateLimit-Observed": str(self._used),
            "RateLimit-Remaining": str(max(RATE_LIMIT - self._used, 0)),
            "RateLimit-Reset": str(reset),
            "RateLimit-ResetTime": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(reset)),
            "X-Request-Id": f"FAKE{len(self.requests):06d}",
        }

    # -- dispatch --------------------------------------------------------------------------
    def _dispatch(self, request: Request) -> tuple[Response, Operation | None]:
        found = None
        for method, template, regex, handler in self._routes:
            if method == request.method and (match := regex.match(request.path)):
                found = (template, handler, {k: unquote(v) for k, v in match.groupdict().items()})
                break
        operation = (
            self.spec.operation(request.method, found[0]) if found else self.spec.match(request.method, request.path)
        )
        request.operation = operation
        try:
            injected = self._take_injection(request)
            if injected is not None:
                return injected, operation
            if found is None:
                raise ApiError(404, "404 Not Found", key="error")
            template, handler, params = found
            request.identity = self._authenticate(request)
            if request.identity is None and request.method != "GET":
                raise ApiError(401, "401 Unauthorized")
            if request.identity is not None and request.identity.is_job and handler in request.identity.refuses:
                raise ApiError(
                    403,
                    "403 Forbidden - the CI/CD job token cannot do this: it needs a personal, project or group access token with the api scope",
                )
            response: Response = getattr(self, handler)(request, **params)
        except ApiError as error:
            response = Response(error.status, error.body, error.headers)
        except Exception:  # a bug in the fake: the test must fail, loudly
            self.internal_errors.append(f"{request.method} {request.path}: {traceback.format_exc()}")
            response = Response(500, {"message": "500 Internal Server Error"}, internal=True)
        return response, operation

    def _take_injection(self, request: Request) -> Response | None:
        rule = take(self._injections, request.method, request.path)
        if rule is None:
            return None
        if rule.status == -1:  # corrupt_next: carry the request out, spoil its JSON before validation
            response = self._dispatch_uninjected(request)
            if isinstance(response.body, (dict, list)):
                rule.body(response.body)
            return response
        if rule.retry_after is not None:
            headers = {"Retry-After": str(rule.retry_after), "RateLimit-Remaining": "0"}
            return Response(429, {"message": "Retry later"}, headers)
        return Response(
            rule.status,
            rule.body if rule.body is not None else {"message": f"{rule.status} {_REASONS.get(rule.status, 'Error')}"},
            {"X-Fake-Proxy": "1"} if rule.status >= 500 else {},
        )

    def _dispatch_uninjected(self, request: Request) -> Response:
        saved, self._injections = self._injections, []
        try:
            return self._dispatch(request)[0]
        finally:
            self._injections = saved + self._injections

    def _authenticate(self, request: Request) -> Identity | None:
        """Who the request is from (`PRIVATE-TOKEN`, `Authorization: Bearer`, `JOB-TOKEN`); 401 for a bad token."""
        headers = request.headers
        token = headers.get("private-token") or headers.get("job-token")
        scheme, _, credential = headers.get("authorization", "").partition(" ")
        if token is None and scheme.lower() == "bearer":
            token = credential.strip()
        if token is None:
            if self.options.allow_anonymous:
                return None
            raise ApiError(401, "401 Unauthorized")
        identity = self.state.tokens.get(token)
        if identity is None or (("job-token" in headers) != identity.is_job):
            raise ApiError(401, "401 Unauthorized")
        return identity

    # -- git over HTTP ---------------------------------------------------------------------
    def _serve_git(self, http: BaseHTTPRequestHandler, path: str, query: str, body: bytes) -> None:
        """git's smart HTTP; a push needs HTTP Basic with a token as password (any user name, as on GitLab)."""
        found = GIT_PATH.match(path)
        assert found is not None
        full = unquote(found.group("project"))
        with self._lock:
            project = self.state.project_by_path(full)
            pushing = path.endswith("/git-receive-pack") or "service=git-receive-pack" in query
            identity = self._basic_identity(http.headers.get("Authorization", ""))
        if project is None:
            send_text(http, 404, "The project you were looking for could not be found.\n")
            return
        if pushing and identity is None:
            send(
                http,
                401,
                {"WWW-Authenticate": 'Basic realm="GitLab"', "Content-Type": "text/plain"},
                b"HTTP Basic: Access denied\n",
            )
            return
        if pushing and (full.lower() in self.push_denied or not self._may_push(identity, project)):
            send_text(http, 403, "You are not allowed to push code to this project.\n")
            return
        serve_git_backend(http, self.root / "repos", _backend_path(project, path), query, body, self._lock)

    def _basic_identity(self, header: str) -> Identity | None:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            _, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return None
        return self.state.tokens.get(password)

    @staticmethod
    def _may_push(identity: Identity | None, project: Project) -> bool:
        if identity is None or project.archived:
            return False
        owner = project.namespace
        return owner is identity.user if isinstance(owner, User) else identity.user.username in owner.members


def _backend_path(project: Project, path: str) -> str:
    """The request path under `root/repos` that git http-backend serves (`.git` is optional on GitLab)."""
    tail = "info/refs" if path.endswith("/info/refs") else path.rsplit("/", 1)[1]
    return f"/{project.git_path.parent.name}/{project.git_path.name}/{tail}"


def _auth_kind(headers: dict[str, str]) -> str:
    if "private-token" in headers:
        return "private"
    if "job-token" in headers:
        return "job"
    return "bearer" if headers.get("authorization", "").lower().startswith("bearer ") else ""


def _encode(response: Response) -> tuple[bytes, str | None]:
    if response.body is None:
        return b"", None
    return json.dumps(response.body).encode(), "application/json"


_REASONS = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
