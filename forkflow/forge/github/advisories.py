"""A repository's published security advisories, from GitHub's security-advisories endpoint.

github3.py has no method for it, so it is read with github3's own paging over the session (the
``Link`` headers, the endpoint's cursors).  What GitHub answers is untrusted input: an advisory
whose id is not a GHSA id, or whose date cannot be read, is left out and reported.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from github3.models import GitHubCore

from forkflow.forge import Advisory
from forkflow.forge.github.client import GitHubClient

GHSA = re.compile(r"GHSA(?:-[0-9a-z]{4}){3}")
CVE = re.compile(r"CVE-\d{4}-\d{4,}")
PAGE = 100


class _Row(GitHubCore):  # type: ignore[misc]  # github3's model base is untyped
    """One advisory as GitHub sends it (kept as its JSON; read by :func:`_advisory`)."""

    def _update_attributes(self, advisory: dict[str, Any]) -> None:
        self.data = advisory


def published_advisories(client: GitHubClient, repository: Any) -> tuple[list[Advisory], list[str]]:
    """The repository's published, not withdrawn advisories, and what could not be read of them."""
    url = client.gh._build_url("repos", repository.owner.login, repository.name, "security-advisories")
    params = {"state": "published", "per_page": PAGE}

    def listing() -> list[dict[str, Any]]:
        return [row.data for row in client.gh._iter(-1, url, _Row, params=params)]

    rows = client.call(listing, f"listing the security advisories of {repository.full_name}")
    found, unread = [], []
    for row in rows:
        advisory = _advisory(row)
        if isinstance(advisory, str):
            unread.append(f"{repository.full_name}: {advisory}")
        elif advisory is not None:
            found.append(advisory)
    return found, unread


def _advisory(row: Any) -> Advisory | str | None:
    """The advisory, None when it is withdrawn or not published, or what is wrong with it."""
    if not isinstance(row, dict):
        return "an advisory that is not a JSON object"
    ghsa = row.get("ghsa_id")
    if not isinstance(ghsa, str) or not GHSA.fullmatch(ghsa):
        return f"an advisory whose ghsa_id is not a GHSA id ({str(ghsa)[:40]!r})"
    if row.get("state") != "published" or row.get("withdrawn_at"):
        return None
    cve = row.get("cve_id")
    summary = row.get("summary")
    try:
        published = datetime.fromisoformat(str(row.get("published_at")).replace("Z", "+00:00"))
    except ValueError:
        return f"{ghsa}: its published_at cannot be read"
    return Advisory(
        ghsa_id=ghsa,
        cve_id=cve if isinstance(cve, str) and CVE.fullmatch(cve) else None,
        summary=summary[:200] if isinstance(summary, str) else "",
        published_at=published,
    )
