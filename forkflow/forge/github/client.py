"""One authenticated session against GitHub, through github3.py: credentials, timeouts, retries,
and every API call's failure turned into a :class:`~forkflow.errors.ForgeError` without the token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import github3
import requests
from github3.exceptions import GitHubError, GitHubException, NotFoundError, TransportError
from requests.adapters import HTTPAdapter

from forkflow.credential import Credential, git_host_of_api
from forkflow.errors import ForgeError, RateLimited
from forkflow.forge.http import CONNECT_TIMEOUT, DEFAULT_TIMEOUT, rate_limit_message, retries, shorten

PUBLIC_API = "https://api.github.com"
T = TypeVar("T")


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

    def __init__(
        self,
        credentials: Credentials,
        api_url: str = PUBLIC_API,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        hosts: frozenset[str] | None = None,
    ):
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.hosts = hosts if hosts is not None else frozenset({git_host_of_api(self.api_url)})
        self._gh = (
            github3.GitHub() if self.api_url == PUBLIC_API else github3.GitHubEnterprise(_enterprise_root(self.api_url))
        )
        self._gh.session.base_url = self.api_url
        self._gh.session.default_connect_timeout = min(timeout, CONNECT_TIMEOUT)
        self._gh.session.default_read_timeout = timeout
        adapter = HTTPAdapter(max_retries=retries())
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
        """Run one API call; GitHub's failures become ForgeError, without the token, rate limits explained.

        The library's exception is left out of the chain (``from None``) on purpose: its text and
        its response may hold the token, and a crash log would print them; the message here says,
        scrubbed, what it said.
        """
        try:
            return action()
        except NotFoundError:
            raise ForgeError(f"{what}: not found (or the token cannot see it)") from None
        except GitHubError as err:
            limit = rate_limit_message(getattr(err, "response", None))
            if limit is not None:
                raise RateLimited(f"{what}: {limit}") from None
            raise ForgeError(self.clean(f"{what}: {shorten(str(err))}")) from None
        except TransportError as err:
            raise ForgeError(self.clean(f"{what}: {self._transport(err)}")) from None
        except (GitHubException, requests.RequestException) as err:
            raise ForgeError(self.clean(f"{what}: {shorten(str(err))}")) from None

    def _transport(self, err: TransportError) -> str:
        cause = getattr(err, "exception", None)
        if isinstance(cause, requests.Timeout):
            return f"GitHub did not answer within {self.timeout:g} s (FORKFLOW_GITHUB_TIMEOUT sets the wait)"
        return f"GitHub cannot be reached ({shorten(str(cause or err))})"

    def clean(self, text: str) -> str:
        """``text`` without the token."""
        token = getattr(self, "token", None)
        return text.replace(token, "***") if token else text


def _enterprise_root(api_url: str) -> str:
    """github3 appends /api/v3 to an Enterprise URL: give it the root."""
    return api_url[: -len("/api/v3")] if api_url.endswith("/api/v3") else api_url


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
