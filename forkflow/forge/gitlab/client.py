"""One authenticated session against a GitLab instance, through python-gitlab: the token, timeouts,
retries, and every API call's failure turned into a :class:`~forkflow.errors.ForgeError` without the token.

The token is a personal, project or group access token (``GITLAB_TOKEN``, sent as ``PRIVATE-TOKEN``)
or, in a pipeline, the job's own token (``CI_JOB_TOKEN``, sent as ``JOB-TOKEN``).  A job token may
do little through the API: when GitLab refuses it, the error names the permission the action needs.
Waiting, retries and rate limits are :mod:`forkflow.forge.http`'s, as for GitHub: python-gitlab's
own retrying (which waits as long as the server says) is turned off.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import gitlab
import requests
from gitlab.exceptions import GitlabError
from requests.adapters import HTTPAdapter

from forkflow.credential import GITLAB_TOKEN_USER, JOB_TOKEN_USER, Credential, gitlab_url
from forkflow.errors import ForgeError, RateLimited
from forkflow.forge.http import DEFAULT_TIMEOUT, rate_limit_message, retries, shorten, timeout_from_env
from forkflow.forge.meta import project_path
from forkflow.urls import Transport, authority, transport_of

__all__ = ["GitLabClient", "client_from_env", "project_path"]

T = TypeVar("T")
API_SCOPE = "a project access token with the api scope and the Developer role"


class _Gitlab(gitlab.Gitlab):
    """python-gitlab with its own retries off: forkflow's (bounded) retries are the session's."""

    def http_request(self, verb: str, path: str, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.update(obey_rate_limit=False, retry_transient_errors=False, max_retries=0)
        return super().http_request(verb, path, *args, **kwargs)


class GitLabClient:
    """One session against ``url`` (GitLab.com, a self-managed instance, or a test server)."""

    def __init__(self, url: str, token: str | None, *, job_token: bool = False, timeout: float = DEFAULT_TIMEOUT):
        if not token:
            raise ForgeError(
                "no GitLab credentials: set GITLAB_TOKEN (an access token with the api scope), "
                "or run in a GitLab CI job (CI_JOB_TOKEN)"
            )
        self.url = url.rstrip("/")
        self.token = token
        self.job_token = job_token
        self.timeout = timeout
        host = authority(self.url)
        if host is None or transport_of(self.url) not in (Transport.HTTPS, Transport.HTTP):
            raise ForgeError(f"{self.url!r} is not the https:// url of a GitLab instance")
        self.host = host
        self._last: requests.Response | None = None  # the last answer: its headers explain a refusal
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=retries())
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.hooks["response"].append(self._seen)
        self._gl = _Gitlab(
            self.url,
            private_token=None if job_token else token,
            job_token=token if job_token else None,
            timeout=timeout,
            session=session,
            per_page=100,
        )

    def _seen(self, response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        self._last = response

    @property
    def gl(self) -> gitlab.Gitlab:
        return self._gl

    @property
    def credential(self) -> Credential:
        """The session's token, for git on the instance's own host only."""
        user = JOB_TOKEN_USER if self.job_token else GITLAB_TOKEN_USER
        source = "CI_JOB_TOKEN" if self.job_token else "GITLAB_TOKEN"
        return Credential(token=self.token, hosts=frozenset({self.host}), user=user, source=source)

    def call(self, action: Callable[[], T], what: str, *, needs: str = "the api scope") -> T:
        """Run one API call; GitLab's failures become ForgeError, without the token, rate limits explained.

        ``needs`` names the permission the action takes, for the error a job token gets.  The
        library's exception is left out of the chain (``from None``): its text may hold what was sent.
        """
        try:
            return action()
        except GitlabError as err:
            raise self._refused(err, what, needs) from None
        except requests.Timeout:
            raise ForgeError(
                f"{what}: GitLab did not answer within {self.timeout:g} s (FORKFLOW_GITLAB_TIMEOUT sets the wait)"
            ) from None
        except requests.RequestException as err:
            raise ForgeError(self.clean(f"{what}: GitLab cannot be reached ({shorten(str(err))})")) from None

    def _refused(self, err: GitlabError, what: str, needs: str) -> ForgeError:
        code = err.response_code
        last = self._last
        limit = rate_limit_message(last, "GitLab") if last is not None and last.status_code == code else None
        if limit is not None:
            return RateLimited(f"{what}: {limit}")
        if code == 404:
            return ForgeError(f"{what}: not found (or the token cannot see it)")
        if code in (401, 403) and self.job_token:
            return ForgeError(
                f"{what}: GitLab refused the CI job token (HTTP {code}): this needs {needs}, which CI_JOB_TOKEN "
                f"does not have; set GITLAB_TOKEN to {API_SCOPE}"
            )
        message = err.error_message if isinstance(err.error_message, str) else str(err.error_message)
        answer = f"HTTP {code}: {message}" if code else message
        return ForgeError(self.clean(f"{what}: {shorten(answer)}"))

    def clean(self, text: str) -> str:
        """``text`` without the token."""
        return text.replace(self.token, "***") if self.token else text


def client_from_env(environ: Mapping[str, str]) -> GitLabClient:
    """The instance (GITLAB_URL, CI_SERVER_URL, gitlab.com) and token (GITLAB_TOKEN, else CI_JOB_TOKEN)."""
    url = gitlab_url(environ)
    timeout = timeout_from_env(environ, "GitLab")
    if environ.get("GITLAB_TOKEN"):
        return GitLabClient(url, environ["GITLAB_TOKEN"], timeout=timeout)
    return GitLabClient(url, environ.get("CI_JOB_TOKEN"), job_token=True, timeout=timeout)
