"""The GitLab forge and the bot against the fake GitLab: the real python-gitlab over real HTTP.

Every answer the fake gives is checked against GitLab's API description (the fixture fails the
test otherwise).  The network is the shared one (tests/sharednet.py): central in a group, each
node a fork of its parent's project, fetched over git's smart HTTP.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from forkflow.bot import run_bot
from forkflow.cli import main
from forkflow.credential import Credential
from forkflow.errors import ForgeError, RateLimited
from forkflow.forge import Proposal
from forkflow.forge.gitlab import GitLabClient, GitLabForge
from forkflow.gitrepo import Person
from forkflow.network.fetch import apply_fetch, plan_fetch
from forkflow.urls import authority
from forkflow.workspace import Workspace, open_workspace
from tests.fakegitlab.fixture import fake_gitlab_fixture  # noqa: F401 (the fixture)
from tests.fakegitlab.server import FakeGitLab
from tests.gitcli import Git, git_env
from tests.sharednet import NODES, build_shared_network

TOKEN = "glpat-forkflowtesttoken0123456789"
JOB = "glcbt-forkflowjobtoken0123456789"
GROUP = "example-u"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
BOT = Person("forkflow", "forkflow@example.edu")
SHA = "a" * 40


def owner_of(node: str) -> str:
    return f"{node}-u"


def user_namespace(fake: FakeGitLab, node: str) -> tuple[str, str]:
    """A node's project in its owner's own namespace: (namespace, owner)."""
    return owner_of(node), owner_of(node)


def host(
    fake: FakeGitLab,
    tmp_path: Path,
    *,
    namespace: Callable[[FakeGitLab, str], tuple[str, str]] = user_namespace,
    credential: Credential | None = None,
) -> Workspace:
    """The shared network on the fake GitLab: central in the group, each node a fork of its parent,
    in the namespace ``namespace`` makes for it (with the owner the manifest names)."""
    src = build_shared_network(tmp_path / "src")
    src.git.commit("Central update", {"README.md": "# video\n"})  # every node is behind by one
    fake.add_user("robot", TOKEN)
    fake.add_group(GROUP, members=("robot",))
    fake.add_project(GROUP, "video", source_path=src.git.path)
    projects = {"central": f"{GROUP}/video"}
    manifest = [
        '[network]\nname = "hosted"\nforge = "gitlab"\n',
        f'[[node]]\nname = "central"\nurl = "{fake.clone_url(projects["central"])}"\nbranch = "main"\n',
    ]
    for name, parent, tier in NODES:
        where, owner = namespace(fake, name)
        fork = fake.add_project(where, "video", fork_of=projects[parent])
        projects[name] = f"{where}/video"
        sha = src.git.head(name)
        subprocess.run(
            ["git", "--git-dir", str(fork.git_path), "update-ref", "refs/heads/main", sha], check=True, env=git_env()
        )
        manifest.append(
            f'[[node]]\nname = "{name}"\nparent = "{parent}"\ntier = "{tier}"\n'
            f'url = "{fake.clone_url(projects[name])}"\nbranch = "main"\nowners = ["@{owner}"]\n'
        )
    work = Git.init(tmp_path / "work")
    (work.path / "forkflow.toml").write_text("\n".join(manifest))
    space = open_workspace(work.path)
    fetching = credential or credential_for(fake)
    assert all(result.ok for result in apply_fetch(space.repo, plan_fetch(space.network), credential=fetching))
    return space


def credential_for(fake: FakeGitLab) -> Credential:
    return Credential(token=TOKEN, hosts=frozenset({str(authority(fake.url))}), user="oauth2", source="GITLAB_TOKEN")


def forge_for(space: Workspace, fake: FakeGitLab, token: str = TOKEN, *, job: bool = False) -> GitLabForge:
    return GitLabForge(space.repo, space.manifest, GitLabClient(fake.url, token, job_token=job))


def test_a_merge_request_that_changes_a_protected_path_gets_a_failing_status_and_one_note(
    fake_gitlab: FakeGitLab, tmp_path: Path
) -> None:
    space = host(fake_gitlab, tmp_path)
    base = space.repo.resolve("refs/forkflow/nodes/central")
    assert base is not None
    central = fake_gitlab.project(f"{GROUP}/video")
    Git(tmp_path)("clone", "-q", str(central.git_path), "contributor")
    contributor = Git(tmp_path / "contributor")
    contributor.checkout("-b", "ci")
    head = contributor.commit("Add a workflow", {".github/workflows/ci.yml": "on: push\n"})
    contributor("push", "-q", str(central.git_path), "ci:refs/heads/ci")
    Git(space.repo.workdir)("fetch", "-q", str(central.git_path), "ci")  # type: ignore[arg-type]  # the bot's checkout
    gl = fake_gitlab.gitlab(TOKEN)
    opened = gl.projects.get(f"{GROUP}/video").mergerequests.create(
        {"source_branch": "ci", "target_branch": "main", "title": "Add CI", "description": "please"}
    )
    event = {
        "pull_request": {
            "number": opened.iid,
            "head": {"sha": head, "ref": "ci"},
            "base": {"sha": base, "ref": "main"},
        },
        "repository": {"full_name": f"{GROUP}/video"},
    }
    for _ in range(2):  # the second run refreshes the note instead of adding one
        result = run_bot(
            space,
            forge_for(space, fake_gitlab),
            "pull_request",
            event,
            credential=credential_for(fake_gitlab),
            committer=BOT,
            now=NOW,
        )
        assert result.violations == 1 and result.problems == []
    project = gl.projects.get(f"{GROUP}/video")
    statuses = project.commits.get(head).statuses.list(get_all=True)
    assert [(s.name, s.status) for s in statuses][-1] == ("forkflow/policy", "failed")
    notes = project.mergerequests.get(opened.iid).notes.list(get_all=True)
    assert len(notes) == 1 and "change protected paths" in notes[0].body


def test_a_passing_rate_limit_is_waited_out_and_an_unreachable_fork_is_reported(
    fake_gitlab: FakeGitLab, tmp_path: Path
) -> None:
    space = host(fake_gitlab, tmp_path)
    fake_gitlab.rate_limit(times=1, retry_after=1)
    assert forge_for(space, fake_gitlab).proposals() == []  # the GET was retried after the Retry-After
    fake_gitlab.unreachable(f"{owner_of('beta')}/video")
    forge = forge_for(space, fake_gitlab)
    assert forge.proposals() == []
    assert [(p.node, p.step) for p in forge.problems] == [("beta", "list proposals")]
    with pytest.raises(ForgeError, match="could not be listed"):  # nothing is opened where it may be open already
        forge.open(
            Proposal(
                change_id="c", target="beta", branch="forkflow/bubble-up/c", title="t", body="b", base=SHA, head=SHA
            )
        )


def test_an_exhausted_rate_limit_stops_the_run_without_the_token(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    space = host(fake_gitlab, tmp_path)
    fake_gitlab.rate_limit(times=20, retry_after=0)
    with pytest.raises(RateLimited) as stopped:
        forge_for(space, fake_gitlab).proposals()
    message = str(stopped.value)
    assert message.startswith("reading example-u/video: GitLab's rate limit is exhausted until 20")
    assert message.endswith("; run again then")
    assert TOKEN not in str(stopped.value)


def test_a_job_token_is_told_which_permission_it_lacks(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    space = host(fake_gitlab, tmp_path)
    fake_gitlab.add_job_token(JOB, f"{GROUP}/video", user="robot")
    forge = forge_for(space, fake_gitlab, JOB, job=True)
    with pytest.raises(ForgeError) as refused:
        forge.archive("alpha")
    assert "GitLab refused the CI job token (HTTP 403): this needs the api scope and the Owner or Maintainer" in str(
        refused.value
    )
    assert "set GITLAB_TOKEN to a project access token" in str(refused.value) and JOB not in str(refused.value)


def test_discover_walks_the_forks_and_their_forks(
    fake_gitlab: FakeGitLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    host(fake_gitlab, tmp_path)
    manifest = tmp_path / "found.toml"
    env = {"GITLAB_URL": fake_gitlab.url, "GITLAB_TOKEN": TOKEN}
    done = CliRunner().invoke(
        main,
        ["discover", "--forge", "gitlab", "--central", f"{GROUP}/video", "--manifest", str(manifest), "--write"],
        env=env,
    )
    assert done.exit_code == 0, done.output
    assert done.output == f"{len(NODES) + 1} node(s) added to {manifest}\n"
    text = manifest.read_text()
    assert text.startswith('[network]\nname = "video"\npolicy = "default"\nforge = "gitlab"\n')
    assert fake_gitlab.clone_url(f"{owner_of('alpha')}/video") in text and TOKEN not in text
    again = CliRunner().invoke(
        main,
        ["discover", "--forge", "gitlab", "--central", f"{GROUP}/video", "--manifest", str(manifest), "--write"],
        env=env,
    )
    assert again.output == f"0 node(s) added to {manifest}\n" and manifest.read_text() == text


def test_provision_forks_into_a_group_waiting_for_the_import_and_retire_archives(
    fake_gitlab: FakeGitLab, tmp_path: Path
) -> None:
    space = host(fake_gitlab, tmp_path)
    fake_gitlab.add_group("newcollege", members=("robot",))
    work = str(space.repo.workdir)
    env = {"GITLAB_URL": fake_gitlab.url, "GITLAB_TOKEN": TOKEN, "FORKFLOW_FORGE": None}
    args = ["provision", "zeta", "--parent", "alpha", "--tier", "developer", "--namespace", "newcollege", "--yes"]
    made = CliRunner().invoke(main, [*args, "--repo", work], env=env)  # the forge is the manifest's: gitlab
    assert made.exit_code == 0, made.output
    assert "done: fork alpha's repository on GitLab into newcollege; add zeta to the manifest\n" in made.output
    assert fake_gitlab.project("newcollege/video").import_status == "finished"
    assert f'url = "{fake_gitlab.clone_url("newcollege/video")}"' in (tmp_path / "work" / "forkflow.toml").read_text()
    retired = CliRunner().invoke(main, ["retire", "zeta", "--yes", "--repo", work], env=env)
    assert retired.exit_code == 0, retired.output
    assert "done: archive zeta's repository on GitLab\n" in retired.output
    assert fake_gitlab.project("newcollege/video").archived
    assert TOKEN not in made.output + retired.output
    wrong = CliRunner().invoke(main, ["provision", "eta", "--parent", "alpha", "--org", "x", "--repo", work], env=env)
    assert (wrong.exit_code, wrong.output.splitlines()[-1]) == (
        2,
        "Error: --org goes with --forge github, --namespace with --forge gitlab",
    )
