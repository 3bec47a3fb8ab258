"""Contributors' hooks through real git: a push to a local bare repository, a commit, pre-commit's try-repo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gitcli import Git, git_env

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = '[network]\nname = "hooks"\n\n[[node]]\nname = "central"\nref = "refs/heads/main"\n'
NEEDS = '[[need]]\nid = "captions"\ntitle = "Captions"\nnodes = ["central"]\n'


def forkflow_env() -> dict[str, str]:
    """git's environment for the tests, with the forkflow under test first on PATH (the hooks call it)."""
    env = git_env()
    scripts = Path(sys.executable).parent
    env["PATH"] = f"{scripts}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    return env


def run(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=cwd, env=forkflow_env(), input=stdin, capture_output=True, text=True, check=False
    )


@pytest.fixture
def clone(tmp_path: Path) -> Git:
    """A bare 'node' repository and a clone of it with forkflow's hooks installed."""
    origin = Git.init(tmp_path / "seed")
    origin.commit("Initial", {"app.py": "A = 1\n", "forkflow.toml": MANIFEST, "needs.toml": NEEDS})
    Git(tmp_path)("clone", "-q", "--bare", str(origin.path), "node.git")
    Git(tmp_path)("clone", "-q", str(tmp_path / "node.git"), "clone")
    clone = Git(tmp_path / "clone")
    done = run(clone.path, sys.executable, "-m", "forkflow", "hooks", "install")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"installed {clone.path / '.git' / 'hooks' / 'pre-push'}",
        f"installed {clone.path / '.git' / 'hooks' / 'commit-msg'}",
    ]
    return clone


def test_a_push_that_changes_a_protected_path_is_refused(clone: Git, tmp_path: Path) -> None:
    clone.commit("Fine change", {"app.py": "A = 2\n"})
    assert run(clone.path, "git", "push", "-q", "origin", "main").returncode == 0
    bad = clone.commit("Add CI", {".github/workflows/ci.yml": "on: push\n"})
    pushed = run(clone.path, "git", "push", "origin", "main")
    assert pushed.returncode != 0
    assert "forkflow: push refused: 1 commit(s) change paths only central may change" in pushed.stderr
    assert f"  {bad[:12]} Add CI: .github/workflows/ci.yml" in pushed.stderr
    assert "  rule: protected_paths = '.github/workflows/**' (policies/default.toml)" in pushed.stderr
    assert f"`forkflow contribute {bad[:12]} --to central`" in pushed.stderr
    assert Git(tmp_path / "node.git").head("main") != bad  # nothing reached the node


def test_a_new_branch_is_checked_against_what_the_remote_has(clone: Git) -> None:
    clone.checkout("-b", "topic")
    clone.commit("Change the manifest", {"forkflow.toml": MANIFEST + "# note\n"})
    pushed = run(clone.path, "git", "push", "origin", "topic")
    assert pushed.returncode != 0 and "forkflow.toml" in pushed.stderr


def test_central_may_change_protected_paths(clone: Git) -> None:
    clone("config", "forkflow.central", "true")
    clone.commit("Add CI", {".github/workflows/ci.yml": "on: push\n"})
    assert run(clone.path, "git", "push", "-q", "origin", "main").returncode == 0


def test_hooks_do_not_see_the_variables_git_exports(clone: Git) -> None:
    script = (clone.path / ".git" / "hooks" / "pre-push").read_text()
    assert "unset" in script and "GIT_" in script
    clone.commit("Add CI", {".github/workflows/ci.yml": "on: push\n"})
    # git sets GIT_DIR for hooks in some setups; a GIT_INDEX_FILE pointing elsewhere must not confuse forkflow
    env = {**forkflow_env(), "GIT_INDEX_FILE": "/nonexistent/index"}
    pushed = subprocess.run(
        ["git", "push", "origin", "main"], cwd=clone.path, env=env, capture_output=True, text=True, check=False
    )
    assert "push refused" in pushed.stderr


def test_commit_msg_checks_need_trailers(clone: Git) -> None:
    (clone.path / "b.py").write_text("B = 1\n")
    clone("add", "b.py")
    refused = run(clone.path, "git", "commit", "-m", "Add b\n\nNeed: subtitles")
    assert refused.returncode != 0
    assert "forkflow: commit refused: Need: subtitles is not in needs.toml (known needs: captions)" in refused.stderr
    accepted = run(clone.path, "git", "commit", "-q", "-m", "Add b\n\nNeed: captions")
    assert accepted.returncode == 0, accepted.stderr


def test_install_keeps_other_peoples_hooks(clone: Git) -> None:
    hook = clone.path / ".git" / "hooks" / "pre-push"
    hook.write_text("#!/bin/sh\nexit 0\n")
    refused = run(clone.path, sys.executable, "-m", "forkflow", "hooks", "install")
    assert refused.returncode == 1
    assert refused.stderr == f"error: {hook} exists and is not forkflow's; move it away or pass --force to replace it\n"
    assert run(clone.path, sys.executable, "-m", "forkflow", "hooks", "install", "--force").returncode == 0


def test_pre_commit_try_repo(clone: Git, tmp_path: Path) -> None:
    """The framework's own runner, against this checkout's .pre-commit-hooks.yaml."""
    source = tmp_path / "hooks-repo"
    shutil.copytree(
        ROOT, source, ignore=shutil.ignore_patterns(".forkflow", "*.pyc", "__pycache__", ".git", "out", "*.egg-info")
    )
    Git.init(source).commit("forkflow")
    (clone.path / ".github" / "workflows").mkdir(parents=True)
    (clone.path / ".github" / "workflows" / "ci.yml").write_text("on: push\n")
    clone("add", ".")
    env = {**forkflow_env(), "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(source), "forkflow-protected-paths", "--files"]
    refused = subprocess.run(
        [*command, ".github/workflows/ci.yml", "app.py"],
        cwd=clone.path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "forkflow: only central may change .github/workflows/ci.yml" in refused.stdout
    passed = subprocess.run([*command, "app.py"], cwd=clone.path, env=env, capture_output=True, text=True, check=False)
    assert passed.returncode == 0, passed.stdout + passed.stderr
