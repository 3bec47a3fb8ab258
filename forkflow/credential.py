"""Who is given forkflow's token: the forge's own host, over https, and nobody else.

A manifest names repositories anywhere, and a forge's answers name the urls forkflow pushes
to; any server on the way can answer 401 and ask git for credentials.  The token
(``GITHUB_TOKEN`` or ``--token``) goes only to the forge's hosts, and only over https:

- the forge's host is ``github.com``, or the host of ``GITHUB_SERVER_URL`` when it is set
  (GitHub Actions sets it; GitHub Enterprise's is its own host), or else the host of
  ``GITHUB_API_URL`` (``api.github.com`` is ``github.com``'s API, ``https://ghe.example/api/v3``
  is ``ghe.example``'s);
- every other https host gets what the user's git credential helper has for it, or nothing;
- ``http://`` gets no credential at all, not even on the forge's host;
- SSH urls use the SSH agent, or the private key named by ``FORKFLOW_SSH_KEY`` (its public key
  beside it as ``<key>.pub``, when there is one).

With the GitLab forge (``forge="gitlab"``) the token is ``GITLAB_TOKEN`` (else the pipeline's
``CI_JOB_TOKEN``) and the forge's host is the host of ``GITLAB_URL``, else ``CI_SERVER_URL``, else
``gitlab.com``: the GitLab token never goes to GitHub's host, and GitHub's token never to GitLab's.

The credential is built from the environment here and nowhere else (:meth:`Credential.from_env`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from forkflow.errors import CredentialError
from forkflow.urls import Transport, authority, transport_of

PUBLIC_HOST = "github.com"
GITLAB_PUBLIC_URL = "https://gitlab.com"
SSH_KEY_VARIABLE = "FORKFLOW_SSH_KEY"
TOKEN_USER = "x-access-token"
"""The user name a GitHub token goes with over https (GitHub reads only the password)."""
GITLAB_TOKEN_USER = "oauth2"
"""The user name a GitLab personal, project or group access token goes with over https."""
JOB_TOKEN_USER = "gitlab-ci-token"
"""The user name GitLab wants with a CI job token (``CI_JOB_TOKEN``)."""


@dataclass(frozen=True)
class Credential:
    """A forge's token and the hosts it belongs to, and the SSH key to offer (None: the agent).

    ``hosts`` holds ``host[:port]`` in lower case, as :func:`forkflow.urls.authority` names
    them; it is a set so that a second forge's host (GitLab) can join it.
    """

    token: str | None = field(default=None, repr=False)
    hosts: frozenset[str] = frozenset()
    ssh_key: str | None = None
    user: str = TOKEN_USER
    """The user name the token goes with over https."""
    source: str = "GITHUB_TOKEN (or --token)"
    """Where the token came from, for the message when a host refuses it."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str], token: str | None = None, *, forge: str | None = None) -> Credential:
        """The token, the forge's hosts and the SSH key the environment gives.

        GitHub (any ``forge`` but ``"gitlab"``): ``token``, else ``GITHUB_TOKEN``, for GitHub's host.
        GitLab: ``GITLAB_TOKEN``, else ``CI_JOB_TOKEN``, for the instance's host; ``token`` (``--token``,
        which is GitHub's) is not used, so a GitHub token never goes to GitLab.
        """
        ssh_key = environ.get(SSH_KEY_VARIABLE) or None
        if forge == "gitlab":
            hosts = frozenset({gitlab_host(environ)})
            if environ.get("GITLAB_TOKEN"):
                return cls(environ["GITLAB_TOKEN"], hosts, ssh_key, GITLAB_TOKEN_USER, "GITLAB_TOKEN")
            job = environ.get("CI_JOB_TOKEN") or None
            return cls(job, hosts, ssh_key, JOB_TOKEN_USER, "CI_JOB_TOKEN")
        return cls(token=token or environ.get("GITHUB_TOKEN") or None, hosts=forge_hosts(environ), ssh_key=ssh_key)

    def token_for(self, url: str) -> str | None:
        """The token when ``url`` is https on one of the forge's hosts, else None."""
        if self.token is None:
            return None
        try:
            if transport_of(url) is not Transport.HTTPS:
                return None
        except ValueError:
            return None
        return self.token if authority(url) in self.hosts else None

    def hide(self, text: str) -> str:
        """``text`` with the token, wherever it appears, replaced by ``***``."""
        return text.replace(self.token, "***") if self.token else text

    def shown_hosts(self) -> str:
        return ", ".join(sorted(self.hosts)) or "no host"


def forge_hosts(environ: Mapping[str, str]) -> frozenset[str]:
    """The hosts of the forge's git repositories: GITHUB_SERVER_URL's, else GITHUB_API_URL's, else github.com."""
    server = environ.get("GITHUB_SERVER_URL")
    if server:
        host = authority(server)
        if host is None or transport_of(server) not in (Transport.HTTPS, Transport.HTTP):
            raise CredentialError(f"GITHUB_SERVER_URL {server!r} is not an https:// url (such as https://github.com)")
        return frozenset({host})
    api = environ.get("GITHUB_API_URL")
    return frozenset({git_host_of_api(api)}) if api else frozenset({PUBLIC_HOST})


def gitlab_url(environ: Mapping[str, str]) -> str:
    """The GitLab instance: GITLAB_URL, else CI_SERVER_URL (GitLab CI sets it), else https://gitlab.com."""
    for variable in ("GITLAB_URL", "CI_SERVER_URL"):
        value = environ.get(variable)
        if value:
            if authority(value) is None or transport_of(value) not in (Transport.HTTPS, Transport.HTTP):
                raise CredentialError(f"{variable} {value!r} is not an https:// url (such as {GITLAB_PUBLIC_URL})")
            return value.rstrip("/")
    return GITLAB_PUBLIC_URL


def gitlab_host(environ: Mapping[str, str]) -> str:
    """The host of the GitLab instance's git repositories (its own: GitLab serves git and the API on one host)."""
    host = authority(gitlab_url(environ))
    assert host is not None  # gitlab_url checked it
    return host


def git_host_of_api(api_url: str) -> str:
    """Where a GitHub API's repositories live.

    ``https://api.github.com`` -> ``github.com``; ``https://ghe.example/api/v3`` -> ``ghe.example``.
    """
    host = authority(api_url)
    if host is None or transport_of(api_url) not in (Transport.HTTPS, Transport.HTTP):
        raise CredentialError(f"GITHUB_API_URL {api_url!r} is not an https:// url (such as https://api.github.com)")
    return host.removeprefix("api.")
