"""Security fixes on GitHub, end to end: the real github3.py client over real HTTP against the fake
GitHub (every response checked against GitHub's description): backports labelled, refreshed and
closed; a conflicting fix as an issue for a person; advisories read from the repository's
security-advisories endpoint."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from forkflow.bot import run_bot
from forkflow.credential import Credential
from forkflow.forge import SECURITY_LABEL
from forkflow.forge.github import Credentials, GitHubClient, GitHubForge
from forkflow.gitrepo import Person
from forkflow.network.fetch import apply_fetch, plan_fetch
from forkflow.workspace import Workspace, open_workspace
from tests.fakegithub.fixture import fake_github_fixture  # noqa: F401 (the fixture)
from tests.fakegithub.server import FakeGitHub
from tests.gitcli import Git, git_env
from tests.security.test_coverage import FIXED, SESSION

TOKEN = "ghp_forkflowsecuritytoken0123456789"
CREDENTIAL = Credential(token=TOKEN, hosts=frozenset({"github.com"}))
ORG = "lgu"
NOW = datetime(2026, 3, 1, tzinfo=UTC)
BOT = Person("forkflow", "forkflow@example.edu")
SLIM = "def cookie(user):\n    return {'session': user.gateway_token}\n\n\ndef expire(days):\n    return days * 86400\n"


class Hosted:
    """Central in the org with a marked fix; ``alpha`` (decentralized) and ``beta`` (developer, its
    session code rewritten, so the fix conflicts) forks that lack it."""

    def __init__(self, fake: FakeGitHub, tmp_path: Path, trailer: str = "Forkflow-Security: CVE-2026-0001"):
        self.fake = fake
        src = Git.init(tmp_path / "src")
        src.commit("Product", {"app/session.py": SESSION, "README.md": "# product\n"})
        self.base = src.head()
        src.checkout("-b", "beta")
        src.commit("Slim sessions: tokens come from the gateway", {"app/session.py": SLIM})
        src.checkout("main")
        self.fix = src.commit(
            f"Session cookies: random tokens, secure and httponly\n\n{trailer}", {"app/session.py": FIXED}
        )
        fake.add_user("robot", TOKEN)
        fake.add_org(ORG)
        central = fake.add_repo(ORG, "portal", source_path=src.path)
        self.forks = {}
        lines = [
            '[network]\nname = "lgu"\n',
            f'[[node]]\nname = "central"\nurl = "file://{central.path}"\nbranch = "main"\n',
        ]
        for name, tier, head in (("alpha", "decentralized", self.base), ("beta", "developer", src.head("beta"))):
            fork = fake.add_repo(f"{name}-u", "portal", fork_of=central)
            subprocess.run(
                ["git", "--git-dir", str(fork.path), "update-ref", "refs/heads/main", head], check=True, env=git_env()
            )
            self.forks[name] = fork
            lines.append(
                f'[[node]]\nname = "{name}"\nparent = "central"\ntier = "{tier}"\nurl = "file://{fork.path}"\n'
                f'branch = "main"\nowners = ["@{name}-u"]\n'
            )
        self.work = Git.init(tmp_path / "work")
        (self.work.path / "forkflow.toml").write_text("\n".join(lines))
        self.src = src

    def space(self) -> Workspace:
        space = open_workspace(self.work.path)
        assert all(r.ok for r in apply_fetch(space.repo, plan_fetch(space.network), credential=CREDENTIAL))
        return space

    def run(self) -> tuple[Workspace, GitHubForge]:
        space = self.space()
        forge = GitHubForge(space.repo, space.manifest, GitHubClient(Credentials(token=TOKEN), self.fake.url))
        result = run_bot(space, forge, "schedule", {}, credential=CREDENTIAL, committer=BOT, now=NOW)
        assert not [p for p in result.problems if p.step.startswith("security")], result.problems
        return space, forge

    def security_pulls(self, node: str) -> list[object]:
        full = self.forks[node].full_name
        return [
            pull
            for (repo, _), pull in sorted(self.fake.state.pulls.items(), key=lambda item: item[0])
            if repo == full and SECURITY_LABEL in pull.labels  # type: ignore[attr-defined]
        ]

    def security_issues(self, node: str) -> list[object]:
        """The standalone issues (not pull requests) of the node's repository with the security label."""
        found = self.fake.state.issues
        full = self.forks[node].full_name
        return [issue for (repo, _), issue in sorted(found.items(), key=lambda item: item[0]) if repo == full]

    def at(self, node: str, revision: str) -> str:
        """What ``revision`` names in the node's repository on the fake."""
        return str(self.forks[node].git.git("rev-parse", revision)).strip()

    def push(self, node: str, commit: str) -> None:
        """The node's owner moves its branch (a push to the fork)."""
        self.src("push", "-q", "--force", str(self.forks[node].path), f"{commit}:refs/heads/main")


@pytest.fixture
def hosted(fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Hosted:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1772323200")
    return Hosted(fake_github, tmp_path)


def test_a_backport_pull_request_is_labelled_refreshed_and_closed_on_github(hosted: Hosted) -> None:
    hosted.run()
    [pull] = hosted.security_pulls("alpha")
    assert pull.title.startswith("[security] CVE-2026-0001: Session cookies")  # type: ignore[attr-defined]
    assert pull.head_ref == "forkflow/security/cve-2026-0001" and pull.state == "open"  # type: ignore[attr-defined]
    # the branch on the fork is git cherry-pick of the fix onto alpha's head: only the fix
    branch = "refs/heads/forkflow/security/cve-2026-0001"
    assert hosted.at("alpha", f"{branch}^") == hosted.base
    assert hosted.at("alpha", f"{branch}^{{tree}}") == hosted.src("rev-parse", f"{hosted.fix}^{{tree}}").strip()
    number = pull.number  # type: ignore[attr-defined]
    hosted.run()
    assert [p.number for p in hosted.security_pulls("alpha")] == [number]  # type: ignore[attr-defined]  # never twice
    # alpha moves on: the same pull request, rebuilt on its new head
    hosted.src.checkout("-b", "alpha", hosted.base)
    moved = hosted.src.commit("Alpha's own page", {"alpha.md": "ours\n"})
    hosted.push("alpha", moved)
    hosted.run()
    [pull] = hosted.security_pulls("alpha")
    assert pull.number == number  # type: ignore[attr-defined]
    assert hosted.at("alpha", f"{branch}^") == moved
    # alpha takes the fix another way (a cherry-pick of its own): the backport is closed
    picked = hosted.src.cherry_pick(hosted.fix)
    hosted.push("alpha", picked)
    hosted.run()
    [pull] = hosted.security_pulls("alpha")
    assert pull.state == "closed"  # type: ignore[attr-defined]


def test_a_fix_that_conflicts_is_an_issue_for_a_person_refreshed_and_closed(hosted: Hosted) -> None:
    hosted.run()
    assert hosted.security_pulls("beta") == []  # a pull request needs a branch, and no cherry-pick applies
    [issue] = hosted.security_issues("beta")
    assert issue.title.startswith("[security] CVE-2026-0001: ") and issue.state == "open"  # type: ignore[attr-defined]
    body = issue.body  # type: ignore[attr-defined]
    assert "does not apply cleanly" in body and "`app/session.py`" in body
    assert f"git cherry-pick -x {hosted.fix[:12]}" in body
    hosted.run()
    assert [i.number for i in hosted.security_issues("beta")] == [issue.number]  # type: ignore[attr-defined]
    # beta's owner finishes it by hand (the fix typed into their own code) and pushes: the issue is closed
    hosted.src.checkout("beta")
    hosted.src("merge", "-q", "--no-commit", "main", check=False)
    hosted.src.write({"app/session.py": FIXED})
    hosted.src("add", "-A")
    hosted.src("commit", "-q", "-m", "Merge central's session fix")
    hosted.push("beta", hosted.src.head())
    hosted.run()
    [issue] = hosted.security_issues("beta")
    assert issue.state == "closed"  # type: ignore[attr-defined]


GHSA = "GHSA-7q9x-2m5c-hw3f"
FEB_1_2026 = 1769904000


def test_advisories_from_githubs_endpoint_are_fixes(fake_github: FakeGitHub, tmp_path: Path) -> None:
    """Central publishes an advisory and names it in the fix's message (no trailer): the bot reads the
    advisory from GitHub's security-advisories endpoint, finds its commit, and backports it."""
    hosted = Hosted(fake_github, tmp_path, trailer=f"Fixes {GHSA} (reported by the campus CERT).")
    fake_github.add_advisory(
        ORG,
        "portal",
        ghsa_id=GHSA,
        cve_id="CVE-2026-0002",
        summary="Predictable session tokens",
        published_at=FEB_1_2026,
    )
    fake_github.add_advisory(ORG, "portal", ghsa_id="GHSA-2c4f-9v8p-xq3m", summary="Not a hole", state="withdrawn")
    fake_github.add_advisory(ORG, "portal", ghsa_id="GHSA-9x2q-c4f8-mp7v", summary="Draft", state="draft")
    fake_github.add_advisory(ORG, "portal", ghsa_id="GHSA-m3p7-q9c2-xv4f", summary="Fixed nowhere in central")
    space, forge = hosted.run()
    [pull] = hosted.security_pulls("alpha")
    assert pull.title.startswith(f"[security] {GHSA}: Predictable session tokens")  # type: ignore[attr-defined]
    assert "published: 2026-02-01 (28 day(s) ago)" in pull.body  # type: ignore[attr-defined]  # the advisory's date
    [issue] = hosted.security_issues("beta")
    assert GHSA in issue.title  # type: ignore[attr-defined]
    from forkflow.security.coverage import network_security

    found = network_security(space.repo, space.network, space.policy, NOW, advisories=forge.advisories("central"))
    assert found is not None
    assert [(f.id, f.source, f.commits) for f in found.fixes] == [(GHSA, "advisory", [hosted.fix])]
    assert found.unlocated == ["GHSA-m3p7-q9c2-xv4f"]  # published, but no commit of central names it


def test_a_pull_request_that_leaves_its_node_past_a_deadline_fails_its_check(hosted: Hosted) -> None:
    """Past the deadline, a pull request to a node that still lacks the fix fails the policy check,
    and says why; the backport's own pull request, which brings the fix, passes."""
    space, forge = hosted.run()
    [backport] = hosted.security_pulls("alpha")
    hosted.src.checkout("-b", "feature", hosted.base)
    feature = hosted.src.commit("Alpha's own feature", {"feature.md": "new\n"})
    hosted.src("push", "-q", str(hosted.forks["alpha"].path), "feature:refs/heads/feature")
    opened = hosted.fake.github(TOKEN).repository("alpha-u", "portal").create_pull("A feature", "main", "feature", "")
    branch = "refs/heads/forkflow/security/cve-2026-0001"
    Git(space.repo.workdir)("fetch", "-q", str(hosted.forks["alpha"].path), "feature", branch)  # type: ignore[arg-type]
    late = datetime(2026, 6, 1, tzinfo=UTC)  # well past the decentralized tier's 14 days
    summaries = {}
    for number, head in ((opened.number, feature), (backport.number, hosted.at("alpha", branch))):  # type: ignore[attr-defined]
        event = {
            "pull_request": {
                "number": number,
                "head": {"sha": head, "ref": "x"},
                "base": {"sha": hosted.base, "ref": "main"},
            },
            "repository": {"full_name": "alpha-u/portal"},
        }
        result = run_bot(space, forge, "pull_request", event, credential=CREDENTIAL, committer=BOT, now=late)
        checks = [s for s in hosted.fake.state.statuses if s.sha == head]  # type: ignore[attr-defined]
        summaries[number] = (result.violations, checks[-1].state, result.summary)  # type: ignore[attr-defined]
    violations, state, summary = summaries[opened.number]
    assert (violations, state) == (1, "failure")
    assert "1 security fix(es) missing past the deadline" in summary and "lacks security fix CVE-2026-0001" in summary
    assert summaries[backport.number][:2] == (0, "success")  # type: ignore[attr-defined]
