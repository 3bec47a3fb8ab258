"""The examples for CIs other than GitHub Actions: ``examples/jenkins/Jenkinsfile`` and
``examples/gitlab-ci/.gitlab-ci.yml``.

Jenkins' declarative linter runs only inside a Jenkins server, which cannot be installed here:
the Jenkinsfile is parsed by :mod:`tests.jenkinsfile` (a parser of the declarative syntax that
fails on anything outside it) and its sections and steps checked.  The GitLab file is validated
against GitLab's published JSON Schema of ``.gitlab-ci.yml`` (``tests/data/gitlab-ci``, MIT).
Both are then played for real: the shell of the step that runs the bot, as the CI would run it,
on a generated network with the local forge, and the files their report steps publish are checked
(the JUnit against the JUnit XSD Jenkins reads).
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema
import yaml  # type: ignore[import-untyped,unused-ignore]  # PyYAML: installed with pre-commit (the test extra)

from tests.faults.harness import build_network, copy_network, forkflow_env
from tests.jenkinsfile import Call, JenkinsfileError, Str, parse_jenkinsfile

ROOT = Path(__file__).resolve().parent.parent
JENKINSFILE = ROOT / "examples" / "jenkins" / "Jenkinsfile"
GITLAB = ROOT / "examples" / "gitlab-ci" / ".gitlab-ci.yml"
DATA = Path(__file__).resolve().parent / "data"
GITLAB_SCHEMA = json.loads((DATA / "gitlab-ci" / "ci.json").read_text())
JUNIT_SCHEMA = xmlschema.XMLSchema(DATA / "junit" / "junit-10.xsd")
SECRET = "ghp_jenkinsSecret0123456789abcdefABCDEF"
SECTIONS = {"agent", "triggers", "options", "environment", "parameters", "tools", "stages", "post"}
# A field of Jenkins' cron: H, H(a-b), *, numbers, ranges and lists, each with an optional /step.
CRON_FIELD = re.compile(r"^(?:H(?:\(\d+-\d+\))?|\*|\d+(?:-\d+)?)(?:/\d+)?(?:,(?:\d+(?:-\d+)?)(?:/\d+)?)*$")
BOT = ".forkflow-venv/bin/forkflow bot"


# --- the Jenkinsfile -------------------------------------------------------------------------------


def pipeline() -> Call:
    [top] = parse_jenkinsfile(JENKINSFILE.read_text())
    assert top.name == "pipeline"
    return top


def sh_scripts(stage: Call) -> list[Str]:
    scripts = [c.args[0] for c in stage.walk() if c.name == "sh"]
    assert all(isinstance(s, Str) for s in scripts)
    return scripts


def bot_stage(top: Call) -> Call:
    [stage] = [s for s in top.get("stages").all("stage") if any(BOT in s.value for s in sh_scripts(s))]
    return stage


def environment(top: Call) -> dict[str, str]:
    values = {c.name: c.args[0] for c in top.get("environment").block or [] if c.assign}
    assert all(isinstance(v, Str) for v in values.values())
    return {name: value.value for name, value in values.items()}


def test_the_jenkinsfile_is_a_declarative_pipeline_on_a_cron_trigger() -> None:
    top = pipeline()
    assert {c.name for c in top.block or []} <= SECTIONS
    assert top.get("agent").args[0].name == "any"
    [cron] = top.get("triggers").block or []
    assert cron.name == "cron"
    fields = cron.args[0].value.split()
    assert len(fields) == 5 and all(CRON_FIELD.match(f) for f in fields), fields
    for stage in top.get("stages").all("stage"):
        assert isinstance(stage.args[0], Str) and stage.get("steps").block
    when = bot_stage(top).get("when").get("anyOf")
    assert [(c.args, c.named) for c in when.all("triggeredBy")] == [
        ([Str("TimerTrigger", "'")], {}),
        ([], {"cause": Str("UserIdCause", "'")}),
    ]


def test_the_token_comes_from_jenkins_credentials_and_is_never_on_a_command_line() -> None:
    top = pipeline()
    [bound] = [c for c in top.walk() if c.name == "withCredentials"]
    [binding] = bound.args[0]
    assert binding.name == "string" and set(binding.named) == {"credentialsId", "variable"}
    assert binding.named["variable"] == Str("GITHUB_TOKEN", "'") and binding.named["credentialsId"].value
    assert [s.value for s in sh_scripts(bound)] == [f"{BOT} --ci jenkins --manifest forkflow.toml"]
    for script in sh_scripts(top):
        assert script.quote in ("'", "'''"), f"Groovy interpolates {script.quote} strings: {script.value!r}"
        assert "GITHUB_TOKEN" not in script.value and "set -x" not in script.value
        assert not re.search(r"^\s*(echo|printf|env|printenv)\b", script.value, re.M)
    assert not [c for c in top.walk() if c.name in ("echo", "print", "println")]


def test_the_junit_report_is_published_and_the_html_archived_from_the_report_folder() -> None:
    top = pipeline()
    folder = environment(top)["FORKFLOW_REPORT_DIR"]
    always = top.get("post").get("always")
    assert always.get("junit").named["testResults"] == Str(f"{folder}/junit.xml", "'")
    archived = always.get("archiveArtifacts").named["artifacts"].value
    assert fnmatch.fnmatch(f"{folder}/report.html", archived)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("pipeline {\n  stages {\n", "the end of the file: expected }"),
        ("pipeline {\n  agent any )\n}\n", "line 2: ')': expected name"),
        ("pipeline {\n  steps { sh 'unclosed }\n}\n", 'line 2: unexpected "\'"'),
    ],
    ids=["unclosed-brace", "stray-paren", "unclosed-string"],
)
def test_the_parser_refuses_what_jenkins_would(text: str, error: str) -> None:
    with pytest.raises(JenkinsfileError) as raised:
        parse_jenkinsfile(text)
    assert str(raised.value) == error


# --- the GitLab CI file ---------------------------------------------------------------------------


def gitlab() -> dict[str, Any]:
    document = yaml.safe_load(GITLAB.read_text())
    assert isinstance(document, dict)
    return document


def test_the_gitlab_file_is_valid_against_gitlab_ci_s_schema() -> None:
    jsonschema.Draft7Validator.check_schema(GITLAB_SCHEMA)
    jsonschema.Draft7Validator(GITLAB_SCHEMA).validate(gitlab())


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: d["forkflow"]["artifacts"]["reports"].update(junit=5),
        lambda d: d["forkflow"].update(rules="schedule"),
        lambda d: d["forkflow"]["artifacts"].update(when="sometimes"),
    ],
    ids=["junit-a-number", "rules-a-string", "when-unknown"],
)
def test_the_schema_refuses_a_spoilt_copy(spoil: Any) -> None:
    document = copy.deepcopy(gitlab())
    spoil(document)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(GITLAB_SCHEMA).validate(document)


def test_the_gitlab_job_runs_on_a_schedule_and_reports_junit() -> None:
    job = gitlab()["forkflow"]
    assert {"if": '$CI_PIPELINE_SOURCE == "schedule"'} in job["rules"]
    assert {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'} in job["rules"]
    assert job["variables"]["FORKFLOW_FORGE"] == "gitlab"
    folder = job["variables"]["FORKFLOW_REPORT_DIR"]
    assert job["artifacts"]["reports"]["junit"] == f"{folder}/junit.xml"
    assert job["artifacts"]["when"] == "always" and f"{folder}/" in job["artifacts"]["paths"]
    assert job["script"] == [f"{BOT} --ci gitlab --manifest forkflow.toml"]
    for line in job["before_script"] + job["script"]:
        assert "_TOKEN" not in line and "set -x" not in line and not line.startswith(("echo", "env"))


# --- both, played on a real network --------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("examples") / "net"
    build_network(root)
    return root


def checkout(template: Path, folder: Path) -> Path:
    """The network's working repository, with forkflow where the example's install step puts it."""
    work = copy_network(template, folder)
    venv = work / ".forkflow-venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "forkflow").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m forkflow "$@"\n')
    (venv / "forkflow").chmod(0o755)
    return work


def play(work: Path, script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in forkflow_env().items() if not k.startswith(("CI_", "GITLAB_", "JENKINS_", "BUILD_"))}
    environ = {**base, "FORKFLOW_FORGE": "local", "GITHUB_TOKEN": SECRET, **env}
    return subprocess.run(
        ["bash", "-e", "-c", script], cwd=work, env=environ, capture_output=True, text=True, timeout=120, check=False
    )


def published(work: Path, junit: str, archived: str) -> None:
    JUNIT_SCHEMA.validate(work / junit)
    files = [str(p.relative_to(work)) for p in (work / "forkflow-report").iterdir()]
    assert any(fnmatch.fnmatch(f, archived) and f.endswith("report.html") for f in files)


def test_the_jenkinsfile_s_bot_stage_runs_and_leaves_what_its_post_steps_publish(
    template: Path, tmp_path: Path
) -> None:
    top = pipeline()
    [script] = sh_scripts(bot_stage(top))
    env = {**environment(top), "JENKINS_URL": "https://jenkins.example-u.edu/", "BUILD_TAG": "jenkins-forkflow-3"}
    work = checkout(template, tmp_path / "jenkins")
    done = play(work, script.value, env)
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    always = top.get("post").get("always")
    published(
        work, always.get("junit").named["testResults"].value, always.get("archiveArtifacts").named["artifacts"].value
    )
    assert json.loads((work / "forkflow-report" / "figures.json").read_text())["run_id"] == "jenkins-forkflow-3"


def test_the_gitlab_job_s_script_runs_and_leaves_its_artifacts(template: Path, tmp_path: Path) -> None:
    job = gitlab()["forkflow"]
    # The script is played with the local forge: the GitLab forge's runs are tests/forge/test_gitlab.py's.
    env = {**job["variables"], "GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "schedule", "CI_PIPELINE_ID": "9001"}
    env["FORKFLOW_FORGE"] = "local"
    work = checkout(template, tmp_path / "gitlab")
    done = play(work, "\n".join(job["script"]), env)
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    published(work, job["artifacts"]["reports"]["junit"], job["artifacts"]["paths"][0] + "*")
    found = json.loads((work / "forkflow-report" / "figures.json").read_text())
    assert (found["ci"], found["event"], found["run_id"]) == ("gitlab", "schedule", "9001")
