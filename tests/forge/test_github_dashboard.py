"""The dashboard on the fake GitHub, end to end with the real github3.py client: one issue in central's
repository, created once and updated after that; a box a person ticks is carried out once."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from forkflow.bot import BotResult, run_bot
from forkflow.forge.github import Credentials, GitHubClient, GitHubForge
from forkflow.workspace import Workspace, open_workspace
from tests.fakegithub.fixture import fake_github_fixture  # noqa: F401 (the fixture)
from tests.fakegithub.server import FakeGitHub
from tests.fakegithub.state import Issue
from tests.forge.test_github import BOT, CREDENTIAL, ORG, TOKEN, owner_of
from tests.forge.test_github import host as hosted
from tests.gitcli import git_env

MAINTAINER = "ghp_maintainertoken0123456789ab"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
CENTRAL_TIER = {"beta"}  # a central-tier node with commits central lacks: its sync by force is held


def host(fake: FakeGitHub, tmp_path: Path) -> Workspace:
    """The shared network on the fake GitHub, beta on the central tier, every proposal held (max_proposals = 0)."""
    fake.add_user("maintainer", MAINTAINER)
    policy = (Path(__file__).parents[2] / "policies" / "default.toml").read_text()
    held = policy.replace("max_proposals = 10", "max_proposals = 0")
    return hosted(fake, tmp_path, tiers=dict.fromkeys(CENTRAL_TIER, "central"), policy=held, owners=False)


def run(
    space: Workspace,
    fake: FakeGitHub,
    when: datetime,
    event_name: str = "schedule",
    event: dict[str, object] | None = None,
) -> BotResult:
    forge = GitHubForge(space.repo, space.manifest, GitHubClient(Credentials(token=TOKEN), fake.url))
    result = run_bot(space, forge, event_name, event or {}, credential=CREDENTIAL, committer=BOT, now=when)
    assert result.problems == []
    return result


def dashboards(fake: FakeGitHub) -> list[Issue]:
    issues = fake.state.issues_of(fake.repo(ORG, "video"))
    return [issue for issue in issues if "forkflow:dashboard" in issue.labels]


def boxes(body: str) -> dict[str, str]:
    """The dashboard's boxes: action id -> ' ' or 'x'."""
    return dict((m[1], m[0]) for m in re.findall(r"^- \[([ x])\] <!-- forkflow:action (\S+) -->", body, re.M))


def tick(fake: FakeGitHub, number: int, *ids: str, extra: str = "") -> str:
    """Tick boxes the way a person does: edit the issue's body through the API, as the maintainer."""
    issue = fake.github(MAINTAINER).repository(ORG, "video").issue(number)
    body = issue.body
    for action_id in ids:
        body = body.replace(
            f"- [ ] <!-- forkflow:action {action_id} -->", f"- [x] <!-- forkflow:action {action_id} -->"
        )
    assert issue.edit(body=body + extra)
    return str(body + extra)


def central_pulls(fake: FakeGitHub) -> list[object]:
    return fake.state.pulls_of(fake.repo(ORG, "video"))  # type: ignore[return-value]


def test_the_dashboard_is_created_once_then_updated_and_a_ticked_box_is_carried_out_once(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    space = host(fake_github, tmp_path)
    summary = run(space, fake_github, NOW).summary
    [board] = dashboards(fake_github)
    assert f"\nThe dashboard: {fake_github.url}/{ORG}/video/issues/{board.number}\n" in summary
    first = board.body or ""
    assert first.splitlines()[0] == "<!-- forkflow:dashboard network=hosted -->"
    assert board.title == "forkflow dashboard: hosted" and board.user.login == "robot"
    beta_head = space.repo.resolve("refs/forkflow/nodes/beta")
    assert beta_head is not None
    force = f"sync-force:beta:{beta_head[:12]}"
    held = boxes(first)
    assert held[force] == " " and len([i for i in held if i.startswith("propose:")]) == 5
    assert "sync central -> beta by force: reset to central's head" in first
    assert "- `beta`: " in first  # a node needing attention: commits on the central tier
    assert "**Unmet needs: " in first and "(the first scan recorded)" in first
    assert central_pulls(fake_github) == []  # every proposal is held for a person

    run(space, fake_github, NOW + timedelta(hours=1))
    [again] = dashboards(fake_github)
    assert again.number == board.number and again.body != first  # the same issue, a new body
    assert "unchanged since the previous scan" in (again.body or "") and boxes(again.body or "") == held

    propose = next(i for i in held if i.startswith("propose:"))
    body = tick(fake_github, board.number, force, propose, extra="\n- [x] typed by hand, not a box of forkflow's\n")
    event = {"action": "edited", "issue": {"number": board.number, "body": body}}
    result = run(space, fake_github, NOW + timedelta(hours=2), "issues", event)
    assert result.outputs["proposals-opened"] == "1" and len(central_pulls(fake_github)) == 1
    central_head = fake_github.branch_sha(ORG, "video", "main")
    assert fake_github.branch_sha(owner_of("beta"), "video", "main") == central_head  # reset by force
    backup = subprocess.run(
        [
            "git",
            "--git-dir",
            str(fake_github.repo_path(owner_of("beta"), "video")),
            "rev-parse",
            f"refs/forkflow/backup/beta/{beta_head[:12]}",
        ],
        check=True,
        capture_output=True,
        text=True,
        env=git_env(),
    ).stdout.strip()
    assert backup == beta_head  # its commits kept
    [done] = dashboards(fake_github)
    text = done.body or ""
    assert done.number == board.number and "## Done this run" in text
    assert (
        f"(`{force}`)" in text and f"(`{propose}`)" in text and force not in boxes(text) and propose not in boxes(text)
    )

    # the box ticked again by hand, and one for an action never planned: reported, neither carried out
    body = tick(
        fake_github,
        board.number,
        extra=f"\n- [x] <!-- forkflow:action {force} -->\n- [x] <!-- forkflow:action propose:nothing -->\n",
    )
    run(
        space,
        fake_github,
        NOW + timedelta(hours=3),
        "issues",
        {"action": "edited", "issue": {"number": board.number, "body": body}},
    )
    [last] = dashboards(fake_github)
    text = last.body or ""
    assert f"`{force}` is ticked, but it was carried out at 2026-01-01T02:00:00+00:00: not again" in text
    assert "`propose:nothing` is ticked, but the plan holds no such action now: nothing done" in text
    assert "## Done this run" not in text and len(central_pulls(fake_github)) == 1
    assert fake_github.branch_sha(owner_of("beta"), "video", "main") == central_head
    assert len(dashboards(fake_github)) == 1

    # on a runner whose store is new each run: the plan holds neither action any more, so neither is done again
    assert space.repo.workdir is not None
    fresh = open_workspace(space.repo.workdir, store=str(tmp_path / "fresh.sqlite"))
    body = tick(
        fake_github,
        board.number,
        extra=f"\n- [x] <!-- forkflow:action {force} -->\n- [x] <!-- forkflow:action {propose} -->\n",
    )
    run(fresh, fake_github, NOW + timedelta(hours=4))
    text = fake_github.issue(ORG, "video", board.number).body or ""
    for action_id in (force, propose):
        assert f"`{action_id}` is ticked, but the plan holds no such action now: nothing done" in text
    assert len(central_pulls(fake_github)) == 1 and "## Done this run" not in text


def test_an_issues_event_that_ticks_nothing_runs_nothing(fake_github: FakeGitHub, tmp_path: Path) -> None:
    space = host(fake_github, tmp_path)
    run(space, fake_github, NOW)
    [board] = dashboards(fake_github)
    before = list(fake_github.requests)
    opened = {"action": "opened", "issue": {"number": 99, "body": "hello"}}
    assert run(space, fake_github, NOW, "issues", opened).summary == (
        "Nothing to do: the issues event is 'opened', and only an edit of the dashboard ticks a box.\n"
    )
    edited = {"action": "edited", "issue": {"number": board.number, "body": board.body}}
    assert run(space, fake_github, NOW, "issues", edited).summary == (
        f"Nothing to do: no box is ticked on the dashboard #{board.number}.\n"
    )
    other = {"action": "edited", "issue": {"number": 7, "body": "- [x] <!-- forkflow:action propose:x -->"}}
    assert run(space, fake_github, NOW, "issues", other).summary == (
        "Nothing to do: issue #7 is not the dashboard of network 'hosted'.\n"
    )
    assert fake_github.requests == before  # nothing asked of GitHub


def test_a_second_dashboard_from_a_racing_run_is_closed_and_a_closed_one_reopened(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    space = host(fake_github, tmp_path)
    run(space, fake_github, NOW)
    [board] = dashboards(fake_github)
    robot = fake_github.github(TOKEN).repository(ORG, "video")
    twin = robot.create_issue(board.title, body=board.body, labels=["forkflow:dashboard"])  # what a racing run made
    robot.issue(board.number).edit(state="closed", labels=[])  # and someone closed the first, and took its label
    run(space, fake_github, NOW + timedelta(hours=1))
    issues = fake_github.state.issues_of(fake_github.repo(ORG, "video"))
    assert {issue.number: issue.state for issue in issues} == {board.number: "open", twin.number: "closed"}
    assert "at 2026-01-01T01:00:00+00:00" in (fake_github.issue(ORG, "video", board.number).body or "")  # the one kept
    assert "duplicate of the forkflow dashboard" in str(
        fake_github.state.comments_of(fake_github.repo(ORG, "video"), twin.number)[0].body
    )


def test_a_run_that_does_not_remember_the_dashboard_finds_it_on_github(fake_github: FakeGitHub, tmp_path: Path) -> None:
    space = host(fake_github, tmp_path)
    run(space, fake_github, NOW)
    [board] = dashboards(fake_github)
    assert space.repo.workdir is not None
    forgetful = open_workspace(space.repo.workdir, store=str(tmp_path / "new-store.sqlite"))  # as if stopped before
    run(forgetful, fake_github, NOW + timedelta(hours=1))
    [again] = dashboards(fake_github)
    assert again.number == board.number and "at 2026-01-01T01:00:00+00:00" in (again.body or "")


def test_a_dry_run_shows_the_dashboard_and_what_a_ticked_box_would_do_and_writes_nothing(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    space = host(fake_github, tmp_path)
    forge = GitHubForge(space.repo, space.manifest, GitHubClient(Credentials(token=TOKEN), fake_github.url))
    dry = run_bot(space, forge, "schedule", {}, credential=CREDENTIAL, committer=BOT, now=NOW, dry_run=True)
    assert "\n## Dashboard (dry run: not written)\n\n<!-- forkflow:dashboard network=hosted -->\n" in dry.summary
    assert dashboards(fake_github) == []
    run(space, fake_github, NOW)
    [board] = dashboards(fake_github)
    propose = next(i for i in boxes(board.body or "") if i.startswith("propose:"))
    tick(fake_github, board.number, propose)
    ticked = fake_github.issue(ORG, "video", board.number).body
    dry = run_bot(space, forge, "schedule", {}, credential=CREDENTIAL, committer=BOT, now=NOW, dry_run=True)
    assert f"- `{propose}` is ticked: a run that is not a dry run carries it out\n" in dry.summary
    assert boxes(dry.summary)[propose] == "x"
    assert fake_github.issue(ORG, "video", board.number).body == ticked and central_pulls(fake_github) == []
