"""The security fixes central ships: marked by a ``Forkflow-Security:`` trailer, or listed in
``security.toml`` (beside ``needs.toml``) for fixes committed without one.

A fix is an advisory id (a CVE or GHSA id) or a free label, and the commits that make it: every
commit of central's history whose trailer names it, and every commit the register lists for it.
It is published when its last commit was made, or on the date the register gives.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from forkflow.errors import GitError, ManifestError
from forkflow.gitrepo import GitRepo, is_ancestor, read_blob_at
from forkflow.registers import read_register

SECURITY_TRAILER = "Forkflow-Security"
SECURITY_FILE = "security.toml"
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}")
_HEX = re.compile(r"[0-9a-f]{7,40}")


class Fix(BaseModel):
    """One security fix central ships."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="the advisory id (CVE-…, GHSA-…) or a free label")
    title: str = ""
    commits: list[str] = Field(description="central's commits that make the fix, oldest first")
    published: datetime = Field(description="when the fix was published: its last commit, or the register's date")
    source: str = Field(description="trailer, register, or both")
    introduced: list[str] = Field(
        default_factory=list, description="the commits that brought the hole in, where the register names them"
    )


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str = ""
    commits: list[str] = Field(min_length=1)
    published: date | None = None
    introduced: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _an_id(cls, value: str) -> str:
        if not _ID.fullmatch(value):
            raise ValueError("an advisory id or label: letters, digits and ._:/- only, at most 100 characters")
        return value

    @field_validator("commits", "introduced")
    @classmethod
    def _hex(cls, value: list[str]) -> list[str]:
        bad = [commit for commit in value if not _HEX.fullmatch(commit)]
        if bad:
            raise ValueError(f"not commit ids (7 to 40 lowercase hex digits): {', '.join(map(repr, bad))}")
        return value


class _Register(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fix: list[_Entry] = Field(default_factory=list)


def parse_register(text: str, shown: str) -> list[_Entry]:
    """``security.toml``: ``[[fix]]`` tables with ``id``, ``commits``, and a ``title``, a ``published`` date
    and the commits that ``introduced`` the hole."""
    return read_register(text, shown, _Register).fix


def find_fixes(repo: GitRepo, central: str) -> list[Fix]:
    """Every fix at central's head ``central``: its trailers and its register, by publication."""
    marked: dict[str, list[str]] = {}
    for value, commits in repo.trailer_values(central, SECURITY_TRAILER).items():
        if _ID.fullmatch(value):  # a value that cannot be an id is not a fix (and never printed)
            marked[value] = commits
    text = read_blob_at(repo, central, SECURITY_FILE)
    listed = parse_register(text.decode("utf-8", "replace"), f"{SECURITY_FILE} at {central[:12]}") if text else []
    entries = {entry.id: entry for entry in listed}
    fixes = []
    for fix_id in sorted(set(marked) | set(entries)):
        entry = entries.get(fix_id)
        commits = list(marked.get(fix_id, []))
        for named in entry.commits if entry is not None else []:
            full = _central_commit(repo, central, named, fix_id)
            if full not in commits:
                commits.append(full)
        times = {commit: repo.commit_info(commit).commit_time for commit in commits}
        commits.sort(key=lambda c: (times[c], c))
        published = datetime.fromtimestamp(max(times.values()), UTC)
        if entry is not None and entry.published is not None:
            published = datetime(entry.published.year, entry.published.month, entry.published.day, tzinfo=UTC)
        source = "both" if fix_id in marked and entry is not None else ("trailer" if fix_id in marked else "register")
        introduced = [_central_commit(repo, central, c, fix_id) for c in (entry.introduced if entry else [])]
        title = entry.title if entry else ""
        fix = Fix(id=fix_id, title=title, commits=commits, published=published, source=source, introduced=introduced)
        fixes.append(fix)
    return sorted(fixes, key=lambda fix: (fix.published, fix.id))


def _central_commit(repo: GitRepo, central: str, named: str, fix_id: str) -> str:
    shown = f"{SECURITY_FILE} at {central[:12]}"
    try:
        full = str(repo.revparse(named))
    except GitError:
        raise ManifestError(
            shown, f"fix {fix_id!r}: commit {named} is not in this repository", field="commits"
        ) from None
    if not is_ancestor(repo, full, central):
        raise ManifestError(shown, f"fix {fix_id!r}: commit {named} is not in central's history", field="commits")
    return full
