"""Building real repositories with the git command itself, with fixed dates.

Tests build their repositories with git (not with forkflow) so that forkflow is always
checked against what git made and what git says.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

EPOCH = 1_700_000_000  # 2023-11-14T22:13:20Z


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Test Author",
        GIT_AUTHOR_EMAIL="author@example.edu",
        GIT_COMMITTER_NAME="Test Committer",
        GIT_COMMITTER_EMAIL="committer@example.edu",
    )
    return env


@dataclass
class Clock:
    """Hands out strictly increasing fixed dates, one hour apart."""

    now: int = EPOCH

    def tick(self) -> str:
        self.now += 3600
        return f"{self.now} +0000"


@dataclass
class Git:
    """A repository driven through the git command line."""

    path: Path
    clock: Clock = field(default_factory=Clock)

    @classmethod
    def init(cls, path: Path, *, bare: bool = False, clock: Clock | None = None) -> Git:
        path.mkdir(parents=True, exist_ok=True)
        repo = cls(path, clock or Clock())
        repo("init", "-q", "-b", "main", *(["--bare"] if bare else []))
        return repo

    def __call__(self, *args: str, input: bytes | None = None, check: bool = True) -> str:
        env = git_env()
        date = self.clock.tick()
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
        done = subprocess.run(["git", *args], cwd=self.path, env=env, input=input, capture_output=True, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {done.stderr.decode(errors='replace')}")
        return done.stdout.decode(errors="surrogateescape")

    def sh(self, command: str) -> str:
        """A shell pipeline in the repository (for `git show ... | git patch-id`)."""
        done = subprocess.run(command, shell=True, cwd=self.path, env=git_env(), capture_output=True, check=True)
        return done.stdout.decode()

    def write(self, files: dict[str, str | bytes | None]) -> None:
        for name, content in files.items():
            target = self.path / name
            if content is None:
                if target.exists() or target.is_symlink():
                    target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)

    def commit(
        self,
        message: str,
        files: dict[str, str | bytes | None] | None = None,
        *,
        allow_empty: bool = False,
        author: str | None = None,
    ) -> str:
        if files:
            self.write(files)
        self("add", "-A")
        extra = (["--allow-empty"] if allow_empty else []) + ([f"--author={author}"] if author else [])
        self("commit", "-q", "-m", message, *extra)
        return self.head()

    def head(self, ref: str = "HEAD") -> str:
        return self("rev-parse", ref).strip()

    def checkout(self, *args: str) -> None:
        self("checkout", "-q", *args)

    def cherry_pick(self, commit: str) -> str:
        self("cherry-pick", "--allow-empty", commit)
        return self.head()

    def rev_list_count(self, parent: str, node: str) -> tuple[int, int]:
        """(ahead, behind) of node against parent, as git counts them."""
        out = self("rev-list", "--left-right", "--count", f"{node}...{parent}").split()
        return int(out[0]), int(out[1])

    def cherry(self, parent: str, node: str) -> tuple[list[str], list[str]]:
        """(carried, upstreamed) commit ids, as git cherry marks them (+ and -)."""
        carried, upstreamed = [], []
        for line in self("cherry", parent, node).splitlines():
            sign, sha = line.split()
            (carried if sign == "+" else upstreamed).append(sha)
        return carried, upstreamed

    def patch_id(self, commit: str) -> str | None:
        out = self.sh(f"git diff-tree -p --root {commit} | git patch-id --stable").split()
        return out[0] if out else None
