"""`forkflow init --from github:OWNER/NAME` against the fake GitHub (real github3.py over HTTP, git over HTTP)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from forkflow.cli import main
from forkflow.manifest.spec import load_manifest
from tests.fakegithub.fixture import fake_github_fixture  # noqa: F401 (the fixture)
from tests.fakegithub.server import FakeGitHub
from tests.gitcli import Git

TOKEN = "ghp_inittesttoken0123456789abcd"
JAN_2026 = "1767225600"


@pytest.fixture
def network(fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:
    """uni/video; eng's fork (one commit of its own) and aero's fork of eng's; a fork GitHub gives a bad branch."""
    src = Git.init(tmp_path / "src")
    src.commit("Initial product", {"app.py": "A = 1\n"})
    fake_github.add_user("robot", TOKEN)
    fake_github.add_org("uni")
    fake_github.add_repo("uni", "video", source_path=src.path)
    fake_github.add_repo("eng", "video", fork_of="uni/video")
    fake_github.add_repo("aero", "video", fork_of="eng/video")
    fake_github.add_repo("slashy", "video", fork_of="uni/video")
    fake_github.add_repo("slashy-lab", "video", fork_of="slashy/video")
    fake_github.repo("slashy", "video").default_branch = "bad\\branch"
    src.commit("Eng page", {"eng.md": "eng\n"})
    src("push", "-q", str(fake_github.repo_path("eng", "video")), "HEAD:refs/heads/main")
    fake_github.serve_git_over_http()
    monkeypatch.setenv("GITHUB_API_URL", fake_github.url)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", JAN_2026)
    monkeypatch.setenv("COLUMNS", "200")
    return fake_github


def expected_text(fake: FakeGitHub) -> str:
    return f"""\
# forkflow.toml, first written by forkflow init from GitHub uni/video and its forks.
# Lines marked "guessed" are guesses: check them (tiers: central, decentralized, developer), then commit.

[network]
name = "video"
policy = "default"

# GitHub uni/video
[[node]]
name = "uni"
url = "{fake.url}/uni/video.git"
branch = "main"
owners = ["@uni"]  # guessed: the repository's owner on GitHub

# GitHub eng/video
[[node]]
name = "eng"
parent = "uni"
tier = "decentralized"  # guessed: a fork of central
url = "{fake.url}/eng/video.git"
branch = "main"
owners = ["@eng"]  # guessed: the repository's owner on GitHub

# GitHub aero/video
[[node]]
name = "aero"
parent = "eng"
tier = "developer"  # guessed: a fork of a fork (eng/video)
url = "{fake.url}/aero/video.git"
branch = "main"
owners = ["@aero"]  # guessed: the repository's owner on GitHub
"""


LEFT_OUT = [
    "warning: GitHub repository 'slashy/video': its default branch 'bad\\\\branch' contains characters git does not "
    "allow in a ref name: '\\\\'; it was left out",
    "warning: GitHub repository 'slashy-lab/video': its parent 'slashy/video' was left out; it was left out",
]


def init(work: Path, *more: str) -> Result:
    return CliRunner().invoke(main, ["init", "--repo", str(work), "--from", "github:uni/video", *more])


def test_init_from_github_writes_forks_of_forks_under_their_parents_and_scans(
    network: FakeGitHub, tmp_path: Path
) -> None:
    work = Git.init(tmp_path / "work")
    result = init(work.path)
    manifest = work.path / "forkflow.toml"
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"wrote {manifest}: 3 node(s), central 'uni' and 2 under it; check the lines marked 'guessed'",
        "No node needs attention.",
        "",
        "Unmet needs: 100.0% (1 of 1 needs the parents do not ship yet; 0 local change(s) not counted)",
        "  by tier: decentralized 100.0%, developer 0.0%",
        "Shared changes (carried by several nodes): 0",
        "forkflow scan shows every node's figures",
    ]
    eng = work.head("refs/forkflow/nodes/eng")
    assert result.stderr.splitlines() == [
        *LEFT_OUT,
        f"uni: updated at {work.head('refs/forkflow/nodes/uni')[:12]}",
        f"eng: updated at {eng[:12]}",
        f"aero: updated at {work.head('refs/forkflow/nodes/aero')[:12]}",
        "fetched 3 of 3 node(s)",
    ]
    assert manifest.read_text(encoding="utf-8") == expected_text(network)
    assert load_manifest(manifest).node("aero").parent == "eng"
    assert TOKEN not in result.output


def test_a_dry_run_from_github_writes_nothing_here_or_there(network: FakeGitHub, tmp_path: Path) -> None:
    work = Git.init(tmp_path / "work")
    asked = len(network.requests)
    result = init(work.path, "--dry-run")
    assert (result.exit_code, result.stdout) == (0, expected_text(network))
    assert result.stderr.splitlines() == [
        *LEFT_OUT,
        f"dry run: nothing was written ({work.path / 'forkflow.toml'} would hold the above)",
    ]
    assert sorted(path.name for path in work.path.iterdir()) == [".git"]
    assert work("for-each-ref") == ""
    assert {r.method for r in network.requests[asked:]} == {"GET"}


def test_an_existing_manifest_stops_it_before_github_is_asked(network: FakeGitHub, tmp_path: Path) -> None:
    work = Git.init(tmp_path / "work")
    (work.path / "forkflow.toml").write_text("# ours\n")
    asked = len(network.requests)
    result = init(work.path)
    assert (result.exit_code, result.stdout) == (1, "")
    assert "already exists; forkflow init never replaces a manifest" in result.stderr
    assert len(network.requests) == asked
    assert (work.path / "forkflow.toml").read_text() == "# ours\n"


def test_an_org_keeps_only_its_forks(network: FakeGitHub, tmp_path: Path) -> None:
    work = Git.init(tmp_path / "work")
    result = init(work.path, "--org", "eng", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout == expected_text(network)  # slashy's forks are not eng's: not even listed
    assert result.stderr == f"dry run: nothing was written ({work.path / 'forkflow.toml'} would hold the above)\n"


def test_a_central_github_does_not_know(network: FakeGitHub, tmp_path: Path) -> None:
    work = Git.init(tmp_path / "work")
    result = CliRunner().invoke(main, ["init", "--repo", str(work.path), "--from", "github:uni/nothing"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "error: reading uni/nothing: not found (or the token cannot see it)\n"
    assert sorted(path.name for path in work.path.iterdir()) == [".git"]
