"""forkflow bot with the local forge: a scheduled run twice, and a pull-request event."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks.gennet import generate
from forkflow.budget import STEP_SUMMARY_LIMIT, SUMMARY_BUDGET
from forkflow.cli import main
from forkflow.store.store import Store
from tests.gitcli import Git
from tests.sharednet import SharedNet, build_shared_network, manifest_text


@pytest.fixture
def net(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SharedNet:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    return build_shared_network(tmp_path / "net")


def bot(
    net: SharedNet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, event: str, payload: dict[str, object]
) -> tuple[int, str, dict[str, str]]:
    event_file, summary, output = tmp_path / "event.json", tmp_path / "summary.md", tmp_path / "output.txt"
    event_file.write_text(json.dumps(payload))
    for path in (summary, output):
        path.write_text("")
    monkeypatch.setenv("GITHUB_EVENT_NAME", event)
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event_file))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    result = CliRunner().invoke(main, ["bot", "--repo", str(net.git.path), "--forge", "local"])
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert summary.read_text() == result.stdout
    return result.exit_code, result.stdout, outputs


def test_a_scheduled_run_proposes_and_a_second_opens_nothing(
    net: SharedNet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_RUN_ID", "77")  # the second run is a re-run of the same workflow run
    code, summary, outputs = bot(net, tmp_path, monkeypatch, "schedule", {})
    assert code == 0
    assert summary.startswith("# shared: unmet needs and drift\n")
    assert outputs == {"unmet-needs": outputs["unmet-needs"], "proposals-opened": "5", "violations": "0"}
    assert float(outputs["unmet-needs"]) > 0
    code, _, again = bot(net, tmp_path, monkeypatch, "schedule", {})
    assert (code, again["proposals-opened"]) == (0, "0")
    store = Store(net.git.path / ".forkflow" / "store.sqlite")
    assert len(store.proposals("shared")) == 5
    with store.transaction() as db:
        assert db.execute("SELECT DISTINCT run_id FROM proposal") == [("77",)]
    assert len(store.scans("shared")) == 1  # the re-run replaced its scan


def test_a_pull_request_that_changes_a_protected_path_fails_its_check(
    net: SharedNet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git = net.git
    base = git.head("main")
    git.checkout("-b", "change-ci")
    head = git.commit("Add CI", {".github/workflows/ci.yml": "on: push\n"})
    git.checkout("main")
    (git.path / "forkflow.toml").write_text(manifest_text())  # the branch's commit took the untracked manifest
    payload = {
        "pull_request": {"number": 7, "head": {"sha": head, "ref": "change-ci"}, "base": {"sha": base, "ref": "main"}},
        "repository": {"full_name": "example-u/unknown"},
    }
    code, summary, outputs = bot(net, tmp_path, monkeypatch, "pull_request", payload)
    assert code == 4
    assert "1 commit(s) change protected paths" in summary
    assert f"{head[:12]} Add CI: .github/workflows/ci.yml" in summary
    assert outputs["violations"] == "1"


def test_an_unknown_event_is_a_clear_error(net: SharedNet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, _ = bot(net, tmp_path, monkeypatch, "release", {})
    assert code == 1


def test_a_lifecycle_button_runs_the_command(net: SharedNet) -> None:
    args = ["bot", "--repo", str(net.git.path), "--forge", "local", "--command", "retire", "--args", "epsilon"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "done: mark epsilon retired in forkflow.toml" in result.output
    assert "retired = true" in (net.git.path / "forkflow.toml").read_text()


SHA = "0" * 39 + "1"
GOOD = {"number": 7, "head": {"sha": SHA, "ref": "change-ci"}, "base": {"sha": SHA, "ref": "main"}}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"pull_request": "7"}, "pull_request"),
        ({"pull_request": {**GOOD, "number": "7"}}, "pull_request.number"),
        ({"pull_request": {**GOOD, "head": []}}, "pull_request.head"),
        ({"pull_request": {**GOOD, "head": {"sha": "HEAD~1"}}}, "pull_request.head.sha"),
        ({"pull_request": {**GOOD, "head": {"sha": SHA, "ref": 5}}}, "pull_request.head.ref"),
        ({"pull_request": GOOD, "repository": {"full_name": ["example-u/video"]}}, "repository.full_name"),
        ({}, "pull_request"),
    ],
    ids=["not-an-object", "number-a-string", "head-a-list", "head-not-a-sha", "ref-a-number", "name-a-list", "empty"],
)
def test_a_pull_request_event_of_the_wrong_shape_is_a_clear_error(
    payload: dict[str, object], field: str, net: SharedNet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event comes from outside: a wrong type is named, never a crash (exit 3)."""
    (tmp_path / "event.json").write_text(json.dumps(payload))
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(tmp_path / "event.json"))
    result = CliRunner().invoke(main, ["bot", "--repo", str(net.git.path), "--forge", "local"])
    assert result.exit_code == 1, result.output
    [error] = result.stderr.splitlines()
    assert error.startswith(
        f"error: the pull_request event (GITHUB_EVENT_PATH) is not what GitHub sends: field {field!r}: "
    )


def test_a_step_that_fails_is_reported_in_the_summary_and_the_run_goes_on(
    net: SharedNet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first proposal's branch is locked: the four others are opened, the summary says which failed, exit 1."""
    lock = net.git.path / ".git" / "refs" / "heads" / "forkflow" / "bubble-up" / "exact-68c11339eee8.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text("")
    code, summary, outputs = bot(net, tmp_path, monkeypatch, "schedule", {})
    assert code == 1
    assert outputs["proposals-opened"] == "4"
    assert "\n## Problems\n\n1 step(s) failed; the rest of the run went on, and the exit code is 1.\n" in summary
    assert "| central | propose exact-68c11339eee8 | proposal branch forkflow/bubble-up/exact-68c11339eee8 " in summary
    assert len(Store(net.git.path / ".forkflow" / "store.sqlite").proposals("shared")) == 4


def test_the_step_summary_of_a_thousand_nodes_lacking_forty_fixes_fits_in_github_s_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40,000 fix x node pairs missing: the summary lists what fits, says how many more, and stays under 1 MiB."""
    repo = tmp_path / "net"
    generate(repo, nodes=1000, carried=3, upstream=160)
    git = Git(repo)
    git.checkout("main")
    for k in range(40):  # central hardens a file every node has, after every node forked
        module = repo / "src" / "pkg0" / "mod0.py"
        git.commit(
            f"Harden input {k}\n\nForkflow-Security: CVE-2026-{1000 + k}",
            {"src/pkg0/mod0.py": module.read_text() + f"# {k}\n"},
        )
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_EVENT_NAME", "schedule")
    result = CliRunner().invoke(main, ["bot", "--repo", str(repo), "--forge", "local", "--dry-run"])
    text = summary.read_text()
    assert text == result.stdout
    assert len(text.encode()) < SUMMARY_BUDGET < STEP_SUMMARY_LIMIT
    covered = re.search(r"^\*\*Security coverage: [\d.]+%\*\*: (\d+) of 40000 fix x node", text, re.M)
    assert covered is not None
    missing = 40_000 - int(covered.group(1))
    lacking = re.findall(r"^\| CVE-2026-\d+ \| n\d+ \|", text, re.M)
    assert 1000 < len(lacking) < missing
    assert f"\n... and {missing - len(lacking)} more node(s) lacking a fix (`forkflow security`).\n" in text
    flagged = re.search(r"^## Needs attention \((\d+)\)$", text, re.M)
    section = text.split("## Needs attention")[1].split("## The network")[0]
    listed = re.findall(r"^- `n\d+`: .*security fix", section, re.M)
    assert flagged is not None and int(flagged.group(1)) == len(listed) > 990  # short reasons: all of them fit
    problems = re.findall(r"^- `n\d+` lacks security fix", text, re.M)
    assert f"- ... and {missing - len(problems)} more (`forkflow policy check` lists them all)." in text
    graph = re.search(r"```mermaid\n(.*?)\n```", text, re.S)
    assert graph is not None and len(graph.group(1)) < 50_000
