"""The scheduled workflow, played twice on fresh runners as written: the second run is warm.

Each run is a new folder, as a new runner is: a fresh clone of the manifest repository, then
the workflow's steps, the composite action's steps inside it, with their expressions filled in
and their ``if:`` conditions evaluated, every ``run`` script in bash.  The network is hosted on
the fake GitHub, so the bot talks to it with the real github3.py client over HTTP.  The two
``actions/cache`` steps are replaced by a real folder that keeps each saved store under its key
and restores the newest one whose key has the prefix, as the cache service does.  Setting up
Python and installing forkflow are left out: the forkflow under test is installed already.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fakegithub.fixture import fake_github_fixture  # noqa: F401 (the fixture)
from tests.fakegithub.server import FakeGitHub
from tests.faults.harness import forkflow_env
from tests.forge.test_github import ORG, TOKEN, host, pulls
from tests.gitcli import Git
from tests.test_workflows import ACTION, PUBLISHED, SCHEDULED, load

DAY = 86_400
FIRST_DAY = 1_767_225_600  # 2026-01-01
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}", re.S)
TOKENS = re.compile(
    r"\s*(?:(?P<text>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\)|,)|(?P<call>(?:always|success)\(\))"
    r"|(?P<function>contains)\(|(?P<name>[A-Za-z_][\w.*-]*))"
)
BOT_STEP = "Run the forkflow bot"
WARM = "scan: everything read from the store (nothing computed from git)"


def evaluate(expression: str, context: dict[str, str]) -> str | bool:
    """The subset of the Actions expression language the workflow and the action use: names,
    strings, ``==``, ``!=``, ``&&``, ``||``, ``!``, parentheses, ``always()``, ``success()`` and
    ``contains()``; the event's fields are empty (a scheduled run has no issue)."""
    python: list[str] = []
    position = 0
    while position < len(expression.rstrip()):
        match = TOKENS.match(expression, position)
        assert match is not None, f"the test cannot read {expression[position:]!r}"
        position = match.end()
        if match.group("text") is not None:
            python.append(repr(match.group("text")[1:-1].replace("''", "'")))
        elif match.group("op") is not None:
            python.append({"&&": " and ", "||": " or ", "!": " not "}.get(match.group("op"), match.group("op")))
        elif match.group("call") is not None:
            python.append("True")  # every step before succeeded (the test checks each one)
        elif match.group("function") is not None:
            python.append("contains(")
        else:
            name = match.group("name")
            known = name in context or name.startswith(("steps.", "github.event."))
            assert known, f"the test does not know {name!r}"
            python.append(repr(context.get(name, "")))
    functions = {"__builtins__": {}, "contains": lambda whole, part: part in whole}
    value = eval("".join(python), functions)  # only literals, operators and contains(): built above
    assert isinstance(value, str | bool)
    return value


def fill(text: str, context: dict[str, str]) -> str:
    return EXPRESSION.sub(lambda match: str(evaluate(match.group(1), context)), text)


def wanted(step: dict[str, Any], context: dict[str, str]) -> bool:
    condition = str(step.get("if", "success()"))
    inner = EXPRESSION.fullmatch(condition.strip())
    return bool(evaluate(inner.group(1) if inner else condition, context))


@dataclass
class Cache:
    """The Actions cache, as a folder: one subfolder per key, never overwritten."""

    root: Path
    saved: list[str] = field(default_factory=list)  # keys, oldest first

    def restore(self, path: Path, key: str, prefix: str) -> str | None:
        hits = [key] if key in self.saved else [k for k in reversed(self.saved) if k.startswith(prefix)]
        if not hits:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.root / hits[0] / path.name, path)
        return hits[0]

    def save(self, path: Path, key: str) -> None:
        assert key not in self.saved, f"a cache entry is never overwritten: {key}"
        (self.root / key).mkdir(parents=True)
        shutil.copy2(path, self.root / key / path.name)
        self.saved.append(key)


@dataclass
class Runner:
    """One run of the scheduled workflow on a fresh machine."""

    folder: Path
    run_id: str
    day: int
    api: str
    log: dict[str, str] = field(default_factory=dict)  # what each run step wrote on stderr, by its name
    restored: str | None = None

    @property
    def workspace(self) -> Path:
        return self.folder / "workspace"

    def env(self) -> dict[str, str]:
        bin_dir = Path(sys.executable).parent
        env = forkflow_env(
            SOURCE_DATE_EPOCH=str(self.day),
            GITHUB_API_URL=self.api,
            GITHUB_EVENT_NAME="schedule",
            GITHUB_RUN_ID=self.run_id,
            GITHUB_RUN_ATTEMPT="1",
            GITHUB_WORKSPACE=str(self.workspace),
            GITHUB_STEP_SUMMARY=str(self.folder / "summary.md"),
            RUNNER_TEMP=str(self.folder / "temp"),
        )
        env["PATH"] = f"{bin_dir}:{env['PATH']}"
        return env

    def run(self, step: dict[str, Any], context: dict[str, str], outputs: dict[str, dict[str, str]]) -> None:
        output = self.folder / f"output-{len(self.log)}"
        output.write_text("")
        env = self.env() | {key: fill(str(value), context) for key, value in step.get("env", {}).items()}
        env["GITHUB_OUTPUT"] = str(output)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        self.log[step["name"]] = done.stderr
        assert done.returncode == 0, f"{step.get('name')}: {done.stdout}{done.stderr}"
        if "id" in step:
            lines = output.read_text().splitlines()
            outputs[step["id"]] = dict(line.split("=", 1) for line in lines)


def play_action(runner: Runner, given: dict[str, str], cache: Cache) -> dict[str, str]:
    """The composite action's steps; its outputs."""
    action = load(ACTION)
    inputs = {name: str(spec["default"]) for name, spec in action["inputs"].items()} | given
    outputs: dict[str, dict[str, str]] = {}
    for step in action["runs"]["steps"]:
        context = runner_context(runner, inputs, outputs)
        context["inputs.token"] = TOKEN if inputs["token"] == "${{ github.token }}" else inputs["token"]
        if not wanted(step, context):
            continue
        uses = step.get("uses", "")
        if uses.startswith("actions/setup-python@") or step["name"] == "Install forkflow":
            continue  # the forkflow under test is installed already
        if uses.startswith("actions/cache/"):
            path, key = Path(fill(step["with"]["path"], context)), fill(step["with"]["key"], context)
            if uses.startswith("actions/cache/restore@"):
                runner.restored = cache.restore(path, key, fill(step["with"]["restore-keys"], context))
            else:
                cache.save(path, key)
            continue
        runner.run(step, context, outputs)
    context = runner_context(runner, inputs, outputs)
    return {name: fill(spec["value"], context) for name, spec in action["outputs"].items()}


def runner_context(runner: Runner, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> dict[str, str]:
    context = {f"inputs.{name}": value for name, value in inputs.items()}
    context |= {"github.run_id": runner.run_id, "github.run_attempt": "1", "github.event_name": "schedule"}
    context |= {"github.token": TOKEN, "github.action_path": str(ACTION.parent)}
    for step_id, values in outputs.items():  # the steps that ran, each successfully (or the test stopped)
        context |= {f"steps.{step_id}.outputs.{name}": value for name, value in values.items()}
        context[f"steps.{step_id}.outcome"] = "success"
    return context


def play_scheduled(source: Path, runner: Runner, cache: Cache) -> dict[str, str]:
    """The scheduled workflow's job, as written; the action step's outputs."""
    workflow = load(SCHEDULED)
    (job,) = workflow["jobs"].values()
    assert wanted(job, runner_context(runner, {}, {}))  # the job's own condition lets a scheduled run through
    runner.folder.mkdir()
    outputs: dict[str, dict[str, str]] = {}
    found: dict[str, str] = {}
    for step in job["steps"]:
        context = runner_context(runner, {}, outputs)
        if not wanted(step, context):
            continue
        uses = step.get("uses", "")
        if uses.startswith("actions/checkout@"):
            assert step["with"]["fetch-depth"] == 0
            subprocess.run(["git", "clone", "-q", str(source), str(runner.workspace)], check=True)
        elif uses == PUBLISHED:
            found = play_action(runner, {k: str(v) for k, v in step.get("with", {}).items()}, cache)
            outputs[step["id"]] = found
        else:
            runner.run(step, context, outputs)
    return found


def forkflow(runner: Runner, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "forkflow", *args],
        cwd=runner.workspace,
        env=runner.env() | {"GITHUB_TOKEN": TOKEN},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_two_scheduled_runs_on_fresh_runners_the_second_warm_with_both_points(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    hosted = host(fake_github, tmp_path / "hosted")
    assert hosted.repo.workdir is not None
    manifest = Git.init(tmp_path / "manifest")  # the repository the workflow runs in
    manifest.commit("Describe the network", {"forkflow.toml": (hosted.repo.workdir / "forkflow.toml").read_text()})
    cache = Cache(tmp_path / "cache")

    first = Runner(tmp_path / "run-1", "1001", FIRST_DAY, fake_github.url)
    first_outputs = play_scheduled(manifest.path, first, cache)
    opened = int(first_outputs["proposals-opened"])
    assert first.restored is None and opened == 9  # a cold start: five bubble-ups, four syncs
    assert "node comparisons computed" in first.log[BOT_STEP] and WARM not in first.log[BOT_STEP]

    second = Runner(tmp_path / "run-2", "1002", FIRST_DAY + DAY, fake_github.url)
    second_outputs = play_scheduled(manifest.path, second, cache)
    assert second.restored == "forkflow-store-forkflow.toml-1001-1"
    assert second_outputs["proposals-opened"] == "0" and len(pulls(fake_github, f"{ORG}/video")) == 5
    assert WARM in second.log[BOT_STEP]  # the bot's step: nothing was worked out from git again
    summary = (second.folder / "summary.md").read_text()
    assert "points since the last scan" in summary  # the first run's recorded scan was read
    assert summary.count("### forkflow figures") == 1 and "| proposals opened | 0 |" in summary
    assert cache.saved == ["forkflow-store-forkflow.toml-1001-1", "forkflow-store-forkflow.toml-1002-1"]

    html = second.folder / "report.html"  # (a report is a scan too: it records a third point, after it)
    forkflow(second, "report", "--html", str(html), "--forge", "github")
    drawn = re.findall(r'<circle cx="([\d.]+)" cy="[\d.]+" r="3.5" fill="#bf8700"/>', html.read_text())
    assert len(drawn) == 2 and float(drawn[0]) < float(drawn[1])  # both recorded scans, a day apart
    trend = json.loads(forkflow(second, "trend", "--json"))
    assert [when[:10] for when, _ in trend["scans"]] == ["2026-01-01", "2026-01-02", "2026-01-02"]

    # The same second run without the first one's store: cold again, so the check above can fail.
    alone = Runner(tmp_path / "run-2-alone", "1003", FIRST_DAY + DAY, fake_github.url)
    play_scheduled(manifest.path, alone, Cache(tmp_path / "empty-cache"))
    assert alone.restored is None and "node comparisons computed" in alone.log[BOT_STEP]
    trend_alone = json.loads(forkflow(alone, "trend", "--json"))
    assert len(trend_alone["scans"]) == 1
