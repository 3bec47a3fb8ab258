"""GitLab (GitLab.com and self-managed instances): the only package that imports python-gitlab.

``client`` is one authenticated session (the instance, the token, failures without the token),
``forge`` keeps proposals as merge requests, ``forks`` walks central's forks and makes new ones,
``reviewers`` turns owners into GitLab users, ``dashboard`` keeps the dashboard issue.
"""

from forkflow.forge.gitlab.client import GitLabClient, client_from_env, project_path
from forkflow.forge.gitlab.forge import GitLabForge
from forkflow.forge.gitlab.forks import list_forks

__all__ = ["GitLabClient", "GitLabForge", "client_from_env", "list_forks", "project_path"]
