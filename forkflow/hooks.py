"""Git hooks for contributors: refuse pushes that change protected paths, check ``Need:`` trailers.

The checks are plain functions over the repository; ``forkflow hooks install`` writes small
shell hooks that scrub the ``GIT_*`` variables git exports to hooks (they would point forkflow
at the wrong repository or index) and run ``forkflow hooks pre-push`` / ``commit-msg``.  The same
checks are offered to the pre-commit framework (``.pre-commit-hooks.yaml``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from forkflow.errors import HookError
from forkflow.gitrepo import GitRepo, read_blob_at
from forkflow.manifest.spec import MANIFEST_NAME, load_manifest
from forkflow.needs.figure import NEED_TRAILER, NEEDS_FILE, parse_register, parse_trailers
from forkflow.policy.rules import Policy, find_policy, load_policy
from forkflow.shipped import shipped_dirs

ZERO = "0" * 40
MARKER = "# installed by forkflow"
HOOKS = ("pre-push", "commit-msg")
CENTRAL_CONFIG = "forkflow.central"


@dataclass(frozen=True)
class Refusal:
    commit: str
    summary: str
    paths: tuple[str, ...]
    globs: tuple[str, ...]


def hook_policy(repo: GitRepo) -> Policy:
    """The policy of the network this clone belongs to: its forkflow.toml's, else the default one."""
    if repo.workdir is not None and (repo.workdir / MANIFEST_NAME).is_file():
        manifest = load_manifest(repo.workdir / MANIFEST_NAME)
        return load_policy(find_policy(manifest.network.policy, manifest.path.parent))
    return load_policy(find_policy("default"))


def pushed_commits(repo: GitRepo, updates: Sequence[tuple[str, str, str, str]]) -> list[str]:
    """The commits a push sends (git's pre-push input: local ref, local sha, remote ref, remote sha)."""
    commits: dict[str, None] = {}
    for _, local_sha, _, remote_sha in updates:
        if local_sha == ZERO:
            continue  # a deletion sends nothing
        if remote_sha != ZERO and repo.has_commit(remote_sha):
            commits.update(dict.fromkeys(repo.own_commits(local_sha, remote_sha)))
        else:  # a new branch: what no remote-tracking branch has yet
            commits.update(dict.fromkeys(repo.own_commits_beyond(local_sha, "refs/remotes/")))
    return list(commits)


def protected_refusals(repo: GitRepo, commits: Sequence[str], policy: Policy) -> list[Refusal]:
    refusals = []
    for commit in commits:
        paths = repo.touched_paths(commit)
        touched = policy.protected(paths)
        if touched:
            summary = repo.commit_info(commit).summary
            refusals.append(Refusal(commit, summary, tuple(touched), tuple(policy.protecting(touched))))
    return refusals


def refusal_message(refusals: Sequence[Refusal], policy: Policy) -> str:
    lines = [f"forkflow: push refused: {len(refusals)} commit(s) change paths only central may change"]
    for refusal in refusals:
        lines.append(f"  {refusal.commit[:12]} {refusal.summary}: {', '.join(refusal.paths)}")
    globs = sorted({glob for refusal in refusals for glob in refusal.globs})
    lines.append(f"  rule: protected_paths = {', '.join(repr(g) for g in globs)} ({policy.source})")
    first = refusals[0].commit[:12]
    lines.append(
        f"  instead: propose it upstream with `forkflow contribute {first} --to central`, "
        "and take it out of this branch (git rebase -i)"
    )
    return "\n".join(lines)


def need_register(repo: GitRepo) -> list[str] | None:
    """The ids of the needs register (needs.toml in the work tree, else at HEAD), or None without one."""
    text: str | None = None
    shown = NEEDS_FILE
    if repo.workdir is not None and (repo.workdir / NEEDS_FILE).is_file():
        text = (repo.workdir / NEEDS_FILE).read_text(encoding="utf-8")
        shown = str(repo.workdir / NEEDS_FILE)
    elif repo.resolve("HEAD") is not None:
        data = read_blob_at(repo, "HEAD", NEEDS_FILE)
        text = data.decode("utf-8", "replace") if data is not None else None
    if text is None:
        return None
    return [need.id for need in parse_register(text, shown)]


def unknown_needs(message: str, known: Sequence[str]) -> list[str]:
    """``Need:`` trailers of a commit message that name no need of the register."""
    return [value for value in parse_trailers(message).get(NEED_TRAILER, []) if value not in known]


def hook_script(name: str) -> str:
    """The shipped hook ``hooks/<name>`` (inside the installed package, or beside it in a checkout)."""
    for folder in shipped_dirs("hooks"):
        if (folder / name).is_file():
            return (folder / name).read_text()
    raise HookError(f"the {name} hook is not installed with forkflow (looked in forkflow/_data/hooks and hooks/)")


def install_hooks(repo: GitRepo, *, force: bool = False) -> list[Path]:
    """Write the hooks into the repository's hooks folder; refuses to replace hooks of someone else's."""
    folder = repo.hooks_dir()
    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name in HOOKS:
            path = folder / name
            if path.exists() and MARKER not in path.read_text(errors="replace") and not force:
                raise HookError(f"{path} exists and is not forkflow's; move it away or pass --force to replace it")
            path.write_text(hook_script(name))
            path.chmod(0o755)
            written.append(path)
    except OSError as err:
        raise HookError(f"the hooks cannot be written into {folder}: {err}") from err
    return written
