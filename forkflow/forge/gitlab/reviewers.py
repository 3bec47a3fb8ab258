"""The carriers' owners as GitLab reviewers: a user name is looked up to its id, a group to its members.

Owners are written in the manifest as on GitHub (``@name``, ``@group/subgroup``); on GitLab a
name is a user or a group, so a name that is no user is looked up as a group and its members
(inherited ones too) are asked.  An owner that is neither is reported, and the others are asked.
"""

from __future__ import annotations

from typing import Any

from forkflow.errors import ForgeError, RateLimited
from forkflow.forge.gitlab.client import GitLabClient

MAX_GROUP = 50
"""Members of a group asked at most: a large group is reported rather than asked one by one."""


def reviewer_ids(client: GitLabClient, owners: list[str]) -> tuple[list[int], list[str]]:
    """The user ids to ask for ``owners`` and, for each owner who cannot be asked, why."""
    ids: set[int] = set()
    unasked: list[str] = []
    for owner in owners:
        try:
            found = _user(client, owner) if "/" not in owner else None
            members = [found] if found is not None else _group(client, owner)
        except RateLimited:
            raise
        except ForgeError as err:
            unasked.append(f"{owner}: not asked to review ({err})")
            continue
        if members is None:
            unasked.append(f"{owner} is neither a user nor a group on {client.url}: not asked to review")
        elif len(members) > MAX_GROUP:
            unasked.append(f"the group {owner} has {len(members)} members (more than {MAX_GROUP}): not asked to review")
        else:
            ids.update(members)
    return sorted(ids), unasked


def _user(client: GitLabClient, name: str) -> int | None:
    users: list[Any] = client.call(
        lambda: client.gl.users.list(username=name, get_all=False), f"looking up the user {name}"
    )
    exact = [user for user in users if str(user.username).lower() == name.lower()]
    return int(exact[0].id) if exact else None


def _group(client: GitLabClient, path: str) -> list[int] | None:
    try:
        group = client.call(lambda: client.gl.groups.get(path), f"looking up the group {path}")
    except RateLimited:
        raise
    except ForgeError as err:
        if "not found" in str(err):
            return None
        raise
    members: list[Any] = client.call(lambda: group.members_all.list(get_all=True), f"listing the members of {path}")
    return sorted({int(member.id) for member in members if int(getattr(member, "access_level", 30)) >= 30})
