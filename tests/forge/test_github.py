"""The GitHub forge and the bot, end to end: the real github3.py client over real HTTP against the fake GitHub."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from forkflow.bot import run_bot
from forkflow.cli import main
from forkflow.credential import Credential
from forkflow.errors import ForgeError
from forkflow.forge.github import Credentials, GitHubClient, GitHubForge
from forkflow.gitrepo import Person
from forkflow.network.fetch import apply_fetch, plan_fetch
from forkflow.workspace import Workspace, open_workspace
from tests.fakegithub.fixture import fake_github_fixture  # noqa: F401 (the fixture)
from tests.fakegithub.server import FakeGitHub
from tests.gitcli import Git, git_env
from tests.sharednet import NODES, build_shared_network

TOKEN = "ghp_forkflowtesttoken0123456789"
CREDENTIAL = Credential(token=TOKEN, hosts=frozenset({"github.com"}))
ORG = "example-u"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
BOT = Person("forkflow", "forkflow@example.edu")


def owner_of(node: str) -> str:
    return f"{node}-u"


def host(
    fake: FakeGitHub,
    tmp_path: Path,
    *,
    tiers: dict[str, str] | None = None,
    policy: str | None = None,
    owners: bool = True,
) -> Workspace:
    """The shared network on the fake GitHub: central in the org, each node a fork of its parent.

    ``tiers`` overrides some nodes' tiers; ``policy`` is the text of the network's policy file
    (default: the shipped default); ``owners``: each node names its fork's owner.
    """
    src = build_shared_network(tmp_path / "src")
    src.git.commit("Central update", {"README.md": "# video\n"})  # every node is behind by one
    fake.add_user("robot", TOKEN)
    fake.add_org(ORG)
    central = fake.add_repo(ORG, "video", source_path=src.git.path)
    repos = {"central": f"{ORG}/video"}
    policy_line = 'policy = "policy.toml"\n' if policy is not None else ""
    manifest = [
        f'[network]\nname = "hosted"\n{policy_line}',
        f'[[node]]\nname = "central"\nurl = "file://{central.path}"\nbranch = "main"\n',
    ]
    for name, parent, tier in NODES:
        fork = fake.add_repo(owner_of(name), "video", fork_of=repos[parent])
        repos[name] = fork.full_name
        sha = src.git.head(name)
        subprocess.run(
            ["git", "--git-dir", str(fork.path), "update-ref", "refs/heads/main", sha], check=True, env=git_env()
        )
        chosen = (tiers or {}).get(name, tier)
        owned = f'owners = ["@{owner_of(name)}"]\n' if owners else ""
        manifest.append(
            f'[[node]]\nname = "{name}"\nparent = "{parent}"\ntier = "{chosen}"\nurl = "file://{fork.path}"\n'
            f'branch = "main"\n{owned}'
        )
    work = Git.init(tmp_path / "work")
    (work.path / "forkflow.toml").write_text("\n".join(manifest))
    if policy is not None:
        (work.path / "policy.toml").write_text(policy)
    space = open_workspace(work.path)
    assert all(result.ok for result in apply_fetch(space.repo, plan_fetch(space.network), credential=CREDENTIAL))
    return space


def forge_for(space: Workspace, fake: FakeGitHub) -> GitHubForge:
    return GitHubForge(space.repo, space.manifest, GitHubClient(Credentials(token=TOKEN), fake.url))


def pulls(fake: FakeGitHub, full_name: str) -> list[object]:
    return [pull for (repo, _), pull in sorted(fake.state.pulls.items(), key=lambda item: item[0]) if repo == full_name]


def test_a_scheduled_run_opens_bubble_up_and_sync_pull_requests_once(fake_github: FakeGitHub, tmp_path: Path) -> None:
    space = host(fake_github, tmp_path)
    forge = forge_for(space, fake_github)
    first = run_bot(space, forge, "schedule", {}, credential=CREDENTIAL, committer=BOT, now=NOW)
    central = pulls(fake_github, f"{ORG}/video")
    assert len(central) == 5  # the five shared changes, proposed to central
    synced = {name: pulls(fake_github, f"{owner_of(name)}/video") for name in ("alpha", "beta", "gamma", "delta")}
    assert all(len(found) == 1 for found in synced.values())  # one update proposal per decentralized node
    assert first.outputs["proposals-opened"] == "9"
    titles = sorted(p.title for p in forge.proposals())
    assert (
        "Reject empty uploads" in titles
        and "Update alpha with central " + space.repo.resolve("refs/forkflow/nodes/central")[:12] in titles
    )  # type: ignore[index]
    bubble = next(p for p in forge.proposals() if p.title == "Reject empty uploads")
    assert bubble.carriers == ["alpha", "beta", "gamma"] and "forkflow:bubble-up" in bubble.labels
    pull = fake_github.pull(ORG, "video", bubble.number)
    assert sorted(r.login for r in pull.requested_reviewers) == ["alpha-u", "beta-u", "gamma-u"]  # type: ignore[attr-defined]
    second = run_bot(
        space, forge_for(space, fake_github), "schedule", {}, credential=CREDENTIAL, committer=BOT, now=NOW
    )
    assert second.outputs["proposals-opened"] == "0"
    assert len(pulls(fake_github, f"{ORG}/video")) == 5
    assert TOKEN not in json.dumps(second.outputs) + second.summary


def test_a_pull_request_that_changes_a_protected_path_gets_a_failing_check_and_a_comment(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    space = host(fake_github, tmp_path)
    base = space.repo.resolve("refs/forkflow/nodes/central")
    assert base is not None
    fork = fake_github.repo(owner_of("beta"), "video")
    Git(tmp_path)("clone", "-q", str(fake_github.repo_path(ORG, "video")), "contributor")
    contributor = Git(tmp_path / "contributor")
    contributor.checkout("-b", "ci")
    head = contributor.commit("Add a workflow", {".github/workflows/ci.yml": "on: push\n"})
    contributor("push", "-q", str(fork.path), "ci:refs/heads/ci")
    Git(space.repo.workdir)("fetch", "-q", str(fork.path), "ci")  # type: ignore[arg-type]  # the bot's checkout has it
    gh = fake_github.github(TOKEN)
    opened = gh.repository(ORG, "video").create_pull("Add CI", "main", f"{owner_of('beta')}:ci", "please")
    event = {
        "pull_request": {
            "number": opened.number,
            "head": {"sha": head, "ref": "ci"},
            "base": {"sha": base, "ref": "main"},
        },
        "repository": {"full_name": f"{ORG}/video"},
    }
    for _ in range(2):  # the second run refreshes the comment instead of adding one
        result = run_bot(
            space, forge_for(space, fake_github), "pull_request", event, credential=CREDENTIAL, committer=BOT, now=NOW
        )
        assert result.violations == 1
    statuses = [s for s in fake_github.state.statuses if s.sha == head]  # type: ignore[attr-defined]
    assert statuses and statuses[-1].state == "failure" and statuses[-1].context == "forkflow/policy"  # type: ignore[attr-defined]
    comments = [c for c in fake_github.state.comments.values() if c.number == opened.number]  # type: ignore[attr-defined]
    assert len(comments) == 1 and "change protected paths" in comments[0].body  # type: ignore[attr-defined]


def test_rate_limits_are_waited_out_or_reported(fake_github: FakeGitHub, tmp_path: Path) -> None:
    space = host(fake_github, tmp_path)
    forge = forge_for(space, fake_github)
    fake_github.rate_limit(times=1, status=429, retry_after=1)
    assert forge.proposals() == []  # the GET was retried after the Retry-After
    fake_github.rate_limit(times=10, status=403)
    with pytest.raises(ForgeError) as caught:
        forge_for(space, fake_github).proposals()
    assert "rate limit is exhausted until" in str(caught.value) and TOKEN not in str(caught.value)


def test_a_github_app_installation_logs_in(fake_github: FakeGitHub, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    space = host(fake_github, tmp_path)
    fake_github.add_app(42, public, 7, "ghs_installationtoken")  # installed on every account of the network
    client = GitHubClient(Credentials(app_id=42, private_key=private, installation_id=7), fake_github.url)
    assert client.token == "ghs_installationtoken"
    assert GitHubForge(space.repo, space.manifest, client).proposals() == []


def test_discover_appends_the_forks_and_keeps_the_file(
    fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    host(fake_github, tmp_path)
    manifest = tmp_path / "new.toml"
    manifest.write_text('# our network, by hand\n[network]\nname = "video"\n')
    monkeypatch.setenv("GITHUB_API_URL", fake_github.url)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    result = CliRunner().invoke(main, ["discover", "--central", f"{ORG}/video", "--manifest", str(manifest), "--write"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"8 node(s) added to {manifest}\n"
    text = manifest.read_text()
    assert text.startswith('# our network, by hand\n[network]\nname = "video"\n')
    from forkflow.manifest.spec import load_manifest

    nodes = {spec.name: spec.parent for spec in load_manifest(manifest).nodes}
    assert nodes["alpha-dept-u"] == "alpha-u" and nodes["alpha-u"] == "example-u"
    again = CliRunner().invoke(main, ["discover", "--central", f"{ORG}/video", "--manifest", str(manifest), "--write"])
    assert again.stdout == f"0 node(s) added to {manifest}\n"
    assert os.environ["GITHUB_TOKEN"] not in again.output


def test_the_demo_network_on_github(fake_github: FakeGitHub, tmp_path: Path) -> None:
    """The Land Grant example hosted on the fake: a scheduled run proposes and syncs, a second run adds nothing."""
    from forkflow.demo import build_example, example_dir
    from forkflow.manifest.spec import load_manifest

    built = build_example(example_dir("landgrant"), tmp_path / "landgrant")
    example = load_manifest(built.manifest)
    fake_github.add_user("robot", TOKEN)
    fake_github.add_org("lgu")
    urls: dict[str, str] = {}
    lines = ['[network]\nname = "landgrant"\n']
    for spec in example.nodes:  # parents come first in the example's manifest
        parent = f"lgu/{spec.parent}" if spec.parent else None
        repo = fake_github.add_repo(
            "lgu", spec.name, source_path=built.root / "forge" / f"{spec.name}.git", fork_of=parent
        )
        urls[spec.name] = repo.path.as_uri()
        table = f'[[node]]\nname = "{spec.name}"\nurl = "{urls[spec.name]}"\nbranch = "main"\n'
        if spec.parent:
            table += f'parent = "{spec.parent}"\ntier = "{spec.tier}"\n'
        lines.append(table)
    work = Git.init(tmp_path / "work")
    (work.path / "forkflow.toml").write_text("\n".join(lines))
    space = open_workspace(work.path)
    assert all(result.ok for result in apply_fetch(space.repo, plan_fetch(space.network), credential=CREDENTIAL))
    first = run_bot(space, forge_for(space, fake_github), "schedule", {}, credential=CREDENTIAL, committer=BOT, now=NOW)
    bubble_up = [p for p in forge_for(space, fake_github).proposals() if p.source == "bubble-up"]
    sync = [p for p in forge_for(space, fake_github).proposals() if p.source == "sync"]
    assert len(bubble_up) == 10 and all(p.target in ("central", "engineering") for p in bubble_up)
    assert len(sync) >= 10 and all(p.branch.startswith("forkflow/sync/") for p in sync)
    assert first.outputs["proposals-opened"] == str(len(bubble_up) + len(sync))
    second = run_bot(
        space, forge_for(space, fake_github), "schedule", {}, credential=CREDENTIAL, committer=BOT, now=NOW
    )
    assert second.outputs["proposals-opened"] == "0"
    assert len(forge_for(space, fake_github).proposals()) == len(bubble_up) + len(sync)


def test_an_unreachable_fork_is_reported_and_the_run_goes_on(fake_github: FakeGitHub, tmp_path: Path) -> None:
    space = host(fake_github, tmp_path)
    fake_github.fail_next("GET", r"/repos/delta-u/video$", 404, times=10)
    result = run_bot(
        space, forge_for(space, fake_github), "schedule", {}, credential=CREDENTIAL, committer=BOT, now=NOW
    )
    assert any(
        (problem.node, problem.step) == ("delta", "list proposals")
        and problem.reason.startswith("reading delta-u/video: not found")
        for problem in result.problems
    )
    assert len(pulls(fake_github, f"{ORG}/video")) == 5  # the proposals to central were opened all the same


def test_a_bubble_up_pull_request_event_lists_its_carriers(fake_github: FakeGitHub, tmp_path: Path) -> None:
    space = host(fake_github, tmp_path)
    run_bot(space, forge_for(space, fake_github), "schedule", {}, credential=CREDENTIAL, committer=BOT, now=NOW)
    proposal = next(p for p in forge_for(space, fake_github).proposals() if p.title == "Reject empty uploads")
    base = space.repo.resolve("refs/forkflow/nodes/central")
    event = {
        "pull_request": {
            "number": proposal.number,
            "head": {"sha": proposal.head, "ref": proposal.branch},
            "base": {"sha": base},
        },
        "repository": {"full_name": f"{ORG}/video"},
    }
    for _ in range(2):
        result = run_bot(
            space, forge_for(space, fake_github), "pull_request", event, credential=CREDENTIAL, committer=BOT, now=NOW
        )
        assert result.violations == 0
    comments = [c for c in fake_github.state.comments.values() if c.number == proposal.number]  # type: ignore[attr-defined]
    assert len(comments) == 1
    assert comments[0].body.startswith("**Carried by 3 node(s):**\n\n- `alpha`\n- `beta`\n- `gamma`")  # type: ignore[attr-defined]


def test_an_app_gets_a_check_run_and_carriers_joining_update_the_pull_request(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    space = host(fake_github, tmp_path)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    fake_github.add_app(42, public, 7, "ghs_installationtoken")
    client = GitHubClient(Credentials(app_id=42, private_key=private, installation_id=7), fake_github.url)
    forge = GitHubForge(space.repo, space.manifest, client)
    run_bot(space, forge, "schedule", {}, credential=client.credential, committer=BOT, now=NOW)
    chapters = next(p for p in forge.proposals() if p.title.startswith("Add chapters"))
    event = {
        "pull_request": {
            "number": chapters.number,
            "head": {"sha": chapters.head, "ref": chapters.branch},
            "base": {"sha": space.repo.resolve("refs/forkflow/nodes/central")},
        },
        "repository": {"full_name": f"{ORG}/video"},
    }
    run_bot(
        space,
        GitHubForge(space.repo, space.manifest, client),
        "pull_request",
        event,
        credential=client.credential,
        committer=BOT,
        now=NOW,
    )
    runs = [run for run in fake_github.state.check_runs.values() if run.head_sha == chapters.head]  # type: ignore[attr-defined]
    assert [(run.name, run.conclusion) for run in runs] == [("forkflow policy", "success")]  # type: ignore[attr-defined]
    # epsilon picks up the chapters series: the open pull request is updated, not duplicated
    picked = [
        str(c)
        for c in space.repo.own_commits(
            str(space.repo.resolve("refs/forkflow/nodes/alpha")), str(space.repo.resolve("refs/forkflow/nodes/central"))
        )
    ]
    epsilon = fake_github.repo(owner_of("epsilon"), "video")
    scratch = tmp_path / "epsilon"
    Git(tmp_path)("clone", "-q", str(epsilon.path), "epsilon")
    for commit in picked[1:3]:  # a2, a3: the chapters series
        Git(scratch)("fetch", "-q", str(fake_github.repo_path(owner_of("alpha"), "video")), "main")
        Git(scratch).cherry_pick(commit)
    Git(scratch)("push", "-q", "origin", "HEAD:main")
    apply_fetch(space.repo, plan_fetch(space.network), credential=client.credential)
    second = run_bot(
        space,
        GitHubForge(space.repo, space.manifest, client),
        "schedule",
        {},
        credential=client.credential,
        committer=BOT,
        now=NOW,
    )
    assert second.outputs["proposals-opened"] == "0"
    updated = next(
        p for p in GitHubForge(space.repo, space.manifest, client).proposals() if p.title.startswith("Add chapters")
    )
    assert updated.number == chapters.number and updated.carriers == ["alpha", "beta", "epsilon"]
    assert "| epsilon | developer |" in updated.body


def test_provision_forks_on_github_and_retire_archives(fake_github: FakeGitHub, tmp_path: Path) -> None:
    from forkflow.lifecycle import apply_lifecycle, plan_provision, plan_retire
    from forkflow.scan.pipeline import scan_network

    space = host(fake_github, tmp_path)
    fake_github.add_org("newcollege")
    forge = forge_for(space, fake_github)
    plan = plan_provision(space, "zeta", "alpha", "developer", None, github=forge, organization="newcollege")
    assert plan.steps[0].what == "fork alpha's repository on GitHub into newcollege; add zeta to the manifest"
    apply_lifecycle(plan)
    fork = fake_github.repo("newcollege", "video")
    assert fork.parent is not None and fork.parent.full_name == f"{owner_of('alpha')}/video"  # type: ignore[attr-defined]
    space = open_workspace(space.repo.workdir)  # type: ignore[arg-type]
    assert space.manifest.node("zeta").url == fork.path.as_uri()
    assert all(result.ok for result in apply_fetch(space.repo, plan_fetch(space.network), credential=CREDENTIAL))
    report = scan_network(space.network, space.repo, space.store, policy=space.policy, now=NOW)
    assert (report.node("zeta").ahead, report.node("zeta").behind) == (0, 0)
    retire = plan_retire(
        space,
        report,
        forge_for(space, fake_github),
        "epsilon",
        committer=BOT,
        now=NOW,
        github=forge_for(space, fake_github),
    )
    apply_lifecycle(retire)
    assert fake_github.repo(owner_of("epsilon"), "video").archived  # type: ignore[attr-defined]
    assert open_workspace(space.repo.workdir).manifest.node("epsilon").retired  # type: ignore[arg-type]


def test_every_command_takes_the_forge_from_the_option_the_environment_or_the_manifest(
    fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A maintainer's laptop sees what the bot would do on GitHub (propose --dry-run writes nothing
    there), and proposals list shows GitHub's own pull requests."""
    space = host(fake_github, tmp_path)
    work = str(space.repo.workdir)
    monkeypatch.setenv("GITHUB_API_URL", fake_github.url)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.delenv("FORKFLOW_FORGE", raising=False)
    dry = CliRunner().invoke(main, ["propose", "--dry-run", "--json", "--forge", "github", "--repo", work])
    assert dry.exit_code == 0, dry.output
    planned = json.loads(dry.stdout)
    assert planned["dry_run"] is True and sum(1 for a in planned["actions"] if a["step"] == "open") == 5
    assert pulls(fake_github, f"{ORG}/video") == []  # nothing was opened on GitHub
    assert CliRunner().invoke(main, ["proposals", "list", "--repo", work]).stdout.startswith("No proposals yet")
    run_bot(space, forge_for(space, fake_github), "schedule", {}, credential=CREDENTIAL, committer=BOT, now=NOW)
    on_github = sorted(p.number for p in forge_for(space, fake_github).proposals())
    assert len(on_github) == 9
    monkeypatch.setenv("FORKFLOW_FORGE", "github")
    listed = CliRunner().invoke(main, ["proposals", "list", "--json", "--repo", work])
    assert listed.exit_code == 0, listed.output
    assert sorted(p["number"] for p in json.loads(listed.stdout)) == on_github
    monkeypatch.delenv("FORKFLOW_FORGE")
    manifest = space.repo.workdir / "forkflow.toml"  # type: ignore[operator]
    manifest.write_text(manifest.read_text().replace('name = "hosted"', 'name = "hosted"\nforge = "github"', 1))
    again = CliRunner().invoke(main, ["propose", "--dry-run", "--json", "--repo", work])
    assert again.exit_code == 0, again.output
    assert not any(a["step"] == "open" for a in json.loads(again.stdout)["actions"])  # GitHub has them all
    local = CliRunner().invoke(main, ["proposals", "list", "--forge", "local", "--repo", work])
    assert local.stdout.startswith("No proposals yet")  # the option wins over the manifest
    assert TOKEN not in dry.output + listed.output + again.output
    manifest.write_text(manifest.read_text().replace('forge = "github"', 'forge = "gitlub"'))
    broken = CliRunner().invoke(main, ["proposals", "list", "--repo", work])
    assert broken.exit_code != 0 and "forge" in broken.output and "forkflow.toml" in broken.output
