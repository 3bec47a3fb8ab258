"""The security fixes central ships: marked by a ``Forkflow-Security:`` trailer, or listed in
``security.toml`` (beside ``needs.toml``) for fixes committed without one.

A fix is an advisory id (a CVE or GHSA id) or a free label, and the commits that make it: every
commit of central's history whose trailer names it, and every commit the register lists for it.
It is published when its last commit was made, or on the date the register gives.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from forkflow.errors import GitError, ManifestError
from forkflow.forge import Advisory
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
    source: str = Field(description="trailer, register or both; advisory, or one of those +advisory")
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


def find_fixes(repo: GitRepo, central: str, advisories: Sequence[Advisory] = ()) -> tuple[list[Fix], list[str]]:
    """Every fix at central's head ``central``, by publication, and the advisories no commit of central makes.

    A fix is what the trailers and the register name, and each of the forge's published
    ``advisories``: one whose GHSA or CVE id a trailer or the register already names is that fix
    (its summary the title, its date the publication, unless the register gives them); any other
    is made by the commits of central whose message names either id.
    """
    marked: dict[str, list[str]] = {}
    for value, commits in repo.trailer_values(central, SECURITY_TRAILER).items():
        if _ID.fullmatch(value):  # a value that cannot be an id is not a fix (and never printed)
            marked[value] = commits
    text = read_blob_at(repo, central, SECURITY_FILE)
    listed = parse_register(text.decode("utf-8", "replace"), f"{SECURITY_FILE} at {central[:12]}") if text else []
    entries = {entry.id: entry for entry in listed}
    trailed = set(marked)
    published, unlocated = _advisories(repo, central, advisories, marked, set(entries))
    fixes = [
        _fix(repo, central, fix_id, marked, entries, published, fix_id in trailed)
        for fix_id in sorted(set(marked) | set(entries))
    ]
    return sorted(fixes, key=lambda fix: (fix.published, fix.id)), unlocated


def _advisories(
    repo: GitRepo, central: str, advisories: Sequence[Advisory], marked: dict[str, list[str]], registered: set[str]
) -> tuple[dict[str, Advisory], list[str]]:
    """Each advisory under the fix id it is known by (adding the commits that name it to ``marked``),
    and the ids of those no commit makes."""
    known = {fix_id.lower(): fix_id for fix_id in set(marked) | registered}
    by_id: dict[str, Advisory] = {}
    unnamed = []
    for advisory in advisories:
        ids = [i for i in (advisory.ghsa_id, advisory.cve_id) if i]
        fix_id = next((known[i.lower()] for i in ids if i.lower() in known), None)
        if fix_id is not None:
            by_id[fix_id] = advisory
        else:
            unnamed.append(advisory)
    words = {i for advisory in unnamed for i in (advisory.ghsa_id, advisory.cve_id) if i}
    mentions = repo.commits_mentioning(central, words) if words else {}
    unlocated = []
    for advisory in unnamed:
        commits = list(dict.fromkeys(c for i in (advisory.ghsa_id, advisory.cve_id) if i for c in mentions.get(i, [])))
        if commits:
            marked[advisory.ghsa_id] = commits
            by_id[advisory.ghsa_id] = advisory
        else:
            unlocated.append(advisory.ghsa_id)
    return by_id, unlocated


def _fix(
    repo: GitRepo,
    central: str,
    fix_id: str,
    marked: dict[str, list[str]],
    entries: dict[str, _Entry],
    advisories: dict[str, Advisory],
    trailed: bool,
) -> Fix:
    entry = entries.get(fix_id)
    advisory = advisories.get(fix_id)
    commits = list(marked.get(fix_id, []))
    for named in entry.commits if entry is not None else []:
        full = _central_commit(repo, central, named, fix_id)
        if full not in commits:
            commits.append(full)
    times = {commit: repo.commit_info(commit).commit_time for commit in commits}
    commits.sort(key=lambda c: (times[c], c))
    published = datetime.fromtimestamp(max(times.values()), UTC)
    if advisory is not None and advisory.published_at is not None:
        published = advisory.published_at.astimezone(UTC)
    if entry is not None and entry.published is not None:
        published = datetime(entry.published.year, entry.published.month, entry.published.day, tzinfo=UTC)
    sources = [name for name, has in (("trailer", trailed), ("register", entry is not None)) if has]
    source = "both" if len(sources) == 2 else "".join(sources)
    if advisory is not None:
        source = f"{source}+advisory" if source else "advisory"
    introduced = [_central_commit(repo, central, c, fix_id) for c in (entry.introduced if entry else [])]
    title = (entry.title if entry else "") or (advisory.summary if advisory else "")
    return Fix(id=fix_id, title=title, commits=commits, published=published, source=source, introduced=introduced)


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
