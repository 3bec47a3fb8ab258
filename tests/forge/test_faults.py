"""The forge answers badly: a scheduled `forkflow bot --forge github` run, through the command line.

The fake GitHub (real HTTP, the real github3.py client, git served over HTTP by git itself)
answers one kind of call badly: listing a repository's pull requests, opening a pull request,
labelling it, pushing its branch.  It answers 401, 403, 404, 409, 422, 500, 502 or 503, too
slowly, or with a body that is not JSON or lacks fields.  Each fault is a problem for that one
item, named with its node, its step and its reason.  The run goes on: the other proposals are
opened, which the fake's own record shows, and the exit code is 1.  The next run, with the
fault gone, completes the work and opens nothing twice.  An exhausted rate limit stops the
run clearly instead.  The token appears in no output, summary or problem.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from forkflow.cli import main
from forkflow.workspace import Workspace
from tests.fakegithub.fixture import fake_github_fixture  # noqa: F401 (the fixture)
from tests.fakegithub.server import FakeGitHub
from tests.forge.test_github import ORG, TOKEN, host, owner_of

CENTRAL = f"{ORG}/video"
FORKS = ("alpha", "beta", "gamma", "delta")  # the decentralized nodes: each gets one sync pull request
SHARED = 5  # the shared changes proposed to central
TIMEOUT = 1.0  # FORKFLOW_GITHUB_TIMEOUT for these runs; a slow answer takes SLOW seconds
SLOW = 2.5
DOCS = "https://docs.github.com/rest"


@dataclass
class Run:
    """One `forkflow bot` run: its exit code, its output, the step summary and GITHUB_OUTPUT."""

    code: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]

    def errors(self) -> list[str]:
        return [line.removeprefix("error: ") for line in self.stderr.splitlines() if line.startswith("error: ")]

    def everything(self) -> str:
        return "\n".join([self.stdout, self.stderr, self.summary, json.dumps(self.outputs)])


def bot(space: Workspace, fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    number = len(list(tmp_path.glob("summary-*.md")))
    summary, output = tmp_path / f"summary-{number}.md", tmp_path / f"output-{number}.txt"
    for path in (summary, output):
        path.write_text("")
    for name, value in {
        "GITHUB_EVENT_NAME": "schedule",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_API_URL": fake.url,
        "GITHUB_TOKEN": TOKEN,
        "FORKFLOW_GITHUB_TIMEOUT": str(TIMEOUT),
        "SOURCE_DATE_EPOCH": "1767225600",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    result = CliRunner().invoke(main, ["bot", "--repo", str(space.repo.workdir), "--forge", "github"])
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return Run(result.exit_code, result.stdout, result.stderr, summary.read_text(), outputs)


def hosted(fake: FakeGitHub, tmp_path: Path) -> Workspace:
    space = host(fake, tmp_path)
    fake.serve_git_over_http()  # branches are pushed over HTTP, to the fake itself
    return space


def pulls_of(fake: FakeGitHub, full_name: str) -> list[Any]:
    return [pull for (repo, _), pull in sorted(fake.state.pulls.items()) if repo == full_name]


def counts(fake: FakeGitHub) -> dict[str, int]:
    """Pull requests per repository, and whether any branch has two open ones (a duplicate)."""
    found = {CENTRAL: len(pulls_of(fake, CENTRAL))}
    found.update({name: len(pulls_of(fake, f"{owner_of(name)}/video")) for name in FORKS})
    return found


def no_duplicates(fake: FakeGitHub) -> None:
    heads = Counter((pull.repo.full_name, pull.head_ref) for pull in fake.state.pulls.values() if pull.state == "open")
    assert [key for key, seen in heads.items() if seen > 1] == []


def requests_to(fake: FakeGitHub, method: str, path: str) -> list[int]:
    return [record.status for record in fake.requests if (record.method, record.path) == (method, path)]


def clean(run: Run) -> None:
    """Whatever happened, no token, and no traceback."""
    assert TOKEN not in run.everything()
    assert "Traceback" not in run.everything() and "unexpected error" not in run.stderr


COMPLETE = {CENTRAL: SHARED, **dict.fromkeys(FORKS, 1)}


def complete_run_follows(space: Workspace, fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the fault gone, a run completes the work: every proposal once, nothing twice."""
    again = bot(space, fake, tmp_path, monkeypatch)
    assert (again.code, again.errors()) == (0, []), again.stderr
    assert counts(fake) == COMPLETE
    no_duplicates(fake)
    clean(again)


# -- the faults, and the calls they hit ---------------------------------------------------------------------

Fault = Callable[[FakeGitHub, str, str], None]


def status(code: int, times: int = 1) -> Fault:
    def inject(fake: FakeGitHub, method: str, path: str) -> None:
        fake.fail_next(method, path, code, times=times)

    return inject


def slow(fake: FakeGitHub, method: str, path: str) -> None:
    times = 2 if method == "GET" else 1  # a GET that timed out is asked for once more; a POST is not
    fake.delay_next(method, path, SLOW, times=times)


def not_json(fake: FakeGitHub, method: str, path: str) -> None:
    page = b"<html><body>Unicorn! We are having trouble</body></html>"
    fake.malformed_next(method, path, page)


def fields_missing(fake: FakeGitHub, method: str, path: str) -> None:
    def spoil(body: Any) -> Any:
        if isinstance(body, list):
            return [{"number": 1, "title": "a pull request without its fields"}]
        return {key: value for key, value in body.items() if key not in ("number", "url", "head")}

    fake.malformed_next(method, path, spoil)


def echoes_token(fake: FakeGitHub, method: str, path: str) -> None:
    body = {"message": f"Bad credentials: {TOKEN} is not valid", "documentation_url": DOCS}
    fake.fail_next(method, path, 401, body=body)


LIST_DELTA = ("GET", rf"^/repos/{owner_of('delta')}/video/pulls$")
OPEN_IN_CENTRAL = ("POST", rf"^/repos/{CENTRAL}/pulls$")
LABEL_IN_CENTRAL = ("POST", rf"^/repos/{CENTRAL}/issues/\d+/labels$")


@pytest.mark.parametrize(
    "fault",
    [status(401), status(403), status(404), status(500), status(503, times=5), slow, not_json, fields_missing],
    ids=["401", "403", "404", "500", "503", "timeout", "not-json", "fields-missing"],
)
def test_a_repository_whose_pull_requests_cannot_be_listed_gets_nothing_opened_and_the_run_goes_on(
    fault: Fault, fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    space = hosted(fake_github, tmp_path)
    fault(fake_github, *LIST_DELTA)
    run = bot(space, fake_github, tmp_path, monkeypatch)
    assert run.code == 1, run.stderr
    listing = f"delta: list proposals: listing the pull requests of {owner_of('delta')}/video: "
    refused = "delta: sync: not opened: the pull requests of 'delta' could not be listed, so one may be open already"
    assert [problem[: len(listing)] == listing for problem in run.errors()] == [True, False]
    assert run.errors()[1] == refused
    assert "| delta | list proposals |" in run.summary and "## Problems" in run.summary
    # what forkflow cannot see, it does not open (it could be a duplicate); everything else it opens
    assert counts(fake_github) == {**COMPLETE, "delta": 0}
    assert run.outputs["proposals-opened"] == str(SHARED + 3)
    clean(run)
    complete_run_follows(space, fake_github, tmp_path, monkeypatch)


@pytest.mark.parametrize(
    "fault",
    [
        status(401),
        status(403),
        status(404),
        status(409),
        status(422),
        status(500),
        status(502),
        slow,
        not_json,
        fields_missing,
        echoes_token,
    ],
    ids=["401", "403", "404", "409", "422", "500", "502", "timeout", "not-json", "fields-missing", "echoed-token"],
)
def test_a_pull_request_github_will_not_open_is_a_problem_and_the_others_are_opened(
    fault: Fault, fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    space = hosted(fake_github, tmp_path)
    fault(fake_github, *OPEN_IN_CENTRAL)
    run = bot(space, fake_github, tmp_path, monkeypatch)
    assert run.code == 1, run.stderr
    [problem] = run.errors()
    assert problem.startswith("central: propose ") and f": opening a pull request in {CENTRAL}: " in problem
    change = problem.split()[2].rstrip(":")
    assert f"| central | propose {change} |" in run.summary
    # a timeout or a broken answer may come after GitHub did open it: then it is there, once
    carried_out = fault in (slow, not_json, fields_missing)
    if carried_out:
        deadline = time.monotonic() + SLOW + 5
        while len(pulls_of(fake_github, CENTRAL)) < SHARED and time.monotonic() < deadline:
            time.sleep(0.1)
    assert counts(fake_github) == {**COMPLETE, CENTRAL: SHARED if carried_out else SHARED - 1}
    assert run.outputs["proposals-opened"] == str(SHARED - 1 + len(FORKS))
    clean(run)
    complete_run_follows(space, fake_github, tmp_path, monkeypatch)


@pytest.mark.parametrize("code", [403, 422, 503])
def test_a_pull_request_that_cannot_be_labelled_is_opened_and_the_problem_says_so(
    code: int, fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    space = hosted(fake_github, tmp_path)
    status(code)(fake_github, *LABEL_IN_CENTRAL)
    run = bot(space, fake_github, tmp_path, monkeypatch)
    assert run.code == 1, run.stderr
    [problem] = run.errors()
    assert problem.startswith("central: propose ")
    unlabelled = [pull for pull in pulls_of(fake_github, CENTRAL) if "forkflow:bubble-up" not in pull.labels]
    assert len(unlabelled) == 1
    assert f": #{unlabelled[0].number} was opened in {CENTRAL}, but labelling the pull request: " in problem
    assert counts(fake_github) == COMPLETE
    clean(run)
    complete_run_follows(space, fake_github, tmp_path, monkeypatch)


def test_a_push_github_refuses_is_a_problem_for_that_proposal_and_no_pull_request_is_asked_for(
    fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    space = hosted(fake_github, tmp_path)
    central = fake_github.repo(ORG, "video").path
    fake_github.refuse_pushes(central, "refusing to allow a GitHub App to create or update workflow without workflows")
    run = bot(space, fake_github, tmp_path, monkeypatch)
    assert run.code == 1, run.stderr
    assert len(run.errors()) == SHARED
    for problem in run.errors():
        assert problem.startswith("central: propose ")
        assert "could not be pushed to example-u/video" in problem and "pre-receive hook declined" in problem
    assert requests_to(fake_github, "POST", f"/repos/{CENTRAL}/pulls") == []  # no pull request of a branch not there
    assert counts(fake_github) == {**COMPLETE, CENTRAL: 0}
    clean(run)
    fake_github.accept_pushes(central)
    complete_run_follows(space, fake_github, tmp_path, monkeypatch)


def test_a_token_that_may_not_push_to_one_fork_stops_only_that_node(
    fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    space = hosted(fake_github, tmp_path)
    fake_github.deny_pushes(f"{owner_of('delta')}/video")
    run = bot(space, fake_github, tmp_path, monkeypatch)
    assert run.code == 1, run.stderr
    [problem] = run.errors()
    assert problem.startswith("delta: sync: node 'delta': the branch forkflow/sync/")
    assert f"could not be pushed to {owner_of('delta')}/video: " in problem and "403" in problem
    assert counts(fake_github) == {**COMPLETE, "delta": 0}  # the proposals after it were made all the same
    clean(run)
    fake_github.push_denied.clear()
    complete_run_follows(space, fake_github, tmp_path, monkeypatch)


def test_a_secondary_rate_limit_is_waited_out_even_for_a_post(
    fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    space = hosted(fake_github, tmp_path)
    fake_github.fail_next(*OPEN_IN_CENTRAL, 429, headers={"Retry-After": "1"})
    run = bot(space, fake_github, tmp_path, monkeypatch)
    assert (run.code, run.errors()) == (0, [])
    assert requests_to(fake_github, "POST", f"/repos/{CENTRAL}/pulls")[:2] == [429, 201]
    assert counts(fake_github) == COMPLETE
    clean(run)


@pytest.mark.parametrize("where", ["opening", "listing"])
def test_an_exhausted_rate_limit_stops_the_run_with_a_clear_message(
    where: str, fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    space = hosted(fake_github, tmp_path)
    reset = int(time.time()) + 3600
    if where == "opening":  # GitHub's 429 with no request left and no Retry-After
        headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
        fake_github.fail_next(*OPEN_IN_CENTRAL, 429, headers=headers)
    else:  # its 403 for the primary rate limit
        fake_github.rate_limit(status=403, retry_after=3600, method="GET", path_regex=LIST_DELTA[1])
    run = bot(space, fake_github, tmp_path, monkeypatch)
    assert run.code == 1
    [message] = [line for line in run.stderr.splitlines() if line]
    assert message.startswith("error: ") and "GitHub's rate limit is exhausted until " in message
    assert message.endswith("; run again then")
    if where == "opening":  # it stopped at the first refusal: nothing more was asked for
        assert requests_to(fake_github, "POST", f"/repos/{CENTRAL}/pulls") == [429]
    clean(run)
    complete_run_follows(space, fake_github, tmp_path, monkeypatch)


# -- names and fields from the forge ------------------------------------------------------------------------


def edit_body(fake: FakeGitHub, number: int, edit: Callable[[str], str]) -> None:
    pull = fake.pull(ORG, "video", number)
    assert pull.body is not None
    pull.body = edit(pull.body)


def meta_of(body: str) -> dict[str, Any]:
    return dict(json.loads(body.rsplit("<!-- forkflow:meta ", 1)[1].removesuffix(" -->\n")))


def with_meta(body: str, **changes: Any) -> str:
    meta = {**meta_of(body), **changes}
    return body.rsplit("<!-- forkflow:meta ", 1)[0] + f"<!-- forkflow:meta {json.dumps(meta)} -->\n"


BROKEN_BLOCKS: dict[str, tuple[Callable[[str], str], str]] = {
    "not-json": (lambda body: body.replace('{"change_id"', "{change_id", 1), "is not valid JSON"),
    "unknown-node": (lambda body: with_meta(body, target="engineering"), "names the node 'engineering', which is not"),
    "wrong-types": (lambda body: with_meta(body, change_id=7, carriers="alpha"), "is not what forkflow writes"),
    "no-change": (lambda body: with_meta(body, change_id=None), "field 'change_id'"),
    "odd-name": (lambda body: with_meta(body, carriers=["alpha", "a b\n`c`"]), "is not a node name"),
    "not-a-sha": (lambda body: with_meta(body, base="HEAD~1"), "is not a commit id"),
    "unclosed": (lambda body: body.removesuffix(" -->\n"), "is not closed"),
}


@pytest.mark.parametrize("broken", list(BROKEN_BLOCKS))
def test_a_pull_request_whose_forkflow_block_is_broken_is_a_problem_and_nothing_is_duplicated(
    broken: str, fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    space = hosted(fake_github, tmp_path)
    first = bot(space, fake_github, tmp_path, monkeypatch)
    assert first.code == 0, first.stderr
    edit, why = BROKEN_BLOCKS[broken]
    victim = pulls_of(fake_github, CENTRAL)[0]
    head_before = fake_github.branch_sha(ORG, "video", victim.head_ref)
    edit_body(fake_github, victim.number, edit)
    run = bot(space, fake_github, tmp_path, monkeypatch)
    assert run.code == 1, run.stderr
    problems = run.errors()
    item = f"central: read pull request {CENTRAL}#{victim.number}: "
    assert any(problem.startswith(item) and why in problem for problem in problems), problems
    assert f"| central | read pull request {CENTRAL}#{victim.number} |" in run.summary
    # the change is not proposed again over the pull request forkflow cannot read, nor its branch pushed over
    assert any("not opened: pull request #" in problem and victim.head_ref in problem for problem in problems)
    assert len(pulls_of(fake_github, CENTRAL)) == SHARED
    assert fake_github.branch_sha(ORG, "video", victim.head_ref) == head_before
    no_duplicates(fake_github)
    clean(run)


def test_a_pull_request_without_a_forkflow_block_is_left_alone(
    fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A person's own pull request (no block) is not forkflow's: no problem, nothing changed."""
    space = hosted(fake_github, tmp_path)
    central = fake_github.repo(ORG, "video")
    central.git.fetch(fake_github.repo_path(owner_of("alpha"), "video"), "refs/heads/main:refs/heads/by-hand")
    gh = fake_github.github(TOKEN)
    mine = gh.repository(ORG, "video").create_pull("By hand", "main", "by-hand", "<!-- a comment --> my own words")
    run = bot(space, fake_github, tmp_path, monkeypatch)
    assert (run.code, run.errors()) == (0, [])
    assert fake_github.pull(ORG, "video", mine.number).body == "<!-- a comment --> my own words"
    assert counts(fake_github) == {**COMPLETE, CENTRAL: SHARED + 1}


def test_a_pull_request_event_whose_check_cannot_be_set_still_gets_its_carriers_comment(
    fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    space = hosted(fake_github, tmp_path)
    assert bot(space, fake_github, tmp_path, monkeypatch).code == 0
    pull = next(p for p in pulls_of(fake_github, CENTRAL) if p.title == "Reject empty uploads")
    base = space.repo.resolve("refs/forkflow/nodes/central")
    event = {
        "pull_request": {
            "number": pull.number,
            "head": {"sha": pull.head_sha, "ref": pull.head_ref},
            "base": {"sha": base},
        },
        "repository": {"full_name": CENTRAL},
    }
    (tmp_path / "event.json").write_text(json.dumps(event))
    fake_github.fail_next("POST", rf"^/repos/{CENTRAL}/statuses/", 500)  # a user token gets a status, not a check run
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    result = CliRunner().invoke(
        main,
        ["bot", "--repo", str(space.repo.workdir), "--forge", "github"],
        env={"GITHUB_EVENT_PATH": str(tmp_path / "event.json")},
    )
    assert result.exit_code == 1, result.output
    [error] = result.stderr.splitlines()
    assert error.startswith(f"error: central: check #{pull.number}: setting the commit status: 500 ")
    comments = [c.body for c in fake_github.state.comments.values() if c.number == pull.number]
    assert len(comments) == 1 and comments[0].startswith("**Carried by 3 node(s):**\n\n- `alpha`\n- `beta`\n- `gamma`")
    assert TOKEN not in result.output
