"""Choosing a forge: ``local`` (the embedded default), ``github`` or ``gitlab``."""

from __future__ import annotations

from collections.abc import Mapping

from forkflow.errors import ForgeError
from forkflow.forge import Forge
from forkflow.forge.local import LocalForge
from forkflow.workspace import Workspace

FORGES = ("local", "github", "gitlab")


def open_forge(space: Workspace, kind: str, *, token: str | None = None, environ: Mapping[str, str]) -> Forge:
    """The forge named ``kind``; GitHub's credentials and API url come from ``environ`` (or ``token``), and
    GitLab's instance and token from ``environ`` alone (a GitHub token never goes to GitLab)."""
    if kind == "local":
        run_id = environ.get("FORKFLOW_RUN_ID") or environ.get("GITHUB_RUN_ID")
        return LocalForge(space.repo, space.store, space.manifest, run_id=run_id)
    if kind == "github":
        from forkflow.credential import forge_hosts
        from forkflow.forge.github import PUBLIC_API, GitHubClient, GitHubForge, credentials_from_env
        from forkflow.forge.http import timeout_from_env

        credentials = credentials_from_env(dict(environ), token)
        api = environ.get("GITHUB_API_URL", PUBLIC_API)
        client = GitHubClient(credentials, api, timeout=timeout_from_env(environ), hosts=forge_hosts(environ))
        return GitHubForge(space.repo, space.manifest, client)
    if kind == "gitlab":  # GITLAB_URL / CI_SERVER_URL, GITLAB_TOKEN / CI_JOB_TOKEN; ``token`` is GitHub's, unused
        from forkflow.forge.gitlab import GitLabForge, client_from_env

        return GitLabForge(space.repo, space.manifest, client_from_env(environ))
    raise ForgeError(f"no forge is called {kind!r}; use one of: {', '.join(FORGES)}")
