"""A repository of a fork network, as a forge lists it (GitHub's repositories, GitLab's projects)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fork:
    """A repository of the fork network: its full name, its parent's, where it lives."""

    full_name: str
    parent: str | None
    url: str
    branch: str
    clone_url: str = ""  # where git fetches it (https://github.com/OWNER/NAME.git)
    owner: str = ""
