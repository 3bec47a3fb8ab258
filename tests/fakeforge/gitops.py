"""The fake's git: bare repositories on disk, driven by the git command.

Every call runs with a clean environment (no inherited `GIT_*` variable, no system or
global configuration), so the caller's git setup never leaks into what the fake serves.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ZERO_SHA = "0" * 40


class GitError(Exception):
    """A git command failed."""

    def __init__(self, args: tuple[str, ...], returncode: int, stderr: str):
        super().__init__(f"git {' '.join(args)} failed ({returncode}): {stderr.strip()}")
        self.returncode = returncode
        self.stderr = stderr


@dataclass(frozen=True)
class Person:
    """Who authored or committed a commit, and when (`<epoch> +0000`)."""

    name: str
    email: str
    date: str


@dataclass(frozen=True)
class CommitInfo:
    """One commit, as git reports it."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    author: Person
    committer: Person
    message: str


@dataclass(frozen=True)
class FileChange:
    """One file of a diff: name, status letter (A, D, M, T), line counts and new blob."""

    filename: str
    status: str
    additions: int
    deletions: int
    blob: str | None


def clean_env(author: Person | None = None, committer: Person | None = None) -> dict[str, str]:
    """The environment for git: the caller's, minus any GIT_* setting, plus our own."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0")
    env.setdefault("LC_ALL", "C")
    for role, person in (("AUTHOR", author), ("COMMITTER", committer)):
        if person:
            env.update(
                {f"GIT_{role}_NAME": person.name, f"GIT_{role}_EMAIL": person.email, f"GIT_{role}_DATE": person.date}
            )
    return env


def run_git(
    *args: str,
    cwd: Path | None = None,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run git; raise GitError on failure unless check is false."""
    done = subprocess.run(
        ["git", *args], cwd=cwd, input=input, env=env or clean_env(), capture_output=True, check=False
    )
    if check and done.returncode != 0:
        raise GitError(args, done.returncode, done.stderr.decode(errors="replace"))
    return done


class BareRepo:
    """A bare repository of the fake, at `path`."""

    def __init__(self, path: Path):
        self.path = path

    # -- creation ------------------------------------------------------------------------
    @classmethod
    def init(cls, path: Path, default_branch: str) -> BareRepo:
        path.parent.mkdir(parents=True, exist_ok=True)
        run_git("init", "-q", "--bare", "-b", default_branch, str(path))
        return cls(path)

    @classmethod
    def clone(cls, source: Path, path: Path) -> BareRepo:
        """A bare clone of `source` (a working or bare repository): its branches and tags."""
        path.parent.mkdir(parents=True, exist_ok=True)
        run_git("clone", "-q", "--bare", "--no-hardlinks", str(source), str(path))
        repo = cls(path)
        repo.git("remote", "remove", "origin")
        return repo

    def git(self, *args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> str:
        done = run_git("--git-dir", str(self.path), *args, input=input, env=env)
        return done.stdout.decode(errors="surrogateescape")

    def succeeds(self, *args: str) -> bool:
        return run_git("--git-dir", str(self.path), *args, check=False).returncode == 0

    # -- references ----------------------------------------------------------------------
    def resolve(self, name: str) -> str | None:
        """The commit a name (sha, branch, tag, full ref) points to, or None."""
        done = run_git("--git-dir", str(self.path), "rev-parse", "-q", "--verify", f"{name}^{{commit}}", check=False)
        return done.stdout.decode().strip() or None if done.returncode == 0 else None

    def ref_target(self, ref: str) -> str | None:
        """The object a full ref name points to (without peeling), or None."""
        if not ref.startswith("refs/"):
            return None
        done = run_git("--git-dir", str(self.path), "rev-parse", "-q", "--verify", ref, check=False)
        return done.stdout.decode().strip() or None if done.returncode == 0 else None

    def refs(self, prefix: str = "refs/") -> list[tuple[str, str]]:
        """(full name, object) of the references under `prefix`, sorted by name."""
        out = self.git("for-each-ref", "--format=%(refname)%00%(objectname)", prefix)
        pairs = [tuple(line.split("\0")) for line in out.splitlines() if line]
        return sorted((name, sha) for name, sha in pairs)

    def branches(self) -> list[tuple[str, str]]:
        """(branch name, commit) of every branch, sorted by name."""
        return [(name.removeprefix("refs/heads/"), sha) for name, sha in self.refs("refs/heads/")]

    def branch(self, name: str) -> str | None:
        return self.ref_target(f"refs/heads/{name}")

    def object_type(self, sha: str) -> str | None:
        done = run_git("--git-dir", str(self.path), "cat-file", "-t", sha, check=False)
        return done.stdout.decode().strip() if done.returncode == 0 else None

    def has_commit(self, sha: str) -> bool:
        return self.object_type(sha) == "commit"

    def update_ref(self, ref: str, new: str, old: str | None = None) -> None:
        self.git("update-ref", ref, new, *([old] if old else []))

    def delete_ref(self, ref: str) -> None:
        self.git("update-ref", "-d", ref)

    def fetch(self, source: Path, refspec: str) -> None:
        """Fetch from another repository of the fake (the network shares objects on GitHub)."""
        self.git("fetch", "-q", "--no-tags", str(source), refspec)

    # -- history -------------------------------------------------------------------------
    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        return self.succeeds("merge-base", "--is-ancestor", ancestor, descendant)

    def merge_base(self, one: str, two: str) -> str | None:
        done = run_git("--git-dir", str(self.path), "merge-base", one, two, check=False)
        return done.stdout.decode().strip() or None if done.returncode == 0 else None

    def rev_list(self, *args: str) -> list[str]:
        return self.git("rev-list", *args).split()

    def commit_info(self, sha: str) -> CommitInfo:
        fields = "%H%x00%T%x00%P%x00%an%x00%ae%x00%at%x00%cn%x00%ce%x00%ct%x00%B"
        out = self.git("show", "-s", f"--format={fields}", sha, "--")
        parts = out.split("\0")
        return CommitInfo(
            sha=parts[0],
            tree=parts[1],
            parents=tuple(parts[2].split()),
            author=Person(parts[3], parts[4], parts[5]),
            committer=Person(parts[6], parts[7], parts[8]),
            message=parts[9].rstrip("\n"),
        )

    def empty_tree(self) -> str:
        return self.git("hash-object", "-t", "tree", "-w", "--stdin", input=b"").strip()

    def diff(self, base: str | None, head: str) -> list[FileChange]:
        """The files changed from `base` (None: the empty tree) to `head`."""
        old = base or self.empty_tree()
        raw = self.git("diff", "--raw", "-z", "--no-renames", "--no-abbrev", old, head).split("\0")
        blobs = {}
        for meta, name in zip(raw[0::2], raw[1::2], strict=False):
            if meta.startswith(":"):
                _, _, _, new_blob, status = meta[1:].split()
                blobs[name] = (status[0], None if new_blob == "0" * len(new_blob) else new_blob)
        changes = []
        for line in self.git("diff", "--numstat", "-z", "--no-renames", old, head).split("\0"):
            if not line:
                continue
            added, deleted, name = line.split("\t", 2)
            status, blob = blobs.get(name, ("M", None))
            counts = (int(added), int(deleted)) if added != "-" else (0, 0)
            changes.append(FileChange(name, status, counts[0], counts[1], blob))
        return changes

    # -- writing -------------------------------------------------------------------------
    def merge_tree(self, base: str, head: str) -> str | None:
        """The tree of merging `head` into `base`, or None when they conflict."""
        done = run_git("--git-dir", str(self.path), "merge-tree", "--write-tree", base, head, check=False)
        if done.returncode == 0:
            return done.stdout.decode().split()[0]
        if done.returncode == 1:
            return None
        raise GitError(("merge-tree", base, head), done.returncode, done.stderr.decode(errors="replace"))

    def commit_tree(self, tree: str, parents: list[str], message: str, author: Person, committer: Person) -> str:
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        env = clean_env(author, committer)
        return self.git(*args, input=message.encode() + b"\n", env=env).strip()

    def write_file_commit(self, files: dict[str, str], message: str, person: Person) -> str:
        """A root commit holding `files` (top-level names only)."""
        entries = []
        for name, text in sorted(files.items()):
            blob = self.git("hash-object", "-w", "--stdin", input=text.encode()).strip()
            entries.append(f"100644 blob {blob}\t{name}")
        tree = self.git("mktree", input=("\n".join(entries) + "\n").encode()).strip()
        return self.commit_tree(tree, [], message, person, person)

    def rebase(self, base: str, commits: list[str], committer: Person) -> str | None:
        """Replay `commits` on `base` (a temporary worktree and cherry-pick); None on conflict."""
        workdir = Path(tempfile.mkdtemp(prefix="fakeforge-rebase-"))
        target = workdir / "tree"
        env = clean_env(committer=committer)
        try:
            self.git("worktree", "add", "-q", "--detach", str(target), base)
            for sha in commits:
                pick = ("cherry-pick", "--allow-empty", "--keep-redundant-commits", sha)
                if run_git(*pick, cwd=target, env=env, check=False).returncode != 0:
                    run_git("cherry-pick", "--abort", cwd=target, env=env, check=False)
                    return None
            return run_git("rev-parse", "HEAD", cwd=target, env=env).stdout.decode().strip()
        finally:
            if target.exists():
                self.git("worktree", "remove", "--force", str(target))
            self.git("worktree", "prune")
            shutil.rmtree(workdir, ignore_errors=True)
