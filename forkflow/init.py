"""``forkflow init``: a first manifest from the remotes of a clone, or from a forge's fork network.

From remotes: each remote's default branch is a node; the central remote (named, else
``upstream``, else ``origin``) is the root and every other remote a child of it.  From a forge:
central and its forks, forks of forks under their parents.  What can only be guessed is marked
so in the file (forkflow/manifest/first.py):

- the tier of a child of central: ``central`` (updates arrive by fast-forward) when its branch
  has no commits of its own yet (its head is central's head or an ancestor of it), else
  ``decentralized``; a fork of a fork (forge only) is guessed ``developer``;
- the owners: ``@owner`` when the url is a GitHub one (or the forge names the owner);
- the branch, when the remote's HEAD is not known here and its ``main`` or ``master`` was fetched.

Nothing here writes: the result is plain data that the command line renders, checks and writes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from forkflow.errors import PlanError
from forkflow.gitrepo import GitRepo
from forkflow.gitrepo.remotes import RemoteInfo, list_remotes
from forkflow.manifest.first import FirstManifest, FirstNode, valid_name
from forkflow.manifest.refname import branch_problem
from forkflow.urls import Transport, UrlRefused, transport_of, url_problem

DEFAULT_CENTRALS = ("upstream", "origin")
_GITHUB_OWNER = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://)?(?:[^@/]*@)?github\.com[:/]([A-Za-z0-9-]+)/", re.I)
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")


@dataclass(frozen=True)
class ForgeRepo:
    """A repository of the forge's fork network: full name, parent's full name, git url, default branch, owner."""

    full_name: str
    parent: str | None
    url: str
    branch: str | None
    owner: str


def plan_from_remotes(repo: GitRepo, central: str | None = None, skip: Sequence[str] = ()) -> FirstManifest:
    """The first manifest of the clone ``repo``: one node per remote (but ``skip``), under ``central``'s.

    Raises :class:`PlanError` (nothing to write) when the clone has no remotes, the central
    remote is not among them, or a remote's url or default branch cannot be written.
    """
    listed = list_remotes(repo)
    where = repo.workdir or repo.git_dir
    unknown = sorted(set(skip) - {remote.name for remote in listed})
    if unknown:
        names = ", ".join(repr(remote.name) for remote in listed) or "none"
        raise PlanError(f"{where}: --skip {unknown[0]}: no remote has that name (the remotes: {names})")
    remotes = [remote for remote in listed if remote.name not in skip]
    if not remotes:
        raise PlanError(
            f"{where}: this clone has no remotes{' left' if skip else ''}; add the forks with "
            "`git remote add NAME URL` and `git fetch --all`, "
            "or start from GitHub: forkflow init --from github:OWNER/NAME"
        )
    root = _central_remote(remotes, central, where)
    warnings: list[str] = []
    taken: set[str] = set()
    central_node = _remote_node(repo, root, None, None, taken, warnings)
    nodes = [central_node]
    for remote in (r for r in remotes if r is not root):
        nodes.append(_remote_node(repo, remote, central_node.name, root, taken, warnings))
    return FirstManifest(
        _network_name(central_node.url, where), f"the remotes of {where}", tuple(nodes), tuple(warnings)
    )


def _central_remote(remotes: list[RemoteInfo], central: str | None, where: Path) -> RemoteInfo:
    by_name = {remote.name: remote for remote in remotes}
    wanted = [central] if central is not None else list(DEFAULT_CENTRALS)
    for name in wanted:
        if name in by_name:
            return by_name[name]
    listed = ", ".join(repr(name) for name in by_name)
    said = f"no remote is named {central!r}" if central is not None else "neither 'upstream' nor 'origin' is a remote"
    raise PlanError(f"{where}: {said} (the remotes: {listed}); name the central one with --central REMOTE")


def _remote_node(
    repo: GitRepo,
    remote: RemoteInfo,
    parent: str | None,
    central: RemoteInfo | None,
    taken: set[str],
    warnings: list[str],
) -> FirstNode:
    """The node for ``remote``, a child of ``parent`` (None: the root), with its guesses noted."""
    if remote.branch is None or remote.ref is None:
        raise PlanError(
            f"remote {remote.name!r}: its default branch is not known in this clone "
            f"(no refs/remotes/{remote.name}/HEAD, "
            f"no {remote.name}/main or {remote.name}/master); run `git remote set-head {remote.name} --auto` "
            f"(or `git fetch {remote.name}`), or leave it out with --skip {remote.name}"
        )
    url = _clean_url(repo, remote, warnings)
    notes: dict[str, str] = {}
    if remote.guessed:
        notes["branch"] = f"refs/remotes/{remote.name}/HEAD is not set here; {remote.name}/{remote.branch} was fetched"
    tier = None
    if central is not None:
        tier, notes["tier"] = _remote_tier(repo, remote.ref, central)
    owners = _url_owners(url)
    if owners:
        notes["owners"] = "the owner in the url"
    name = valid_name(remote.name, taken)
    return FirstNode(name, f"remote {remote.name!r}", url, parent, tier, remote.branch, owners, notes)


def _remote_tier(repo: GitRepo, ref: str, central: RemoteInfo) -> tuple[str, str]:
    head, central_head = repo.resolve(ref), repo.resolve(central.ref or "")
    if head is not None and central_head is not None and repo.merge_base(head, central_head) == head:
        return (
            "central",
            f"no commits of its own yet (all in {central.name}/{central.branch}); "
            "if it will carry changes, decentralized",
        )
    return "decentralized", f"it has commits of its own; if it only takes {central.name}'s updates, central"


def _clean_url(repo: GitRepo, remote: RemoteInfo, warnings: list[str]) -> str:
    """The remote's url as the manifest may hold it: no credentials, a local path made absolute."""
    url = remote.url
    if not url:
        raise PlanError(f"remote {remote.name!r} has no url; set one with `git remote set-url {remote.name} URL`")
    parts = urlsplit(url) if "://" in url else None
    if parts is not None and "@" in parts.netloc:
        user, _, host = parts.netloc.rpartition("@")
        keep = parts.scheme.lower() not in ("https", "http") and ":" not in user  # an ssh user name is no secret
        if not keep:
            url = urlunsplit(parts._replace(netloc=host))
            warnings.append(
                f"remote {remote.name!r}: its url holds credentials; the manifest has it without them "
                "(forkflow gives the forge's host GITHUB_TOKEN when it fetches)"
            )
    problem = url_problem(url)
    if problem is not None:
        raise PlanError(
            f"remote {remote.name!r}: its url is refused: it {problem}; leave it out with --skip {remote.name}"
        )
    return _absolute_path(repo, url)


def _absolute_path(repo: GitRepo, url: str) -> str:
    try:
        local = transport_of(url) == Transport.LOCAL
    except UrlRefused:
        return url
    if not local or url.startswith("file:") or Path(url).is_absolute():
        return url
    return str(((repo.workdir or repo.git_dir) / url).resolve())  # git reads a relative remote from the work tree


def _url_owners(url: str) -> tuple[str, ...]:
    found = _GITHUB_OWNER.match(url)
    return (f"@{found.group(1)}",) if found else ()


def _network_name(url: str, where: Path) -> str:
    last = url.rstrip("/").replace(":", "/").rsplit("/", 1)[-1].removesuffix(".git")
    return last or where.name or "network"


def plan_from_forge(found: Sequence[ForgeRepo], forge: str) -> FirstManifest:
    """The first manifest of a forge's fork network: ``found[0]`` is central, the others its forks (parents first).

    What the forge says is untrusted: a repository whose url or default branch cannot be written
    is left out with a warning, and so are the forks under it.
    """
    central = found[0]
    taken: set[str] = set()
    names: dict[str, str] = {}
    nodes: list[FirstNode] = []
    warnings: list[str] = []
    for repo in found:
        problem = _forge_problem(repo, names, central)
        if problem is not None and repo is central:
            raise PlanError(f"{forge} repository {central.full_name!r}, central: {problem}; nothing was written")
        if problem is not None:
            warnings.append(f"{forge} repository {repo.full_name!r}: {problem}; it was left out")
            continue
        names[repo.full_name] = valid_name(repo.full_name.split("/", 1)[0], taken)
        nodes.append(_forge_node(repo, names, central, forge))
    return FirstManifest(
        central.full_name.split("/", 1)[1], f"{forge} {central.full_name} and its forks", tuple(nodes), tuple(warnings)
    )


def _forge_node(repo: ForgeRepo, names: dict[str, str], central: ForgeRepo, forge: str) -> FirstNode:
    notes: dict[str, str] = {}
    tier = None
    if repo is not central:
        of_central = repo.parent == central.full_name
        tier = "decentralized" if of_central else "developer"
        notes["tier"] = "a fork of central" if of_central else f"a fork of a fork ({repo.parent})"
    owners = (f"@{repo.owner}",) if _LOGIN.fullmatch(repo.owner) else ()
    if owners:
        notes["owners"] = f"the repository's owner on {forge}"
    parent = names[repo.parent] if repo.parent is not None and repo is not central else None
    return FirstNode(
        names[repo.full_name], f"{forge} {repo.full_name}", repo.url, parent, tier, repo.branch, owners, notes
    )


def _forge_problem(repo: ForgeRepo, names: dict[str, str], central: ForgeRepo) -> str | None:
    if not isinstance(repo.full_name, str) or "/" not in repo.full_name.strip("/"):
        return "it has no owner/name"
    if repo is not central and (repo.parent is None or repo.parent not in names):
        return f"its parent {repo.parent!r} was left out"
    if not isinstance(repo.url, str) or not isinstance(repo.owner, str):
        return "its url or owner is not text"
    parts = urlsplit(repo.url)
    if "@" in parts.netloc:  # said without the url, which would show them
        return "its url holds credentials"
    if parts.scheme not in ("https", "http") or not parts.netloc or url_problem(repo.url) is not None:
        return f"its url {repo.url!r} is not a web address (https://...)"
    problem = (
        None if repo.branch is None else branch_problem(repo.branch) if isinstance(repo.branch, str) else "is not text"
    )
    return f"its default branch {repo.branch!r} {problem}" if problem else None
