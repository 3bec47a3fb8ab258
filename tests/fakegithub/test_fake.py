"""The fake GitHub itself, driven through the real github3.py client over real HTTP.

Every response the fake sends is checked against GitHub's OpenAPI description; the
`fake_github` fixture fails the test at teardown if any did not validate.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
import requests
from github3 import exceptions as gh_errors
from github3.models import GitHubCore

from tests.fakegithub import FakeGitHub, load_spec
from tests.fakegithub.fixture import fake_github_fixture  # noqa: F401  (the fixture)
from tests.fakegithub.schema import SPEC_PATH
from tests.gitcli import Clock, Git, git_env

ALICE, BOB, CAROL = "alice-token", "bob-token", "carol-token"


@pytest.fixture
def work(tmp_path: Path) -> Git:
    """The product's history: two commits on main, fixed dates."""
    repo = Git.init(tmp_path / "work", clock=Clock())
    repo.commit("Add the product", {"README.md": "product\n", "app.py": "print('v1')\n"})
    repo.commit("Document it", {"docs.md": "docs\n"})
    return repo


@pytest.fixture
def fake(fake_github: FakeGitHub, work: Git) -> FakeGitHub:
    """Users alice, bob and carol, the org acme and its repository acme/product."""
    fake_github.add_user("alice", ALICE, name="Alice", email="alice@example.edu")
    fake_github.add_user("bob", BOB)
    fake_github.add_user("carol", CAROL)
    fake_github.add_org("acme", members=("alice",))
    fake_github.add_repo("acme", "product", source_path=work.path, description="The product")
    return fake_github


def bare(fake: FakeGitHub, owner: str, name: str) -> Git:
    """A git handle on the fake's bare repository, to check with git what the API did."""
    return Git(fake.repo_path(owner, name))


def push_branch(fake: FakeGitHub, work: Git, owner: str, branch: str, files: dict[str, str], message: str) -> str:
    """Commit on a new branch of the working copy and push it to owner's product repository."""
    work.checkout("-B", branch, "main")
    sha = work.commit(message, files)
    work("push", "-q", str(fake.repo_path(owner, "product")), f"{branch}:refs/heads/{branch}")
    work.checkout("main")
    return sha


# -- the description and its validator ---------------------------------------------------------


def test_the_description_is_the_vendored_copy_and_nullable_means_or_null() -> None:
    spec = load_spec()
    document = json.loads(SPEC_PATH.read_text())
    assert len(document["paths"]) == 29
    assert "Copyright (c) 2020 Octokit contributors" in (SPEC_PATH.parent / "LICENSE-openapi").read_text()
    operation = spec.operation("get", "/repos/{owner}/{repo}/git/ref/{ref}")
    assert operation is not None
    target = {"type": "commit", "sha": "a" * 40, "url": "http://h/c"}
    ref = {"ref": "refs/heads/main", "node_id": "x", "url": "http://h/r", "object": target}
    assert spec.validate_response(operation, 200, json.dumps(ref).encode(), "application/json") == []
    problems = spec.validate_response(operation, 200, b'{"ref": 1}', "application/json")
    assert problems and any("required" in p for p in problems)
    # `nullable: true` (label.description) accepts null; a non-nullable string does not.
    labels = spec.operation("post", "/repos/{owner}/{repo}/issues/{issue_number}/labels")
    assert labels is not None
    label = {"id": 1, "node_id": "L", "url": "http://h/l", "name": "bug", "color": "fff", "default": False}
    with_null_description = json.dumps([{**label, "description": None}]).encode()
    assert spec.validate_response(labels, 200, with_null_description, "application/json") == []
    assert spec.validate_response(labels, 200, json.dumps([{**label, "name": None}]).encode(), "application/json")
    # Documented without a body: a body is a problem. Undocumented error statuses are not.
    delete = spec.operation("delete", "/repos/{owner}/{repo}/git/refs/{ref}")
    assert delete is not None
    assert spec.validate_response(delete, 204, b"", None) == []
    assert spec.validate_response(delete, 204, b"{}", "application/json")
    assert spec.validate_response(delete, 429, b'{"message": "slow down"}', "application/json") == []
    assert spec.validate_response(delete, 200, b"", None) == ["status 200 is not documented"]


def test_a_repository_advisory_has_exactly_githubs_properties() -> None:
    """repository-advisory is `additionalProperties: false`: a property too many fails, like one too few."""
    spec = load_spec()
    schema = json.loads(SPEC_PATH.read_text())["components"]["schemas"]["repository-advisory"]
    assert schema["additionalProperties"] is False and "private_fork" in schema["required"]
    operation = spec.operation("get", "/repos/{owner}/{repo}/security-advisories")
    assert operation is not None and not operation.extra
    user = {
        "login": "acme",
        "id": 1,
        "node_id": "U_1",
        "avatar_url": "http://h/a",
        "gravatar_id": "",
        "url": "http://h/u",
        "html_url": "http://h/acme",
        "followers_url": "http://h/f",
        "following_url": "http://h/f{/other_user}",
        "gists_url": "http://h/g{/gist_id}",
        "starred_url": "http://h/s{/owner}{/repo}",
        "subscriptions_url": "http://h/s",
        "organizations_url": "http://h/o",
        "repos_url": "http://h/r",
        "events_url": "http://h/e{/privacy}",
        "received_events_url": "http://h/r",
        "type": "Organization",
        "site_admin": False,
    }
    times = dict.fromkeys(("created_at", "updated_at", "published_at"), "2023-11-14T22:13:20Z")
    advisory = {
        "ghsa_id": "GHSA-aaaa-bbbb-cccc",
        "cve_id": None,
        "url": "http://h/advisory",
        "html_url": "http://h/advisory.html",
        "summary": "A hole",
        "description": None,
        "severity": "high",
        "author": user,
        "publisher": None,
        "identifiers": [{"type": "GHSA", "value": "GHSA-aaaa-bbbb-cccc"}],
        "state": "published",
        **times,
        "closed_at": None,
        "withdrawn_at": None,
        "submission": None,
        "vulnerabilities": [],
        "cvss": None,
        "cwes": None,
        "cwe_ids": None,
        "credits": None,
        "credits_detailed": None,
        "collaborating_users": None,
        "collaborating_teams": None,
        "private_fork": None,
    }

    def check(item: dict[str, object]) -> list[str]:
        return spec.validate_response(operation, 200, json.dumps([item]).encode(), "application/json")

    assert check(advisory) == []
    assert check({**advisory, "cvss_severities": None}) == []  # optional, but a property of the schema
    assert any("Additional properties" in problem for problem in check({**advisory, "score": 9.8}))
    assert any("'private_fork' is a required property" in p for p in check(dict(list(advisory.items())[:-1])))
    assert check({**advisory, "state": "gone"}) and check({**advisory, "severity": "extreme"})


def test_an_invalid_response_is_caught_and_turned_into_a_500(fake: FakeGitHub) -> None:
    gh = fake.github(ALICE)
    fake.corrupt_next(r"^/repos/acme/product$", lambda body: body.pop("full_name"))
    with pytest.raises(gh_errors.ServerError) as raised:
        gh.repository("acme", "product")
    assert raised.value.code == 500
    assert "does not match GitHub's OpenAPI description" in raised.value.msg
    assert len(fake.validation_errors) == 1
    assert "'full_name' is a required property" in fake.validation_errors[0]
    fake.corrupt_next(r"^/repos/acme/product$", lambda body: body.update(created_at="yesterday"))
    with pytest.raises(gh_errors.ServerError):
        gh.repository("acme", "product")
    assert "'yesterday' is not a 'date-time'" in fake.validation_errors[1]
    fake.validation_errors.clear()  # expected: the fixture would fail the test otherwise
    assert gh.repository("acme", "product").full_name == "acme/product"


# -- authentication ---------------------------------------------------------------------------


def test_credentials_are_checked(fake: FakeGitHub) -> None:
    with pytest.raises(gh_errors.AuthenticationFailed) as raised:
        fake.github("wrong-token").me()
    assert raised.value.msg == "Bad credentials"
    with pytest.raises(gh_errors.AuthenticationFailed):
        fake.github("wrong-token").repository("acme", "product")
    anonymous = requests.get(f"{fake.url}/repos/acme/product", timeout=5)
    assert anonymous.status_code == 401
    assert anonymous.json()["message"] == "Requires authentication"
    bearer = requests.get(f"{fake.url}/user", headers={"Authorization": f"Bearer {ALICE}"}, timeout=5)
    assert bearer.status_code == 200
    assert bearer.json()["login"] == "alice"
    me = fake.github(ALICE).me()
    assert (me.login, me.name, me.email) == ("alice", "Alice", "alice@example.edu")


def test_a_github_enterprise_client_finds_the_api_under_api_v3(fake: FakeGitHub) -> None:
    gh = fake.enterprise(BOB)
    assert gh.me().login == "bob"
    repo = gh.repository("acme", "product")
    assert repo.url == f"{fake.url}/api/v3/repos/acme/product"
    assert [branch.name for branch in repo.branches()] == ["main"]
    assert fake.requests[-1].path == "/repos/acme/product/branches"


# -- repositories, forks, pagination ----------------------------------------------------------


def test_a_repository_and_its_forks_over_several_pages(fake: FakeGitHub, work: Git) -> None:
    repo = fake.github(ALICE).repository("acme", "product")
    assert (repo.full_name, repo.description, repo.default_branch, repo.fork) == (
        "acme/product",
        "The product",
        "main",
        False,
    )
    assert repo.clone_url == fake.repo_path("acme", "product").as_uri()
    logins = ["alice", "bob", "carol", "dave", "erin"]
    for login in logins:
        if login in ("dave", "erin"):
            fake.add_user(login, f"{login}-token")
        fork = fake.github(f"{login}-token").repository("acme", "product").create_fork()
        assert (fork.full_name, fork.fork) == (f"{login}/product", True)
        assert fork.parent.full_name == fork.source.full_name == "acme/product"
        assert bare(fake, login, "product").head("main") == work.head("main")

    fake.options.max_per_page = 2
    before = len(fake.requests)
    forks = [fork.full_name for fork in repo.forks()]
    assert forks == [f"{login}/product" for login in reversed(logins)]  # newest first
    pages = [record.query for record in fake.requests[before:]]
    assert len(pages) == 3 and pages[1:] == ["per_page=100&page=2", "per_page=100&page=3"]
    assert [f.full_name for f in repo.forks(sort="oldest")][:2] == ["alice/product", "bob/product"]

    page2 = requests.get(
        f"{fake.url}/repos/acme/product/forks?per_page=2&page=2",
        headers={"Authorization": f"token {ALICE}"},
        timeout=5,
    )
    assert [fork["owner"]["login"] for fork in page2.json()] == ["carol", "bob"]
    assert set(page2.links) == {"next", "last", "first", "prev"}
    assert page2.links["last"]["url"] == f"{fake.url}/repos/acme/product/forks?per_page=2&page=3"
    # Forking again gives the existing fork.
    assert fake.github(BOB).repository("acme", "product").create_fork().full_name == "bob/product"
    assert len(fake.repo("acme", "product").forks) == 5


def test_an_organization_and_its_repositories(fake: FakeGitHub) -> None:
    gh = fake.github(ALICE)
    org = gh.organization("acme")
    assert org.login == "acme"
    made = org.create_repository("tooling", description="Tools", auto_init=True)
    assert made.full_name == "acme/tooling"
    assert bare(fake, "acme", "tooling")("log", "--format=%s", "main").strip() == "Initial commit"
    fake.add_repo("acme", "product-fork", fork_of="acme/product")
    assert [r.name for r in org.repositories()] == ["product-fork", "tooling", "product"]
    assert [r.name for r in org.repositories(type="forks")] == ["product-fork"]
    with pytest.raises(gh_errors.NotFoundError):
        gh.organization("nobody")


def test_repository_settings_templates_and_privacy(fake: FakeGitHub, work: Git) -> None:
    gh = fake.github(ALICE)
    repo = gh.repository("acme", "product")
    push_branch(fake, work, "acme", "stable", {"stable.txt": "1\n"}, "Stable")
    assert repo.edit("product", description="Renamed nothing", default_branch="stable", homepage="")
    again = gh.repository("acme", "product")
    assert (again.description, again.default_branch, again.homepage) == ("Renamed nothing", "stable", None)
    assert bare(fake, "acme", "product")("symbolic-ref", "HEAD").strip() == "refs/heads/stable"
    with pytest.raises(gh_errors.UnprocessableEntity):
        repo.edit("product", default_branch="nowhere")

    fake.repo("acme", "product").is_template = True
    made = gh.session.post(f"{repo.url}/generate", json={"owner": "alice", "name": "mine", "private": True})
    assert made.status_code == 201 and made.json()["full_name"] == "alice/mine"
    git = bare(fake, "alice", "mine")
    assert git("log", "--format=%s", "stable").splitlines() == ["Initial commit"]
    assert git("rev-parse", "stable^{tree}") == bare(fake, "acme", "product")("rev-parse", "stable^{tree}")
    assert gh.repository("alice", "mine").private
    with pytest.raises(gh_errors.NotFoundError):
        fake.github(BOB).repository("alice", "mine")  # private: not there for others


def test_unknown_repositories_are_404(fake: FakeGitHub) -> None:
    gh = fake.github(ALICE)
    with pytest.raises(gh_errors.NotFoundError) as raised:
        gh.repository("acme", "nothing")
    assert raised.value.msg == "Not Found"
    with pytest.raises(gh_errors.NotFoundError):
        gh.repository("acme", "product").pull_request(99)
    with pytest.raises(gh_errors.NotFoundError):
        gh.repository("acme", "product").branch("nothing")
    assert requests.get(f"{fake.url}/no/such/endpoint", timeout=5).status_code == 404


# -- refs, branches, commits ------------------------------------------------------------------


def test_refs_are_created_updated_and_deleted_in_the_bare_repository(fake: FakeGitHub, work: Git) -> None:
    repo = fake.github(ALICE).repository("acme", "product")
    first, second = work("rev-list", "--reverse", "main").split()
    ref = repo.create_ref("refs/heads/release", first)
    assert (ref.ref, ref.object.sha) == ("refs/heads/release", first)
    assert fake.branch_sha("acme", "product", "release") == first
    with pytest.raises(gh_errors.UnprocessableEntity) as raised:
        repo.create_ref("refs/heads/release", first)
    assert raised.value.msg == "Reference already exists"
    with pytest.raises(gh_errors.UnprocessableEntity):
        repo.create_ref("refs/heads/ghost", "0123456789abcdef0123456789abcdef01234567")

    assert ref.update(second)  # fast-forward
    assert fake.branch_sha("acme", "product", "release") == second
    with pytest.raises(gh_errors.UnprocessableEntity) as raised:
        ref.update(first)
    assert raised.value.msg == "Update is not a fast forward"
    assert ref.update(first, force=True)
    assert bare(fake, "acme", "product").head("release") == first

    assert repo.ref("heads/release").object.sha == first
    assert sorted(r.ref for r in repo.refs("heads")) == ["refs/heads/main", "refs/heads/release"]
    assert sorted(b.name for b in repo.branches()) == ["main", "release"]
    assert repo.branch("release").commit.sha == first
    assert ref.delete()
    assert fake.branch_sha("acme", "product", "release") is None
    with pytest.raises(gh_errors.NotFoundError):
        repo.ref("heads/release")


def test_commits_and_comparisons_come_from_git(fake: FakeGitHub, work: Git) -> None:
    fake.add_user("writer", email="author@example.edu")  # tests.gitcli's author
    repo = fake.github(ALICE).repository("acme", "product")
    commit = repo.commit("main")
    data = commit.as_dict()
    assert commit.sha == work.head("main")
    assert data["commit"]["message"] == "Document it"
    assert data["commit"]["committer"] == {
        "name": "Test Committer",
        "email": "committer@example.edu",
        "date": "2023-11-15T04:13:20Z",
    }
    assert (data["author"]["login"], data["committer"]) == ("writer", None)
    assert [f["filename"] for f in commit.files] == ["docs.md"]
    assert (commit.additions, commit.deletions) == (1, 0)
    fake.add_repo("alice", "product", fork_of="acme/product")
    push_branch(fake, work, "alice", "feature", {"feature.txt": "1\n"}, "Add feature")
    pushed = push_branch(fake, work, "alice", "feature2", {"feature.txt": "2\n"}, "Other feature")
    comparison = repo.compare_commits("main", "alice:feature2")
    assert (comparison.status, comparison.ahead_by, comparison.behind_by) == ("ahead", 1, 0)
    assert [c.sha for c in comparison.commits()] == [pushed]
    assert comparison.files[0]["filename"] == "feature.txt"
    back = repo.compare_commits("alice:feature2", "main")
    assert (back.status, back.ahead_by, back.behind_by) == ("behind", 0, 1)
    with pytest.raises(gh_errors.UnprocessableEntity):
        repo.commit("no-such-ref")


# -- pull requests ----------------------------------------------------------------------------


def test_a_pull_request_from_a_fork_through_its_whole_life(fake: FakeGitHub, work: Git) -> None:
    gh = fake.github(ALICE)
    upstream = gh.repository("acme", "product")
    gh.repository("acme", "product").create_fork()
    feature = push_branch(fake, work, "alice", "feature", {"feature.txt": "new\n"}, "Add the feature")

    pull = upstream.create_pull("Add the feature", "main", "alice:feature", body="Please merge")
    assert (pull.number, pull.state, pull.head.sha, pull.head.label) == (1, "open", feature, "alice:feature")
    assert pull.base.ref == "main" and pull.head.repository.full_name == "alice/product"
    assert bare(fake, "acme", "product").head("refs/pull/1/head") == feature
    with pytest.raises(gh_errors.UnprocessableEntity) as raised:
        upstream.create_pull("Again", "main", "alice:feature")
    assert raised.value.errors[0]["message"] == "A pull request already exists for alice:feature."
    with pytest.raises(gh_errors.UnprocessableEntity):
        upstream.create_pull("Nothing", "main", "main")  # no commits between main and main
    with pytest.raises(gh_errors.UnprocessableEntity):
        upstream.create_pull("Bad base", "nowhere", "alice:feature")

    full = upstream.pull_request(1)
    assert (full.mergeable, full.commits_count, full.additions_count, full.changed_files) == (True, 1, 1, 1)
    assert [p.number for p in upstream.pull_requests(state="open", head="alice:feature", base="main")] == [1]
    assert list(upstream.pull_requests(head="bob:feature")) == []
    assert list(upstream.pull_requests(state="closed")) == []

    # The issue side: comments and labels.
    comment = full.create_comment("Looks good")
    assert comment.edit("Looks very good")
    assert [c.body for c in full.issue().comments()] == ["Looks very good"]
    labels = full.issue().add_labels("forkflow", "shared")
    assert sorted(label.name for label in labels) == ["forkflow", "shared"]
    assert sorted(fake.state.labels["acme/product"]) == ["forkflow", "shared"]
    assert sorted(label.name for label in full.issue().labels()) == ["forkflow", "shared"]
    assert full.issue().edit(title="Add the feature (shared)")
    assert upstream.pull_request(1).title == "Add the feature (shared)"
    reviewed = full.create_review_requests(reviewers=["bob"])
    assert [user.login for user in reviewed.requested_reviewers] == ["bob"]

    # Statuses on the head commit; the pull request is updated, closed and reopened.
    status = upstream.create_status(feature, "success", context="forkflow/check", description="ok")
    assert (status.state, status.context) == ("success", "forkflow/check")
    assert [s.sha for s in fake.state.statuses] == [feature]
    assert full.update(body="Updated body")
    assert full.close() and upstream.pull_request(1).state == "closed"
    assert full.reopen() and upstream.pull_request(1).state == "open"

    # Merging makes a real merge commit in acme/product's bare repository.
    old_main = fake.branch_sha("acme", "product", "main")
    assert full.merge(commit_message="Merged by the test")
    merged = upstream.pull_request(1)
    assert (merged.state, merged.is_merged(), merged.merged_by.login) == ("closed", True, "alice")
    git = bare(fake, "acme", "product")
    assert git.head("main") == merged.merge_commit_sha
    assert git("rev-list", "--parents", "-n", "1", "main").split() == [merged.merge_commit_sha, old_main, feature]
    assert git("log", "-1", "--format=%B", "main").strip() == (
        "Merge pull request #1 from alice/feature\n\nMerged by the test"
    )
    assert git("show", "main:feature.txt") == "new\n"
    with pytest.raises(gh_errors.MethodNotAllowed):
        full.merge()
    assert fake.pull("acme", "product", 1).merged_at is not None


def test_conflicting_pull_requests_are_not_mergeable_and_squash_merges(fake: FakeGitHub, work: Git) -> None:
    repo = fake.github(ALICE).repository("acme", "product")
    one = push_branch(fake, work, "acme", "one", {"app.py": "print('one')\n"}, "One")
    push_branch(fake, work, "acme", "two", {"app.py": "print('two')\n"}, "Two")
    push_branch(fake, work, "acme", "three", {"other.txt": "3\n"}, "Three")
    first = repo.create_pull("One", "main", "one")
    second = repo.create_pull("Two", "main", "two")
    third = repo.create_pull("Three", "main", "three")
    assert first.merge(merge_method="merge", sha=one)
    assert repo.pull_request(second.number).mergeable is False
    with pytest.raises(gh_errors.MethodNotAllowed) as raised:
        second.merge()
    assert raised.value.msg == "Pull Request is not mergeable"
    with pytest.raises(gh_errors.Conflict):
        third.merge(sha="0" * 40)  # the head moved
    base = fake.branch_sha("acme", "product", "main")
    assert third.merge(merge_method="squash")
    git = bare(fake, "acme", "product")
    assert git("rev-list", "--parents", "-n", "1", "main").split()[1:] == [base]
    assert git("log", "-1", "--format=%s", "main").strip() == "Three (#3)"

    work.checkout("-B", "four", "main")
    work.commit("Four a", {"four.txt": "a\n"})
    work.commit("Four b", {"four.txt": "b\n"})
    work("push", "-q", str(fake.repo_path("acme", "product")), "four")
    base = fake.branch_sha("acme", "product", "main")
    assert repo.create_pull("Four", "main", "four").merge(merge_method="rebase")
    assert git("log", "--format=%s|%cn", f"{base}..main").splitlines() == ["Four b|GitHub", "Four a|GitHub"]
    assert git("show", "main:four.txt") == "b\n"
    assert ("PUT", "/repos/acme/product/pulls/4/merge", 200) in fake.requests


# -- issues -----------------------------------------------------------------------------------


def test_standalone_issues_are_numbered_with_pull_requests_and_listed_with_them(fake: FakeGitHub, work: Git) -> None:
    gh = fake.github(ALICE)
    repo = gh.repository("acme", "product")
    push_branch(fake, work, "acme", "feature", {"feature.txt": "f\n"}, "A feature")
    assert repo.create_pull("A feature", "main", "feature").number == 1
    issue = repo.create_issue("Crash on start", "It crashes", labels=["bug", "upstream"])
    assert (issue.number, issue.state, issue.pull_request_urls) == (2, "open", None)
    assert issue.html_url == f"{fake.url}/acme/product/issues/2"
    assert sorted(label.name for label in issue.original_labels) == ["bug", "upstream"]
    record = fake.issue("acme", "product", 2)
    assert (record.title, record.body, record.user.login, record.labels) == (
        "Crash on start",
        "It crashes",
        "alice",
        ["bug", "upstream"],
    )
    assert sorted(fake.state.labels["acme/product"]) == ["bug", "upstream"]
    with pytest.raises(KeyError):
        fake.issue("acme", "product", 1)  # a pull request's issue side is its Pull: fake.pull(...)
    push_branch(fake, work, "acme", "other", {"other.txt": "o\n"}, "Another feature")
    assert repo.create_pull("Another feature", "main", "other").number == 3
    with pytest.raises(gh_errors.UnprocessableEntity):
        repo.create_issue("")

    # The list has pull requests too (their issue side, with `pull_request`), newest first.
    listed = [(i.number, i.pull_request_urls is not None) for i in repo.issues(state="all")]
    assert listed == [(3, True), (2, False), (1, True)]
    assert repo.issue(1).pull_request_urls["url"] == f"{fake.url}/repos/acme/product/pulls/1"
    assert [i.number for i in repo.issues(state="all", labels="bug")] == [2]
    assert [i.number for i in repo.issues(state="all", labels="Bug,upstream")] == [2]  # all of them, any case
    assert list(repo.issues(state="all", labels="bug,wontfix")) == []
    assert [i.number for i in repo.issues(direction="asc")] == [1, 2, 3]
    fake.options.max_per_page = 2
    before = len(fake.requests)
    assert len(list(repo.issues(state="all"))) == 3
    assert [record.query for record in fake.requests[before:]] == [
        "state=all&per_page=100",
        "state=all&per_page=100&page=2",
    ]

    # Comments and labels as on a pull request's issue side.
    comment = issue.create_comment("Seen it too")
    assert comment.html_url == f"{fake.url}/acme/product/issues/2#issuecomment-{comment.id}"
    assert comment.edit("Seen it twice")
    assert [c.body for c in repo.issue(2).comments()] == ["Seen it twice"]
    assert sorted(label.name for label in issue.add_labels("confirmed")) == ["bug", "confirmed", "upstream"]
    assert sorted(label.name for label in repo.issue(2).labels()) == ["bug", "confirmed", "upstream"]

    # Edited, closed (by edit or close()), reopened.
    assert issue.edit(title="Crash on start-up", body="Every time", state="closed")
    closed = repo.issue(2)
    assert (closed.title, closed.body, closed.state, closed.closed_by.login) == (
        "Crash on start-up",
        "Every time",
        "closed",
        "alice",
    )
    assert closed.as_dict()["state_reason"] == "completed" and closed.closed_at is not None
    assert [i.number for i in repo.issues(state="closed")] == [2]
    assert [i.number for i in repo.issues()] == [3, 1]
    assert closed.reopen() and repo.issue(2).as_dict()["state_reason"] == "reopened"
    assert fake.issue("acme", "product", 2).closed_at is None
    assert fake.github(BOB).repository("acme", "product").issue(2).close()
    record = fake.issue("acme", "product", 2)
    assert (record.state, record.closed_by.login, record.labels) == ("closed", "bob", ["bug", "upstream", "confirmed"])
    assert issue.edit(labels=["wontfix"]) and fake.issue("acme", "product", 2).labels == ["wontfix"]
    assert gh.repository("acme", "product").open_issues_count == 2  # the two open pull requests
    with pytest.raises(gh_errors.NotFoundError):
        repo.issue(4)


# -- security advisories ----------------------------------------------------------------------


class RepositoryAdvisory(GitHubCore):
    """An item of GET /repos/{owner}/{repo}/security-advisories (github3.py has no class for it)."""

    def _update_attributes(self, advisory: dict[str, object]) -> None:
        self.ghsa_id = advisory["ghsa_id"]
        self.state = advisory["state"]
        self.identifiers = advisory["identifiers"]
        self.published_at = advisory["published_at"]
        self.withdrawn_at = advisory["withdrawn_at"]


def test_repository_security_advisories_are_paged_by_cursor(fake: FakeGitHub) -> None:
    a_month_ago = fake.state.clock.now - 30 * 86400
    fake.add_advisory("acme", "product", ghsa_id="GHSA-1111-1111-1111", summary="Old", published_at=a_month_ago)
    fake.add_advisory(
        "acme", "product", ghsa_id="GHSA-2222-2222-2222", summary="Has a CVE", cve_id="CVE-2024-0002", severity="low"
    )
    fake.add_advisory("acme", "product", ghsa_id="GHSA-3333-3333-3333", summary="Not yet", state="draft")
    withdrawn = fake.add_advisory("acme", "product", ghsa_id="GHSA-4444-4444-4444", summary="Oops", state="withdrawn")
    fake.add_advisory("acme", "product", ghsa_id="GHSA-5555-5555-5555", summary="Newest", severity=None)
    gh = fake.github(ALICE)  # a member of acme: sees the draft too
    url = gh._build_url("repos", "acme", "product", "security-advisories")

    def ids(**params: object) -> list[str]:
        return [a.ghsa_id for a in gh._iter(-1, url, RepositoryAdvisory, params=params)]

    before = len(fake.requests)
    published = list(gh._iter(-1, url, RepositoryAdvisory, params={"state": "published", "per_page": 2}))
    assert [a.ghsa_id for a in published] == ["GHSA-5555-5555-5555", "GHSA-2222-2222-2222", "GHSA-1111-1111-1111"]
    queries = [record.query for record in fake.requests[before:]]
    assert len(queries) == 2 and queries[0] == "state=published&per_page=2"
    assert queries[1].startswith("state=published&per_page=2&after=")
    assert {a.state for a in published} == {"published"}
    identifiers = {a.ghsa_id: a.identifiers for a in published}
    assert identifiers["GHSA-2222-2222-2222"] == [
        {"value": "GHSA-2222-2222-2222", "type": "GHSA"},
        {"value": "CVE-2024-0002", "type": "CVE"},
    ]
    assert identifiers["GHSA-1111-1111-1111"] == [{"value": "GHSA-1111-1111-1111", "type": "GHSA"}]
    assert ids(state="withdrawn") == ["GHSA-4444-4444-4444"]
    [gone] = gh._iter(-1, url, RepositoryAdvisory, params={"state": "withdrawn"})
    assert gone.withdrawn_at is not None and gone.published_at is not None
    assert withdrawn.withdrawn_at is not None
    assert len(ids()) == 5 and ids(state="draft") == ["GHSA-3333-3333-3333"]
    assert ids(sort="published", direction="asc", state="published")[0] == "GHSA-1111-1111-1111"
    assert ids(direction="asc")[:2] == ["GHSA-1111-1111-1111", "GHSA-2222-2222-2222"]  # created: the old one first

    # The Link header by hand: next (after=...) and prev (before=...); a cursor that names nothing is a 400.
    first = gh.session.get(url, params={"per_page": 2})
    assert [a["ghsa_id"] for a in first.json()] == ["GHSA-5555-5555-5555", "GHSA-4444-4444-4444"]
    assert set(first.links) == {"next"}
    second = gh.session.get(first.links["next"]["url"])
    assert [a["ghsa_id"] for a in second.json()] == ["GHSA-3333-3333-3333", "GHSA-2222-2222-2222"]
    assert set(second.links) == {"next", "prev"} and "after=" in second.links["next"]["url"]
    back = gh.session.get(second.links["prev"]["url"])
    assert [a["ghsa_id"] for a in back.json()] == ["GHSA-5555-5555-5555", "GHSA-4444-4444-4444"]
    last = gh.session.get(second.links["next"]["url"])
    assert [a["ghsa_id"] for a in last.json()] == ["GHSA-1111-1111-1111"] and "next" not in last.links
    assert gh.session.get(url, params={"after": "nonsense"}).status_code == 400
    assert gh.session.get(url, params={"state": "gone"}).status_code == 400

    # Others see only what is public; anonymous reads work where the fake allows them.
    assert "GHSA-3333-3333-3333" not in [a.ghsa_id for a in fake.github(BOB)._iter(-1, url, RepositoryAdvisory)]
    fake.options.allow_anonymous = True
    anonymous = requests.get(f"{fake.url}/repos/acme/product/security-advisories?state=draft", timeout=5)
    assert anonymous.status_code == 200 and anonymous.json() == []
    assert requests.get(f"{fake.url}/repos/acme/nothing/security-advisories", timeout=5).status_code == 404


# -- fork sync --------------------------------------------------------------------------------


def test_merge_upstream_fast_forwards_merges_or_conflicts(fake: FakeGitHub, work: Git) -> None:
    gh = fake.github(BOB)
    fork = gh.repository("acme", "product").create_fork()
    url = f"{fork.url}/merge-upstream"

    def sync() -> requests.Response:
        return gh.session.post(url, json={"branch": "main"})

    assert sync().json() == {
        "message": "This branch is not behind the upstream acme:main.",
        "merge_type": "none",
        "base_branch": "acme:main",
    }
    work.commit("Upstream moves", {"up.txt": "1\n"})
    work("push", "-q", str(fake.repo_path("acme", "product")), "main")
    synced = sync()
    assert synced.status_code == 200 and synced.json()["merge_type"] == "fast-forward"
    assert fake.branch_sha("bob", "product", "main") == work.head("main")

    # Diverged without conflict: GitHub merges (a switch makes it refuse instead).
    bob = Git(tmp := work.path.parent / "bob", clock=work.clock)
    work("clone", "-q", str(fake.repo_path("bob", "product")), str(tmp))
    bob.commit("Local change", {"local.txt": "bob\n"})
    bob("push", "-q", "origin", "main")
    work.commit("Upstream again", {"up.txt": "2\n"})
    work("push", "-q", str(fake.repo_path("acme", "product")), "main")
    fake.options.merge_upstream_merges = False
    refused = sync()
    assert refused.status_code == 409 and refused.content == b""  # documented without a body
    fake.options.merge_upstream_merges = True
    assert sync().json()["merge_type"] == "merge"
    parents = bare(fake, "bob", "product")("rev-list", "--parents", "-n", "1", "main").split()[1:]
    assert parents == [bob.head("main"), work.head("main")]

    # Diverged with a conflict: 409.
    bob("pull", "-q", "origin", "main")
    bob.commit("Bob edits the app", {"app.py": "print('bob')\n"})
    bob("push", "-q", "origin", "main")
    work.commit("Upstream edits the app", {"app.py": "print('acme')\n"})
    work("push", "-q", str(fake.repo_path("acme", "product")), "main")
    assert sync().status_code == 409
    not_a_fork = gh.session.post(f"{fake.url}/repos/acme/product/merge-upstream", json={"branch": "main"})
    assert not_a_fork.status_code == 422


# -- failures ---------------------------------------------------------------------------------


def test_rate_limits_look_like_githubs(fake: FakeGitHub) -> None:
    gh = fake.github(ALICE)
    fake.rate_limit(status=403, retry_after=30)
    with pytest.raises(gh_errors.ForbiddenError) as raised:
        gh.repository("acme", "product")
    headers = raised.value.response.headers
    assert headers["X-RateLimit-Remaining"] == "0"
    assert int(headers["X-RateLimit-Reset"]) >= int(time.time()) + 25
    assert headers["Retry-After"] == "30"
    assert "rate limit exceeded" in raised.value.msg
    fake.rate_limit(times=2, status=429, retry_after=1)
    for _ in range(2):
        with pytest.raises(gh_errors.ClientError) as raised:
            gh.repository("acme", "product")
        assert raised.value.code == 429
        assert raised.value.response.headers["Retry-After"] == "1"
    assert gh.repository("acme", "product").name == "product"
    assert [record.status for record in fake.requests[-4:]] == [403, 429, 429, 200]


def test_injected_failures_are_validated_where_documented(fake: FakeGitHub, work: Git) -> None:
    gh = fake.github(ALICE)
    repo = gh.repository("acme", "product")
    fake.fail_next("GET", r"^/repos/acme/product$", 404)
    with pytest.raises(gh_errors.NotFoundError):
        gh.repository("acme", "product")
    fake.fail_next("POST", r"/pulls$", 422, times=2)
    for _ in range(2):
        with pytest.raises(gh_errors.UnprocessableEntity):
            repo.create_pull("x", "main", "feature")
    fake.fail_next("*", r"/pulls/\d+$", 503)  # documented for GET pulls/{n}: a JSON object
    with pytest.raises(gh_errors.ServerError) as raised:
        repo.pull_request(1)
    assert raised.value.code == 503
    # A documented status with a body that does not match: caught like any response.
    fake.fail_next("GET", r"^/repos/acme/product$", 404, body={"message": 404})
    with pytest.raises(gh_errors.ServerError):
        gh.repository("acme", "product")
    assert fake.validation_errors == [
        "GET /repos/acme/product -> 404 [GET /repos/{owner}/{repo}]: at message: 404 is not of type 'string'"
    ]
    fake.validation_errors.clear()


# -- GitHub Apps ------------------------------------------------------------------------------


def _rsa_key_pair() -> tuple[bytes, bytes]:
    rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def test_an_app_gets_an_installation_token_with_its_jwt_and_runs_checks(fake: FakeGitHub, work: Git) -> None:
    private, public = _rsa_key_pair()
    fake.add_app(42, public, 7, "ghs_installation", slug="forkflow", account="acme")

    app_client = fake.github()
    app_client.login_as_app(private, "42")  # PyJWT 2.10+ wants a string `iss`
    assert app_client.authenticated_app().slug == "forkflow"
    assert app_client.app_installation_for_repository("acme", "product").id == 7
    with pytest.raises(gh_errors.AuthenticationFailed):
        app_client.repository("acme", "product")  # a JWT is only for /app endpoints

    other_private, _ = _rsa_key_pair()
    impostor = fake.github()
    with pytest.raises(gh_errors.AuthenticationFailed):
        impostor.login_as_app_installation(other_private, "42", 7)

    client = fake.github()
    client.login_as_app_installation(private, "42", 7)
    repo = client.repository("acme", "product")
    head = work.head("main")
    run = repo.create_check_run("forkflow", head, status="in_progress", output={"title": "Scan", "summary": "..."})
    assert (run.status, run.app.slug, run.head_sha) == ("in_progress", "forkflow", head)
    assert run.update(status="completed", conclusion="success", output={"title": "Scan", "summary": "clean"})
    stored = fake.state.check_runs[run.id]
    assert (stored.status, stored.conclusion, stored.output["summary"]) == ("completed", "success", "clean")
    as_user = fake.github(ALICE).session.post(f"{repo.url}/check-runs", json={"name": "user", "head_sha": head})
    assert as_user.status_code == 403  # check runs are for Apps only
    status = repo.create_status(head, "pending", context="forkflow")
    assert status.creator.login == "forkflow[bot]"
    with pytest.raises(gh_errors.NotFoundError):
        client.repository("alice", "elsewhere")


def test_slow_and_malformed_answers_are_served_and_left_unvalidated(fake: FakeGitHub, work: Git) -> None:
    """delay_next answers late (the request is still carried out); malformed_next spoils the answer on purpose."""
    gh = fake.github(ALICE)
    gh.session.default_read_timeout = 0.5
    fake.delay_next("GET", r"^/repos/acme/product$", 1.5)
    with pytest.raises(gh_errors.ConnectionError):
        gh.repository("acme", "product")
    assert gh.repository("acme", "product").name == "product"  # the next one is on time
    fake.malformed_next("GET", r"^/repos/acme/product$", b"<html>Unicorn!</html>")
    with pytest.raises(gh_errors.UnexpectedResponse):
        gh.repository("acme", "product")
    fake.malformed_next("POST", r"/pulls$", lambda body: {k: v for k, v in body.items() if k != "number"})
    push_branch(fake, work, "acme", "feature", {"feature.txt": "f\n"}, "A feature")
    with pytest.raises(gh_errors.IncompleteResponse):
        gh.repository("acme", "product").create_pull("Same", "main", "feature", "body")
    assert fake.malformed == ["GET /repos/acme/product", "POST /repos/acme/product/pulls"]
    assert [pull.title for pull in fake.state.pulls.values()] == ["Same"]  # carried out; only the answer was spoiled
    time.sleep(1.2)  # the late answer is written (to a client that left) before the fixture checks the fake
    assert fake.validation_errors == []


def test_git_over_http_pushes_and_refuses_like_github(fake: FakeGitHub, work: Git) -> None:
    fake.serve_git_over_http()
    url = fake.github(ALICE).repository("acme", "product").clone_url
    assert url == f"{fake.url}/acme/product.git"
    work.checkout("-b", "topic")
    sha = work.commit("A topic", {"topic.txt": "t\n"})
    work("push", "-q", url, "topic")
    assert fake.branch_sha("acme", "product", "topic") == sha
    fake.refuse_pushes(fake.repo_path("acme", "product"), "GH006: Protected branch update failed")
    refused = push(work, url, "topic:refs/heads/other")
    assert refused.returncode != 0
    assert "remote: GH006: Protected branch update failed" in refused.stderr
    assert "(pre-receive hook declined)" in refused.stderr
    fake.accept_pushes(fake.repo_path("acme", "product"))
    fake.deny_pushes("acme/product")
    denied = push(work, url, "topic:refs/heads/other")
    assert denied.returncode != 0 and "403" in denied.stderr
    assert fake.branch_sha("acme", "product", "other") is None
    fake.push_denied.clear()
    assert push(work, url, "topic:refs/heads/other").returncode == 0
    assert fake.branch_sha("acme", "product", "other") == sha


def push(work: Git, url: str, refspec: str) -> subprocess.CompletedProcess[str]:
    command = ["git", "push", url, refspec]
    return subprocess.run(command, cwd=work.path, env=git_env(), capture_output=True, text=True, check=False)
