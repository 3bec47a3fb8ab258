"""GitHub, the forge most nodes live on; the only package that imports github3.py.

``client`` is one authenticated session (credentials, timeouts, failures without the token),
``forge`` keeps proposals as pull requests, ``forks`` walks central's fork network.
"""

from forkflow.forge.fork import Fork
from forkflow.forge.github.client import PUBLIC_API, Credentials, GitHubClient, credentials_from_env
from forkflow.forge.github.forge import GitHubForge
from forkflow.forge.github.forks import list_forks

__all__ = ["PUBLIC_API", "Credentials", "Fork", "GitHubClient", "GitHubForge", "credentials_from_env", "list_forks"]
