"""Finding the working repository, its manifest and its store from the command-line options."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from forkflow.errors import ManifestError
from forkflow.gitrepo import GitRepo, open_repository, read_blob_at
from forkflow.manifest.spec import MANIFEST_NAME, Manifest, load_manifest, parse_manifest
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy, find_policy, load_policy
from forkflow.store.db import is_url
from forkflow.store.store import STORE_NAME, Store, local_folder


@dataclass
class Workspace:
    repo: GitRepo
    manifest: Manifest
    network: Network
    store: Store
    policy: Policy

    def close(self) -> None:
        self.store.close()


def open_workspace(
    repo_path: str | Path = ".",
    manifest_path: str | Path | None = None,
    *,
    store: str | None = None,
    read_only: bool = False,
) -> Workspace:
    """Open the repository holding ``repo_path``, its manifest and its store.

    The manifest is ``manifest_path`` when given, else ``forkflow.toml`` at the root of the
    work tree, else (a bare repository) ``forkflow.toml`` in the tree of HEAD.  The store is
    ``store`` when given (a path or URL), else the manifest's ``[network] store``, else a SQLite
    file in the working repository.  ``read_only`` (a dry run, a listing) writes nothing to the
    disk: no ``.forkflow/`` folder, no parsed-manifest cache, a store read into memory.
    """
    repo = open_repository(repo_path)
    manifest = _find_manifest(repo, manifest_path, read_only=read_only)
    policy = load_policy(find_policy(manifest.network.policy, manifest.path.parent))
    return Workspace(repo, manifest, Network(manifest), _open_store(repo, manifest, store, read_only), policy)


def _manifest_cache(repo: GitRepo, read_only: bool) -> Path | None:
    """Where the parsed manifest is kept (keyed by its text, so any manifest may use it); None
    in a checkout forkflow cannot write to, or for a read-only command, where the manifest is
    parsed every time."""
    if read_only:
        return None
    try:
        return local_folder(repo.git_dir, repo.workdir) / "manifest.json"
    except OSError:
        return None


def store_location(
    repo_path: str | Path = ".", manifest_path: str | Path | None = None, *, store: str | None = None
) -> str:
    """Where :func:`open_workspace` would find the store (a SQLite file's absolute path, or a
    URL), without opening it or writing anything."""
    repo = open_repository(repo_path)
    return _store_location(repo, _find_manifest(repo, manifest_path, read_only=True), store)


def _store_location(repo: GitRepo, manifest: Manifest, location: str | None) -> str:
    if location is None and manifest.network.store is not None:
        location = manifest.network.store
        if not is_url(location):  # a path in the manifest is relative to the manifest
            location = str(manifest.path.parent / location)
    if location is None:
        return str(local_folder(repo.git_dir, repo.workdir, make=False).resolve() / STORE_NAME)
    return location if is_url(location) else str(Path(location).resolve())


def _open_store(repo: GitRepo, manifest: Manifest, location: str | None, read_only: bool) -> Store:
    if location is None and manifest.network.store is None:
        return Store.for_repository(repo.git_dir, repo.workdir, read_only=read_only)
    return Store(_store_location(repo, manifest, location), read_only=read_only)


def _find_manifest(repo: GitRepo, manifest_path: str | Path | None, *, read_only: bool = False) -> Manifest:
    cache = _manifest_cache(repo, read_only)
    if manifest_path is not None:
        return load_manifest(manifest_path, cache=cache)
    if repo.workdir is not None:
        return load_manifest(repo.workdir / MANIFEST_NAME, cache=cache)
    data = read_blob_at(repo, "HEAD", MANIFEST_NAME)
    shown = repo.git_dir / f"HEAD:{MANIFEST_NAME}"
    if data is None:
        raise ManifestError(str(shown), "no manifest in this bare repository's HEAD; pass --manifest FILE")
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ManifestError(str(shown), f"is not valid TOML: {err}") from err
    return parse_manifest(raw, shown)
