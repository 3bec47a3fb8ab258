"""The fake GitLab, driven by the real python-gitlab client over real HTTP.

Every answer is validated against GitLab's API description; the `fake_gitlab` fixture fails
the test at teardown if any did not validate.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import gitlab
import pytest
import requests

from tests.fakegitlab import JOB_TOKEN_REFUSES, FakeGitLab, load_spec
from tests.fakegitlab.fixture import fake_gitlab_fixture  # noqa: F401  (the fixture)
from tests.fakegitlab.schema import LOCAL_PATH
from tests.gitcli import Clock, Git

ALICE, BOB = "alice-token", "bob-token"


@pytest.fixture
def work(tmp_path: Path) -> Git:
    """The product's history: two commits on main, fixed dates."""
    repo = Git.init(tmp_path / "work", clock=Clock())
    repo.commit("Add the product", {"README.md": "product\n", "app.py": "print('v1')\n"})
    repo.commit("Document it", {"docs.md": "docs\n"})
    return repo


@pytest.fixture
def fake(fake_gitlab: FakeGitLab, work: Git) -> FakeGitLab:
    """Users alice and bob, the group uni (alice a member) and its project uni/central; alice's fork."""
    fake_gitlab.add_user("alice", ALICE, name="Alice", email="alice@example.edu")
    fake_gitlab.add_user("bob", BOB)
    fake_gitlab.add_group("uni", members=("alice",))
    fake_gitlab.add_project("uni", "central", source_path=work.path, description="The product")
    fake_gitlab.add_project("alice", "central", fork_of="uni/central")
    return fake_gitlab


def push(fake: FakeGitLab, work: Git, full_path: str, branch: str, files: dict[str, str], token: str = ALICE) -> str:
    """Commit on a new branch and push it over HTTP, the token as password."""
    work.checkout("-B", branch, "main")
    sha = work.commit(f"Change {branch}", files)
    url = fake.clone_url(full_path).replace("http://", f"http://oauth2:{token}@")
    work("push", "-q", url, f"{branch}:refs/heads/{branch}")
    work.checkout("main")
    return sha


def open_mr(
    fake: FakeGitLab, work: Git, branch: str = "feature", *, pushed: bool = False
) -> gitlab.v4.objects.ProjectMergeRequest:
    if not pushed:
        push(fake, work, "alice/central", branch, {f"{branch}.txt": "new\n"})
    gl = fake.gitlab(ALICE)
    fork = gl.projects.get("alice/central")
    target = gl.projects.get("uni/central")
    return fork.mergerequests.create(
        {
            "source_branch": branch,
            "target_branch": "main",
            "target_project_id": target.id,
            "title": f"Bubble up {branch}",
            "description": "body\n<!-- forkflow: {} -->",
            "labels": "forkflow,bubble-up",
            "reviewer_ids": [fake.state.users["bob"].id],
        }
    )


# -- users, groups, projects -------------------------------------------------------------------


def test_user_and_users_by_username(fake: FakeGitLab) -> None:
    gl = fake.gitlab(ALICE)
    gl.auth()
    assert gl.user is not None and (gl.user.username, gl.user.name, gl.user.email) == (
        "alice",
        "Alice",
        "alice@example.edu",
    )
    assert [u.username for u in gl.users.list(username="bob")] == ["bob"]
    assert gl.users.list(username="nobody") == []


def test_projects_by_id_and_by_encoded_path(fake: FakeGitLab, work: Git) -> None:
    gl = fake.gitlab(ALICE)
    central = gl.projects.get("uni/central")
    assert gl.projects.get(central.id).path_with_namespace == "uni/central"
    assert (central.default_branch, central.namespace["kind"], central.archived) == ("main", "group", False)
    assert central.http_url_to_repo == f"{fake.url}/uni/central.git"
    fork = gl.projects.get("alice/central")
    assert fork.forked_from_project["path_with_namespace"] == "uni/central"
    assert fake.requests[-1].path == "/projects/alice%2Fcentral"
    with pytest.raises(gitlab.exceptions.GitlabGetError) as error:
        gl.projects.get("uni/missing")
    assert (error.value.response_code, error.value.error_message) == (404, "404 Project Not Found")
    assert gl.groups.get("uni").full_path == "uni"
    assert [p.path_with_namespace for p in gl.groups.get("uni").projects.list()] == ["uni/central"]
    assert gl.namespaces.get("alice").kind == "user"


def test_forks_of_forks_are_listed_per_project(fake: FakeGitLab) -> None:
    fake.add_project("bob", "central", fork_of="alice/central")
    gl = fake.gitlab(BOB)
    central = gl.projects.get("uni/central")
    assert [f.path_with_namespace for f in central.forks.list()] == ["alice/central"]
    alice = gl.projects.get("alice/central")
    assert [f.path_with_namespace for f in alice.forks.list()] == ["bob/central"]


def test_a_fork_into_a_group_finishes_its_import_later(fake: FakeGitLab) -> None:
    fake.add_group("dept", members=("alice",))
    fake.options.import_reads = 2
    gl = fake.gitlab(ALICE)
    fork = gl.projects.get("uni/central").forks.create({"namespace_path": "dept"})
    assert (fork.path_with_namespace, fork.import_status) == ("dept/central", "scheduled")
    seen = [gl.projects.get(fork.id).import_status for _ in range(4)]
    assert seen == ["started", "started", "finished", "finished"]
    assert fake.branch_sha("dept/central", "main") == fake.branch_sha("uni/central", "main")
    with pytest.raises(gitlab.exceptions.GitlabCreateError) as error:
        fake.gitlab(BOB).projects.get("uni/central").forks.create({"namespace_path": "dept"})
    assert error.value.response_code == 403


def test_archive_refuses_strangers_and_then_pushes(fake: FakeGitLab, work: Git) -> None:
    with pytest.raises(gitlab.exceptions.GitlabCreateError) as error:
        fake.gitlab(BOB).projects.get("alice/central").archive()
    assert error.value.response_code == 403
    fake.gitlab(ALICE).projects.get("alice/central").archive()
    assert fake.gitlab(ALICE).projects.get("alice/central").archived is True
    with pytest.raises(AssertionError, match="not allowed to push"):
        push(fake, work, "alice/central", "late", {"late.txt": "x\n"})


# -- git over HTTP -----------------------------------------------------------------------------


def test_pushes_need_a_token_of_a_writer(fake: FakeGitLab, work: Git) -> None:
    sha = push(fake, work, "alice/central", "feature", {"f.txt": "f\n"})
    assert fake.branch_sha("alice/central", "feature") == sha
    with pytest.raises(AssertionError, match="not allowed to push"):
        push(fake, work, "alice/central", "other", {"o.txt": "o\n"}, token=BOB)
    with pytest.raises(AssertionError, match=r"Authentication failed|could not read|401"):
        work("push", "-q", fake.clone_url("alice/central"), "main:refs/heads/anon")
    fake.deny_pushes("alice/central")
    with pytest.raises(AssertionError, match="not allowed to push"):
        push(fake, work, "alice/central", "third", {"t.txt": "t\n"})
    assert "feature" in [b.name for b in fake.gitlab().projects.get("alice/central").branches.list()]


# -- merge requests, notes, statuses, labels ----------------------------------------------------


def test_merge_request_from_a_fork_with_labels_and_reviewers(fake: FakeGitLab, work: Git) -> None:
    mr = open_mr(fake, work)
    assert (mr.iid, mr.project_id, mr.source_project_id, mr.state) == (
        1,
        fake.project("uni/central").id,
        fake.project("alice/central").id,
        "opened",
    )
    assert mr.labels == ["forkflow", "bubble-up"]
    assert [r["username"] for r in mr.reviewers] == ["bob"]
    central = fake.gitlab(ALICE).projects.get("uni/central")
    again = central.mergerequests.get(1)
    assert (again.title, again.description, again.sha) == (
        mr.title,
        mr.description,
        fake.branch_sha("alice/central", "feature"),
    )
    assert {label.name for label in central.labels.list()} == {"forkflow", "bubble-up"}
    with pytest.raises(gitlab.exceptions.GitlabCreateError) as error:
        open_mr(fake, work, pushed=True)
    assert error.value.response_code == 409
    assert "Another open merge request already exists for this source branch: !1" in str(error.value.error_message)


def test_merge_requests_are_listed_with_filters(fake: FakeGitLab, work: Git) -> None:
    open_mr(fake, work, "one")
    second = open_mr(fake, work, "two")
    central = fake.gitlab(ALICE).projects.get("uni/central")
    second = central.mergerequests.get(second.iid)
    second.state_event = "close"
    second.save()
    assert [m.iid for m in central.mergerequests.list(state="opened")] == [1]
    assert [m.iid for m in central.mergerequests.list(state="closed")] == [2]
    assert [m.iid for m in central.mergerequests.list(source_branch="two", state="all")] == [2]
    assert [m.iid for m in central.mergerequests.list(labels=["bubble-up"], target_branch="main")] == [2, 1]
    assert central.mergerequests.list(labels=["missing"]) == []


def test_update_and_merge(fake: FakeGitLab, work: Git) -> None:
    open_mr(fake, work)
    central = fake.gitlab(ALICE).projects.get("uni/central")
    mr = central.mergerequests.get(1)
    mr.title, mr.description, mr.labels = "New title", "New body", ["sync"]
    mr.save()
    fresh = central.mergerequests.get(1)
    assert (fresh.title, fresh.description, fresh.labels) == ("New title", "New body", ["sync"])
    fresh.merge()
    merged = central.mergerequests.get(1)
    assert merged.state == "merged" and merged.merge_commit_sha == fake.branch_sha("uni/central", "main")
    assert fake.merge_request("uni/central", 1).state == "merged"


def test_notes_are_listed_created_and_updated(fake: FakeGitLab, work: Git) -> None:
    open_mr(fake, work)
    mr = fake.gitlab(ALICE).projects.get("uni/central").mergerequests.get(1)
    mr.notes.create({"body": "<!-- forkflow:policy -->\nfirst"})
    note = mr.notes.list()[0]
    note.body = "<!-- forkflow:policy -->\nrefreshed"
    note.save()
    assert [n.body for n in mr.notes.list()] == ["<!-- forkflow:policy -->\nrefreshed"]
    other = fake.gitlab(BOB).projects.get("uni/central").mergerequests.get(1).notes.list()[0]
    other.body = "hijack"
    with pytest.raises(gitlab.exceptions.GitlabUpdateError):
        other.save()


def test_commit_statuses_on_the_merge_request_head(fake: FakeGitLab, work: Git) -> None:
    mr = open_mr(fake, work)
    central = fake.gitlab(ALICE).projects.get("uni/central")
    commit = central.commits.get(mr.sha)
    commit.statuses.create(
        {
            "state": "failed",
            "name": "forkflow/policy",
            "description": "touches a protected path",
            "target_url": "https://ci.example/1",
        }
    )
    statuses = commit.statuses.list()
    assert [(s.status, s.name, s.description, s.target_url) for s in statuses] == [
        ("failed", "forkflow/policy", "touches a protected path", "https://ci.example/1")
    ]
    with pytest.raises(gitlab.exceptions.GitlabCreateError) as error:
        commit.statuses.create({"state": "bogus", "name": "x"})
    assert (error.value.response_code, error.value.error_message) == (400, "state does not have a valid value")


def test_labels_and_issues(fake: FakeGitLab) -> None:
    central = fake.gitlab(ALICE).projects.get("uni/central")
    central.labels.create({"name": "forkflow", "color": "#336699"})
    with pytest.raises(gitlab.exceptions.GitlabCreateError) as error:
        central.labels.create({"name": "forkflow", "color": "#336699"})
    assert error.value.response_code == 409
    issue = central.issues.create({"title": "forkflow dashboard", "labels": "forkflow"})
    issue.notes.create({"body": "a note"})
    issue.description = "- [ ] sync alice"
    issue.save()
    assert [(i.iid, i.description) for i in central.issues.list(labels=["forkflow"])] == [(1, "- [ ] sync alice")]
    assert [n.body for n in central.issues.get(1).notes.list()] == ["a note"]


# -- pagination, rate limits, faults, authentication --------------------------------------------


def test_pagination_headers_and_every_page(fake: FakeGitLab) -> None:
    for number in range(5):
        fake.add_project(f"user{number}", "central", fork_of="uni/central")
    central = fake.gitlab(ALICE, per_page=2).projects.get("uni/central")
    assert len(central.forks.list(get_all=True)) == 6
    pages = [r.query for r in fake.requests if r.path.endswith("/forks")]
    assert len(pages) == 3
    answer = requests.get(
        f"{fake.api_url}/projects/{central.id}/forks?per_page=4&page=1", headers={"PRIVATE-TOKEN": ALICE}, timeout=5
    )
    assert (answer.headers["X-Total"], answer.headers["X-Total-Pages"], answer.headers["X-Next-Page"]) == (
        "6",
        "2",
        "2",
    )
    assert 'rel="next"' in answer.headers["Link"] and "page=2" in answer.headers["Link"]
    assert int(answer.headers["RateLimit-Remaining"]) < int(answer.headers["RateLimit-Limit"])


def test_429_with_retry_after_is_retried(fake: FakeGitLab) -> None:
    fake.rate_limit(times=2, retry_after=1)
    started = time.monotonic()
    assert fake.gitlab(ALICE).projects.get("uni/central").path == "central"
    assert time.monotonic() - started >= 2
    assert [r.status for r in fake.requests] == [429, 429, 200]


def test_5xx_is_injected_and_retried_when_asked(fake: FakeGitLab) -> None:
    fake.fail_next("GET", r"^/projects/uni%2Fcentral$", 502)
    gl = fake.gitlab(ALICE, retry_transient_errors=True)
    started = time.monotonic()
    assert gl.projects.get("uni/central").path == "central"
    assert time.monotonic() - started < 5  # a proxy's 502 has no RateLimit-Reset to wait for
    assert [r.status for r in fake.requests] == [502, 200]
    fake.unreachable("alice/central", times=1)
    with pytest.raises(gitlab.exceptions.GitlabGetError) as error:
        fake.gitlab(ALICE).projects.get("alice/central")
    assert error.value.response_code == 503


def test_tokens_private_bearer_and_bad(fake: FakeGitLab) -> None:
    gl = gitlab.Gitlab(fake.url, oauth_token=ALICE)
    gl.auth()
    assert gl.user is not None and gl.user.username == "alice"
    with pytest.raises(gitlab.exceptions.GitlabAuthenticationError):
        fake.gitlab("wrong").auth()
    assert [r.auth for r in fake.requests] == ["bearer", "private"]


def test_a_job_token_reads_but_may_not_open_merge_requests(fake: FakeGitLab, work: Git) -> None:
    push(fake, work, "alice/central", "feature", {"f.txt": "f\n"})
    fake.add_job_token("job-1", "uni/central", user="alice")
    gl = fake.gitlab(job_token="job-1")
    fork = gl.projects.get("alice/central")
    with pytest.raises(gitlab.exceptions.GitlabCreateError) as error:
        fork.mergerequests.create(
            {
                "source_branch": "feature",
                "target_branch": "main",
                "title": "t",
                "target_project_id": fake.project("uni/central").id,
            }
        )
    assert error.value.response_code == 403
    assert "job token" in str(error.value.error_message) and "api scope" in str(error.value.error_message)


def test_an_invalid_answer_is_caught_and_reported(fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.add_user("alice", ALICE)
    fake_gitlab.corrupt_next(r"^/user$", lambda body: body.pop("username"))
    with pytest.raises(gitlab.exceptions.GitlabGetError) as error:
        fake_gitlab.gitlab(ALICE).auth()
    assert "does not match GitLab's API description" in str(error.value)
    assert (
        len(fake_gitlab.validation_errors) == 1
        and "'username' is a required property" in fake_gitlab.validation_errors[0]
    )
    fake_gitlab.validation_errors.clear()  # the fixture would fail this test otherwise, as it must


def test_a_job_token_can_be_refused_statuses_too(fake: FakeGitLab) -> None:
    fake.add_job_token("job-2", "uni/central", user="alice", refuses=JOB_TOKEN_REFUSES | {"create_status"})
    central = fake.gitlab(job_token="job-2").projects.get("uni/central")
    with pytest.raises(gitlab.exceptions.GitlabCreateError) as error:
        central.commits.get("main").statuses.create({"state": "success", "name": "forkflow/policy"})
    assert error.value.response_code == 403
    fake.add_job_token("job-3", "uni/central", user="alice")
    commit = fake.gitlab(job_token="job-3").projects.get("uni/central").commits.get("main")
    assert commit.statuses.create({"state": "success", "name": "forkflow/policy"}).status == "success"


def test_the_local_schemas_pin_the_fields_forkflow_reads() -> None:
    """Where GitLab's description is missing or loose, these fields must be in every answer."""
    document = json.loads(LOCAL_PATH.read_text(encoding="utf-8"))
    required = {name: set(d.get("required", [])) for name, d in document["definitions"].items()}
    assert {"iid", "sha", "source_project_id", "target_project_id", "source_branch", "target_branch"} <= required[
        "Local_MergeRequest"
    ]
    assert {"labels", "reviewers", "description", "state", "web_url", "references"} <= required["Local_MergeRequest"]
    assert {"id", "body", "author", "noteable_iid", "system"} <= required["Local_Note"]
    assert {"status", "name", "sha", "description", "target_url"} <= required["Local_CommitStatus"]
    assert {"path_with_namespace", "http_url_to_repo", "default_branch", "import_status", "archived"} <= required[
        "Local_ProjectCore"
    ]
    assert {"id", "username"} <= required["Local_UserBasic"]
    spec = load_spec()
    assert {op.source for op in spec.operations.values()} == {"local"}  # GitLab's own subset is not vendored yet
    assert spec.operation("put", "/projects/{id}/merge_requests/{noteable_id}/notes/{note_id}") is not None
