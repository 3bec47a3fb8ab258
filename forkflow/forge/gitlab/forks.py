"""Central's fork network as GitLab knows it (``/projects/:id/forks``, and the forks of forks), and
a new node's project: a fork into a group, waited for until GitLab has copied the repository."""

from __future__ import annotations

import time
from typing import Any

from forkflow.errors import ForgeError
from forkflow.forge.fork import Fork
from forkflow.forge.gitlab.client import GitLabClient

FORK_WAIT = 300.0
"""Seconds a new fork's copy (GitLab's import) is waited for at most."""
FORK_NEEDS = "the api scope and the Developer role on the group (to create projects in it)"


def list_forks(client: GitLabClient, central: str, group: str | None = None) -> list[Fork]:
    """Central and every fork of it, forks of forks included (breadth first); with ``group``, only that
    group's forks of central (and their forks)."""
    root = client.call(lambda: client.gl.projects.get(central), f"reading {central}", needs="read access")
    found = [_fork(root, None)]
    queue = [root]
    seen = {int(root.id)}
    while queue:
        current = queue.pop(0)
        forks: list[Any] = client.call(
            # a listed fork has no managers of its own: its forks are read through a lazy project
            lambda c=current: client.gl.projects.get(int(c.id), lazy=True).forks.list(get_all=True),  # type: ignore[misc]
            f"listing the forks of {current.path_with_namespace}",
            needs="read access",
        )
        for fork in sorted(forks, key=lambda f: str(f.path_with_namespace)):
            if int(fork.id) in seen:
                continue
            if group is not None and current is root and _namespace(fork).lower() != group.lower():
                continue
            seen.add(int(fork.id))
            found.append(_fork(fork, str(current.path_with_namespace)))
            queue.append(fork)
    return found


def _namespace(project: Any) -> str:
    namespace = getattr(project, "namespace", None) or {}
    return str(namespace.get("full_path", "") if isinstance(namespace, dict) else "")


def _fork(project: Any, parent: str | None) -> Fork:
    return Fork(
        str(project.path_with_namespace),
        parent,
        str(project.web_url),
        str(project.default_branch or ""),
        str(project.http_url_to_repo),
        _namespace(project),
    )


def fork_project(client: GitLabClient, parent: Any, group: str | None, *, wait: float = FORK_WAIT) -> tuple[str, str]:
    """Fork ``parent`` into ``group`` (default: the token's user) and wait for the copy: (clone url, branch)."""
    fields = {"namespace_path": group} if group else {}
    made = client.call(lambda: parent.forks.create(fields), f"forking {parent.path_with_namespace}", needs=FORK_NEEDS)
    fork_id = int(made.id)
    deadline = time.monotonic() + wait
    pause = 0.2
    while True:
        fork = client.call(lambda: client.gl.projects.get(fork_id), f"reading the fork of {parent.path_with_namespace}")
        status = str(getattr(fork, "import_status", "none") or "none")
        if status in ("finished", "none"):
            return str(fork.http_url_to_repo), str(fork.default_branch or parent.default_branch)
        if status == "failed":
            error = str(getattr(fork, "import_error", "") or "no reason given")
            raise ForgeError(
                client.clean(
                    f"GitLab could not copy {parent.path_with_namespace} into {fork.path_with_namespace}: {error}"
                )
            )
        if time.monotonic() + pause > deadline:
            raise ForgeError(
                f"the fork {fork.path_with_namespace} was not ready within {wait:g} s (its import is {status}); "
                "run the command again once GitLab shows the project"
            )
        time.sleep(pause)
        pause = min(pause * 2, 5.0)
