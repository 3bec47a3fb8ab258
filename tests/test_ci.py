"""The bot on any CI: which CI it is and what woke it (forkflow/ci.py), and real runs of
``forkflow bot`` as a process on generated networks, as a generic CI, Jenkins and GitLab CI run it:
the report folder's files (the JUnit against the JUnit XSD Jenkins reads), the exit codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import xmlschema

from forkflow.ci import CiKind, CiRun, ci_run, detect_ci
from forkflow.errors import EventError
from tests.faults.harness import build_network, command, copy_network, forkflow_env, sqlite_rows, traceback_free
from tests.faults.harness import run as forkflow_run
from tests.sharednet import build_shared_network, manifest_text

SCHEMA = xmlschema.XMLSchema(Path(__file__).resolve().parent / "data" / "junit" / "junit-10.xsd")
FILES = ["figures.json", "junit.xml", "report.html", "report.md"]
SHA_A, SHA_B = "a" * 40, "b" * 40
MERGE_REQUEST = {
    "GITLAB_CI": "true",
    "CI_PIPELINE_SOURCE": "merge_request_event",
    "CI_PIPELINE_ID": "501",
    "CI_MERGE_REQUEST_IID": "12",
    "CI_COMMIT_SHA": SHA_A,
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "change-ci",
    "CI_MERGE_REQUEST_DIFF_BASE_SHA": SHA_B,
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
    "CI_MERGE_REQUEST_PROJECT_PATH": "example-u/video-platform",
}


# --- which CI, which event -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "kind"),
    [
        ({"GITHUB_ACTIONS": "true", "GITLAB_CI": "true"}, CiKind.GITHUB),
        ({"GITHUB_EVENT_NAME": "schedule"}, CiKind.GITHUB),
        ({"GITLAB_CI": "true", "JENKINS_URL": "https://ci.example/"}, CiKind.GITLAB),
        ({"JENKINS_URL": "https://ci.example/", "BUILD_ID": "7"}, CiKind.JENKINS),
        ({"GITLAB_CI": "false", "CI": "true"}, CiKind.GENERIC),
        ({}, CiKind.GENERIC),
    ],
    ids=["github", "github-event", "gitlab", "jenkins", "gitlab-false", "nothing"],
)
def test_the_ci_is_known_by_its_own_variables(environ: dict[str, str], kind: CiKind) -> None:
    assert detect_ci(environ) is kind


@pytest.mark.parametrize(
    ("source", "event"),
    [("schedule", "schedule"), ("web", "workflow_dispatch"), ("api", "workflow_dispatch"), ("push", "push")],
)
def test_a_gitlab_pipeline_source_is_an_event(source: str, event: str) -> None:
    environ = {"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": source, "CI_PIPELINE_ID": "88"}
    assert ci_run(CiKind.GITLAB, environ) == CiRun(CiKind.GITLAB, event, {}, "88")


def test_a_merge_request_pipeline_is_a_pull_request_event() -> None:
    assert ci_run(CiKind.GITLAB, MERGE_REQUEST) == CiRun(
        CiKind.GITLAB,
        "pull_request",
        {
            "pull_request": {
                "number": 12,
                "head": {"sha": SHA_A, "ref": "change-ci"},
                "base": {"sha": SHA_B, "ref": "main"},
            },
            "repository": {"full_name": "example-u/video-platform"},
        },
        "501",
    )


@pytest.mark.parametrize(
    ("changed", "error"),
    [
        (
            {"CI_PIPELINE_SOURCE": "external"},
            "CI_PIPELINE_SOURCE 'external': forkflow bot does not act on it (it "
            "knows: schedule, push, web, api, trigger, pipeline, parent_pipeline, merge_request_event)",
        ),
        (
            {"CI_MERGE_REQUEST_IID": "12; rm"},
            "CI_MERGE_REQUEST_IID '12; rm': not what GitLab sets for a merge request pipeline",
        ),
        ({"CI_COMMIT_SHA": "HEAD~1"}, "CI_COMMIT_SHA 'HEAD~1': not what GitLab sets for a merge request pipeline"),
        (
            {"CI_MERGE_REQUEST_DIFF_BASE_SHA": ""},
            "CI_MERGE_REQUEST_DIFF_BASE_SHA '': not what GitLab sets for a merge request pipeline",
        ),
    ],
    ids=["unknown-source", "iid", "head", "base"],
)
def test_gitlab_variables_of_the_wrong_shape_are_named(changed: dict[str, str], error: str) -> None:
    with pytest.raises(EventError) as raised:
        ci_run(CiKind.GITLAB, {**MERGE_REQUEST, **changed})
    assert str(raised.value) == error


def test_jenkins_and_generic_runs_are_scheduled_and_an_event_overrides() -> None:
    jenkins = {"JENKINS_URL": "https://ci.example/", "BUILD_TAG": "jenkins-forkflow-9"}
    assert ci_run(CiKind.JENKINS, jenkins) == CiRun(CiKind.JENKINS, "schedule", {}, "jenkins-forkflow-9")
    assert ci_run(CiKind.GENERIC, {"FORKFLOW_RUN_ID": "n1"}) == CiRun(CiKind.GENERIC, "schedule", {}, "n1")
    assert ci_run(CiKind.GENERIC, {}, event_name="push") == CiRun(CiKind.GENERIC, "push", {}, None)
    with pytest.raises(EventError, match=r"^CHANGE_ID '4': forkflow bot does not check Jenkins change requests"):
        ci_run(CiKind.JENKINS, {**jenkins, "CHANGE_ID": "4"})


# --- forkflow bot as a process -----------------------------------------------------------------------


def ci_env(**extra: str) -> dict[str, str]:
    """forkflow's test environment without any CI's variables (the tests may run on one), plus ``extra``."""
    env = {
        k: v
        for k, v in forkflow_env().items()
        if not k.startswith(("CI_", "GITLAB_", "JENKINS_", "BUILD_", "CHANGE_")) and k != "CI"
    }
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ci") / "net"
    build_network(root)
    return root


@pytest.fixture
def work(template: Path, tmp_path: Path) -> Path:
    return copy_network(template, tmp_path / "net")


def figures(folder: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((folder / "figures.json").read_text())
    return found


def checked_folder(folder: Path, stdout: str) -> dict[str, Any]:
    """The report folder's four files: the Markdown is what was printed, the JUnit is valid."""
    assert sorted(p.name for p in folder.iterdir()) == FILES  # nothing half-written left beside them
    assert (folder / "report.md").read_text() == stdout
    assert (folder / "report.html").read_text().startswith("<!doctype html>")
    SCHEMA.validate(folder / "junit.xml")
    return figures(folder)


def test_a_generic_ci_run_writes_the_report_files_and_a_rerun_replaces_them(work: Path) -> None:
    first = forkflow_run(work, "bot", "--ci", "generic", "--forge", "local", env=ci_env())
    folder = work / "forkflow-report"
    assert first.returncode == 0, first.stderr
    assert first.stderr == (  # what the scans computed; then the folder, as given (--repo is ".")
        "scan: 9 node comparisons computed and 7 read from the store, 16 commits read from git, "
        "shared changes grouped anew\nreport written to forkflow-report\n"
    )
    assert first.stdout.startswith("# faults: unmet needs and drift\n")
    found = checked_folder(folder, first.stdout)
    assert found == {
        "ci": "generic",
        "event": "schedule",
        "run_id": None,
        "unmet-needs": found["unmet-needs"],
        "proposals-opened": "8",
        "violations": found["violations"],
        "problems": [],
        "exit_code": 0,
    }
    junit = (folder / "junit.xml").read_text()
    assert '<testsuite name="gamma"' in junit and 'type="tiers.central.local_changes"' in junit
    second = forkflow_run(work, "bot", "--ci", "generic", "--forge", "local", env=ci_env())
    assert second.returncode == 0, second.stderr
    assert second.stderr == (
        "scan: everything read from the store (nothing computed from git)\nreport written to forkflow-report\n"
    )
    assert checked_folder(folder, second.stdout)["proposals-opened"] == "0"


def test_a_dry_run_writes_the_report_files_only_to_a_folder_it_is_given(work: Path, tmp_path: Path) -> None:
    dry = forkflow_run(work, "bot", "--ci", "generic", "--forge", "local", "--dry-run", env=ci_env())
    assert (dry.returncode, dry.stderr) == (
        0,
        "scan: 8 node comparisons computed and 0 read from the store, 16 commits read from git, "
        "shared changes grouped anew\n",  # a dry run keeps nothing, so it saw no store to read from
    )
    assert sorted(p.name for p in work.iterdir()) == [".git", "forkflow.toml"]  # no report folder, no store
    out = tmp_path / "dry-report"
    asked = forkflow_run(
        work, "bot", "--ci", "generic", "--forge", "local", "--dry-run", env=ci_env(FORKFLOW_REPORT_DIR=str(out))
    )
    assert asked.returncode == 0, asked.stderr
    assert checked_folder(out, asked.stdout)["proposals-opened"] == "0"  # decided, not opened
    assert sorted(p.name for p in work.iterdir()) == [".git", "forkflow.toml"]


def test_jenkins_is_detected_and_its_build_tag_names_the_run(work: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    env = ci_env(
        JENKINS_URL="https://jenkins.example-u.edu/", BUILD_TAG="jenkins-forkflow-41", FORKFLOW_REPORT_DIR=str(out)
    )
    done = forkflow_run(work, "bot", "--forge", "local", env=env)
    assert done.returncode == 0, done.stderr
    found = checked_folder(out, done.stdout)
    assert (found["ci"], found["event"], found["run_id"]) == ("jenkins", "schedule", "jenkins-forkflow-41")
    scans = sqlite_rows(work / ".forkflow" / "store.sqlite")["scan"]
    assert [row["run_id"] for row in scans] == ["bot:jenkins-forkflow-41"]
    refused = forkflow_run(work, "bot", "--forge", "local", env={**env, "CHANGE_ID": "3"})
    assert refused.returncode == 1
    assert refused.stderr == (
        "error: CHANGE_ID '3': forkflow bot does not check Jenkins change requests (run it on a cron or manual "
        "build; pull requests are checked by GitHub Actions or GitLab CI)\n"
    )


def test_a_gitlab_schedule_runs_and_an_unknown_source_is_refused(work: Path) -> None:
    env = ci_env(GITLAB_CI="true", CI_PIPELINE_SOURCE="schedule", CI_PIPELINE_ID="733")
    done = forkflow_run(work, "bot", "--forge", "local", env=env)
    assert done.returncode == 0, done.stderr
    found = checked_folder(work / "forkflow-report", done.stdout)
    assert (found["ci"], found["event"], found["run_id"]) == ("gitlab", "schedule", "733")
    refused = forkflow_run(work, "bot", "--forge", "local", env={**env, "CI_PIPELINE_SOURCE": "external"})
    assert (refused.returncode, refused.stderr.splitlines()[0][:40]) == (1, "error: CI_PIPELINE_SOURCE 'external': fo")


def test_a_gitlab_pipeline_s_bot_takes_the_gitlab_forge_and_never_github_s_token(work: Path) -> None:
    env = ci_env(GITLAB_CI="true", CI_PIPELINE_SOURCE="schedule", GITHUB_TOKEN="ghp_notforgitlab0123456789")
    env.pop("FORKFLOW_FORGE", None)
    done = forkflow_run(work, "bot", env=env)  # no forge named, none in the manifest: a GitLab pipeline's is GitLab
    assert done.returncode == 1
    assert done.stderr == (
        "error: no GitLab credentials: set GITLAB_TOKEN (an access token with the api scope), or run in a GitLab "
        "CI job (CI_JOB_TOKEN)\n"
    )


def test_a_step_that_fails_is_exit_1_with_the_report_written(work: Path) -> None:
    shutil.rmtree(work.parent / "forge" / "beta.git")  # beta cannot be fetched: the rest of the run goes on
    done = forkflow_run(work, "bot", "--ci", "generic", "--forge", "local", env=ci_env())
    assert done.returncode == 1
    assert traceback_free(done.stderr)
    found = checked_folder(work / "forkflow-report", done.stdout)
    assert found["exit_code"] == 1
    gone = work.parent / "forge" / "beta.git"
    assert found["problems"] == [
        f"beta: fetch: cannot reach {gone}: unsupported URL protocol",
        "beta: scan: not fetched yet (refs/forkflow/nodes/beta is missing); run `forkflow fetch`",
    ]
    work_line = (
        "scan: 8 node comparisons computed and 6 read from the store, 12 commits read from git, "
        "shared changes grouped anew\n"
    )
    errors = "".join(f"error: {p}\n" for p in found["problems"])
    assert done.stderr == work_line + errors + "report written to forkflow-report\n"
    junit = (work / "forkflow-report" / "junit.xml").read_text()
    assert '<error message="beta was not scanned: ' in junit


def test_a_gitlab_merge_request_that_changes_a_protected_path_exits_4(tmp_path: Path) -> None:
    net = build_shared_network(tmp_path / "net")
    git = net.git
    base = git.head("main")
    git.checkout("-b", "change-ci")
    head = git.commit("Add CI", {".github/workflows/ci.yml": "on: push\n"})
    git.checkout("main")
    (git.path / "forkflow.toml").write_text(manifest_text())  # the branch's commit took the untracked manifest
    env = ci_env(**{**MERGE_REQUEST, "CI_COMMIT_SHA": head, "CI_MERGE_REQUEST_DIFF_BASE_SHA": base})
    done = subprocess.run(
        command("bot", "--forge", "local"), cwd=git.path, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 4, done.stderr
    assert f"{head[:12]} Add CI: .github/workflows/ci.yml" in done.stdout
    folder = git.path / "forkflow-report"
    assert sorted(p.name for p in folder.iterdir()) == ["figures.json", "junit.xml", "report.md"]
    assert (folder / "report.md").read_text() == done.stdout
    SCHEMA.validate(folder / "junit.xml")
    [suite] = ET.parse(folder / "junit.xml").getroot()
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == ("pull request 12", "2", "1")
    failure = suite.find("testcase[@name='policy: protected paths']/failure")
    assert failure is not None and failure.get("type") == "protected_paths"
    assert failure.get("message") == (
        "example-u/video-platform: 1 commit(s) change paths only central may change (protected_paths). Fix: "
        f"propose it upstream with `forkflow contribute {head[:12]} --to central`, and take it out of this branch "
        "(git rebase -i)"
    )
    assert failure.text == (  # the manifest, untracked, went into the branch's commit too: central's alone
        f"protected_paths: 1 commit(s) change paths only central may change\ncommit: {head}\n"
        "file: .github/workflows/ci.yml\nfile: forkflow.toml"
    )
    assert suite.find("testcase[@name='policy: security fixes']/failure") is None
    found = figures(folder)
    assert (found["ci"], found["event"], found["violations"], found["exit_code"]) == ("gitlab", "pull_request", "1", 4)


def test_the_exit_codes_in_bot_help_and_the_readme_are_forkflow_s() -> None:
    """Every code ``bot --help`` and the README's CI section list is one forkflow/exitcodes.py defines."""
    from click.testing import CliRunner

    from forkflow import exitcodes
    from forkflow.cli import main

    shown = CliRunner().invoke(main, ["bot", "--help"], terminal_width=100).stdout
    table = shown.split("Exit codes, on every CI:\n", 1)[1].split("FORKFLOW_GITHUB_TIMEOUT", 1)[0]
    codes = [int(line.split()[0]) for line in table.splitlines() if line.strip()]
    defined = [exitcodes.EXIT_OK, exitcodes.EXIT_ERROR, exitcodes.EXIT_USAGE, exitcodes.EXIT_UNEXPECTED]
    assert codes == [*defined, exitcodes.EXIT_FINDING, exitcodes.EXIT_INTERRUPTED]
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Jenkins, GitLab CI and any other CI\n", 1)[1].split("\n## ", 1)[0]
    said = section.split("The exit codes are the same on every CI", 1)[1].split("\n\n", 1)[0]
    assert [int(code) for code in re.findall(r"\*\*(\d+)\*\*", said)] == codes
