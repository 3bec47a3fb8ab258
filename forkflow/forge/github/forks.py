"""Central's fork network as GitHub knows it: central, its forks, and theirs."""

from __future__ import annotations

from typing import Any

from forkflow.forge.fork import Fork
from forkflow.forge.github.client import GitHubClient


def list_forks(client: GitHubClient, central: str, org: str | None = None) -> list[Fork]:
    """Central and every fork of it, forks of forks included (breadth first); with ``org``, only that org's forks."""
    owner, name = central.split("/", 1)
    root = client.call(lambda: client.gh.repository(owner, name), f"reading {central}")
    found = [Fork(root.full_name, None, root.html_url, root.default_branch, root.clone_url, root.owner.login)]
    queue = [root]
    while queue:
        current = queue.pop(0)
        forks: list[Any] = client.call(lambda c=current: list(c.forks()), f"listing the forks of {current.full_name}")  # type: ignore[misc]
        for fork in sorted(forks, key=lambda f: f.full_name):
            if org is not None and fork.owner.login.lower() != org.lower() and current is root:
                continue
            found.append(
                Fork(
                    fork.full_name,
                    current.full_name,
                    fork.html_url,
                    fork.default_branch,
                    fork.clone_url,
                    fork.owner.login,
                )
            )
            queue.append(fork)
    return found
