"""The command line for shared changes and proposals, whole outputs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from forkflow.cli import main
from tests.networks import build_vendored, partial_clone
from tests.sharednet import SharedNet, build_shared_network

JAN_2026 = "1767225600"


@pytest.fixture
def net(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SharedNet:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", JAN_2026)
    monkeypatch.setenv("COLUMNS", "200")
    return build_shared_network(tmp_path / "net")


def run(net: SharedNet, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--repo", str(net.git.path)])


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def test_shared_lists_biggest_first(net: SharedNet) -> None:
    result = run(net, "shared")
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == [
        "5 shared change(s), biggest first",
        "",
        " id                    kind          nodes  commits     +/-  to       change",
        " " + "─" * 116,
        " exact-68c11339eee8    exact         3            1   +2 -0  central  Reject empty uploads",
        "                                                                      alpha, beta, gamma",
        " exact-90e33fc99211    exact         2            2  +25 -0  central  Add chapters to the video model",
        "                                                                      alpha, beta",
        " similar-02b8a9b001e9  similar 1.00  2            2  +11 -0  central  Add -movflags +faststart to MP4 renditions",
        "                                                                      alpha, beta",
        " exact-dc8da1f0115c    exact         2            1   +1 -1  central  Add 0.5x and 0.75x playback speeds",
        "                                                                      alpha-dept, gamma-dept",
        " similar-d9b4e504a8c8  similar 1.00  2            1   +2 -0  central  Mark the session cookie Secure and SameSite=Lax",
        "                                                                      gamma, delta",
        "",
    ]


def test_shared_lists_commits_whose_diff_cannot_be_read_with_no_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A partial clone: commits several nodes carry, unread, are shared changes of unknown size."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", JAN_2026)
    monkeypatch.setenv("COLUMNS", "200")
    origin = build_vendored(tmp_path / "origin")
    partial, _ = partial_clone(origin.git, tmp_path / "partial.git")
    where = ["--repo", str(partial.path), "--manifest", str(origin.git.path / "forkflow.toml")]
    result = CliRunner().invoke(main, ["shared", *where])
    assert result.exit_code == 0, result.output
    v1, v2, v2b, v3 = (origin.ids[label] for label in ("v1", "v2", "v2b", "v3"))
    series = hashlib.sha1(f"{v2}\n{v2b}".encode()).hexdigest()[:12]
    assert lines(result.stdout) == [
        "3 shared change(s), biggest first",
        "",
        " id                         kind   nodes  commits    +/-  to       change",
        " " + "─" * 105,
        f" exact-commit-{v1[:12]}  exact  3            1      ?  central  Add the player's poster frames",
        "                                                                   alpha, beta, gamma",
        f" exact-{str(origin.git.patch_id(v3))[:12]}         exact  2            1  +1 -0  central  Credit the photographer",
        "                                                                   alpha, beta",
        f" exact-commit-{series}  exact  2            2      ?  central  Add poster frames for the second minute",
        "                                                                   alpha, beta",
        "",
    ]
    html = tmp_path / "report.html"
    done = CliRunner().invoke(main, ["report", "--html", str(html), *where])
    assert done.exit_code == 0, done.output
    assert f"exact-commit-{v1[:12]}" in html.read_text()


def test_shared_json_is_the_reports_shared_list(net: SharedNet) -> None:
    shared = json.loads(run(net, "shared", "--json").stdout)
    report = json.loads(run(net, "scan", "--json").stdout)
    assert shared == report["shared"]
    assert [change["kind"] for change in shared] == ["exact", "exact", "similar", "exact", "similar"]


def test_propose_dry_run_then_for_real_then_again(net: SharedNet) -> None:
    dry = run(net, "propose", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert lines(dry.stdout) == [
        "open    exact-68c11339eee8: Reject empty uploads  -> central  (carried by alpha, beta, gamma)",
        "open    exact-90e33fc99211: Add chapters to the video model (+1 more commit)  -> central  (carried by alpha, beta)",
        "open    similar-02b8a9b001e9: Enable faststart for MP4 renditions  -> central  (carried by alpha, beta)",
        "open    exact-dc8da1f0115c: Add 0.5x and 0.75x playback speeds  -> central  (carried by alpha-dept, gamma-dept)",
        "open    similar-d9b4e504a8c8: Harden the session cookie  -> central  (carried by gamma, delta)",
        "dry run: 5 to open, 0 to update, 0 merged",
    ]
    assert net.git("for-each-ref", "refs/heads/forkflow") == ""
    assert run(net, "proposals", "list").stdout == "No proposals yet; `forkflow propose` opens them.\n"
    real = run(net, "propose")
    assert lines(real.stdout)[0] == (
        "open    #1 exact-68c11339eee8: Reject empty uploads  -> central  (carried by alpha, beta, gamma)"
    )
    assert lines(real.stdout)[-1] == "5 to open, 0 to update, 0 merged"
    assert len(net.git("for-each-ref", "refs/heads/forkflow").splitlines()) == 5
    again = run(net, "propose")
    assert lines(again.stdout) == [
        "skip    exact-68c11339eee8: already open as #1",
        "skip    exact-90e33fc99211: already open as #2",
        "skip    similar-02b8a9b001e9: already open as #3",
        "skip    exact-dc8da1f0115c: already open as #4",
        "skip    similar-d9b4e504a8c8: already open as #5",
        "0 to open, 0 to update, 0 merged",
    ]


def test_proposals_list_close_merge(net: SharedNet) -> None:
    run(net, "propose")
    assert lines(run(net, "proposals", "list").stdout) == [
        "#1   open   central        3 nodes  Reject empty uploads  [forkflow/bubble-up/exact-68c11339eee8]",
        "#2   open   central        2 nodes  Add chapters to the video model (+1 more commit)  [forkflow/bubble-up/exact-90e33fc99211]",
        "#3   open   central        2 nodes  Enable faststart for MP4 renditions  [forkflow/bubble-up/similar-02b8a9b001e9]",
        "#4   open   central        2 nodes  Add 0.5x and 0.75x playback speeds  [forkflow/bubble-up/exact-dc8da1f0115c]",
        "#5   open   central        2 nodes  Harden the session cookie  [forkflow/bubble-up/similar-d9b4e504a8c8]",
    ]
    assert run(net, "proposals", "close", "3").stdout == "closed #3: Enable faststart for MP4 renditions\n"
    closed_again = run(net, "proposals", "close", "3")
    assert (closed_again.exit_code, closed_again.output) == (
        1,
        "error: proposal #3 is closed, not open; nothing to close\n",
    )
    dry = run(net, "proposals", "merge", "1", "--dry-run")
    head = json.loads(run(net, "proposals", "show", "1", "--json").stdout)["head"]
    assert dry.stdout == f"would merge #1 (forkflow/bubble-up/exact-68c11339eee8, {head}) into central\n"
    merged = run(net, "proposals", "merge", "1")
    assert merged.stdout == f"merged #1 into central as {net.git.head('main')}: Reject empty uploads\n"
    assert net.git("log", "-1", "--format=%s%n%n%b", "main").strip() == (
        "Merge proposal #1: Reject empty uploads\n\nForkflow-Change: exact-68c11339eee8"
    )
    assert lines(run(net, "propose").stdout) == [
        "skip    exact-90e33fc99211: already open as #2",
        "skip    similar-02b8a9b001e9: closed as #3; reopened only if more nodes carry it",
        "skip    exact-dc8da1f0115c: already open as #4",
        "skip    similar-d9b4e504a8c8: already open as #5",
        "0 to open, 0 to update, 0 merged",
    ]
    assert [line.split()[0] for line in lines(run(net, "proposals", "list", "--state", "open").stdout)] == [
        "#2",
        "#4",
        "#5",
    ]
    missing = run(net, "proposals", "show", "9")
    assert (missing.exit_code, missing.output) == (
        1,
        "error: no proposal #9 in network 'shared' (proposals: #1, #2, #3, #4, #5)\n",
    )


def test_proposals_show_prints_the_body(net: SharedNet) -> None:
    run(net, "propose")
    shown = lines(run(net, "proposals", "show", "1").stdout)
    assert shown[:4] == [
        "#1 Reject empty uploads",
        f"state: open   target: central   branch: forkflow/bubble-up/exact-68c11339eee8   head: {shown[1].split()[-1]}",
        "carriers: alpha, beta, gamma",
        "",
    ]
    assert shown[4] == "<!-- forkflow:bubble-up change=exact-68c11339eee8 -->"


def test_contribute_credits_nodes_that_carry_the_same_or_a_similar_change(net: SharedNet) -> None:
    net.git.checkout("-b", "topic", "beta")
    net.git.cherry_pick(net.ids["g1"])
    net.git.checkout("main")
    dry = run(net, "contribute", "topic", "--node", "beta", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert lines(dry.stdout) == [
        "1 commit(s) of beta -> central: Mark the session cookie Secure and SameSite=Lax",
        "also carried by: gamma, delta (credited in the proposal)",
        "dry run: would open 'Mark the session cookie Secure and SameSite=Lax' on "
        "forkflow/bubble-up/contrib-d9b4e504a8c8",
    ]
    opened = run(net, "contribute", "topic", "--node", "beta")
    assert lines(opened.stdout)[-1] == (
        "opened #1: Mark the session cookie Secure and SameSite=Lax [forkflow/bubble-up/contrib-d9b4e504a8c8]"
    )
    proposal = json.loads(run(net, "proposals", "show", "1", "--json").stdout)
    assert proposal["carriers"] == ["beta", "gamma", "delta"]
    assert proposal["source"] == "contribute"
    assert net.git.patch_id(proposal["head"]) == net.git.patch_id(net.ids["g1"])
    trailers = net.git("log", "-1", "--format=%(trailers:key=Co-authored-by,valueonly)", proposal["head"])
    assert trailers.split("\n")[:1] == ["David Diaz <david@delta.example.edu>"]
    assert lines(run(net, "contribute", "topic", "--node", "beta").stdout)[-1] == "nothing to open: already open as #1"


def test_contribute_refuses_what_it_cannot_do(net: SharedNet) -> None:
    wrong = run(net, "contribute", "topic-missing", "--node", "beta")
    assert wrong.exit_code == 1 and wrong.output.startswith("error: 'topic-missing' does not name a commit")
    usage = "Usage: main contribute [OPTIONS] [COMMITS|BRANCH]\nTry 'main contribute --help' for help.\n\nError: "
    sideways = run(net, "contribute", "beta", "--to", "gamma")
    assert (sideways.exit_code, sideways.output) == (2, usage + "--to 'gamma': 'gamma' is not upstream of 'beta'\n")
    root = run(net, "contribute", "main")
    assert (root.exit_code, root.output) == (
        2,
        usage + "'central' is the root of the network; there is nowhere upstream to contribute to\n",
    )
    unknown = run(net, "contribute", "main", "--node", "omega")
    assert unknown.exit_code == 2 and unknown.output.startswith(usage + "no node is named 'omega'")
    nothing = run(net, "contribute", "main", "--node", "beta")
    assert nothing.exit_code == 1 and "nothing to contribute" in nothing.output


def test_policy_schema_command() -> None:
    result = CliRunner().invoke(main, ["policy", "schema"])
    schema = json.loads(result.stdout)
    assert schema["properties"]["bubble_up"]["$ref"] == "#/$defs/BubbleUp"


def test_propose_json_lists_every_action(net: SharedNet) -> None:
    plan = json.loads(run(net, "propose", "--dry-run", "--json").stdout)
    assert plan["dry_run"] is True
    assert [(a["step"], a["change"], a["number"]) for a in plan["actions"]] == [
        ("open", "exact-68c11339eee8", None),
        ("open", "exact-90e33fc99211", None),
        ("open", "similar-02b8a9b001e9", None),
        ("open", "exact-dc8da1f0115c", None),
        ("open", "similar-d9b4e504a8c8", None),
    ]
    assert plan["actions"][0]["proposal"]["carriers"] == ["alpha", "beta", "gamma"]
    done = json.loads(run(net, "propose", "--json").stdout)
    assert [a["number"] for a in done["actions"]] == [1, 2, 3, 4, 5]


def test_a_proposal_that_cannot_be_written_is_reported_and_the_others_are_opened(net: SharedNet) -> None:
    first = "exact-68c11339eee8"  # the first of the plan: nothing after it may be lost
    lock = net.git.path / ".git" / "refs" / "heads" / "forkflow" / "bubble-up" / f"{first}.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text("")  # another git process holds the branch
    result = run(net, "propose")
    assert result.exit_code == 1
    [error] = result.stderr.splitlines()
    assert error.startswith(
        f"error: central: propose {first}: proposal branch forkflow/bubble-up/{first} cannot be written: "
    )
    assert result.stdout.splitlines()[-1] == "4 to open, 0 to update, 0 merged, 1 failed"
    opened = json.loads(run(net, "proposals", "list", "--json").stdout)
    assert sorted(p["change_id"] for p in opened) == [
        "exact-90e33fc99211",
        "exact-dc8da1f0115c",
        "similar-02b8a9b001e9",
        "similar-d9b4e504a8c8",
    ]
    failed = json.loads(run(net, "propose", "--json").stdout)["problems"]
    assert [(p["node"], p["step"], p["item"]) for p in failed] == [("central", "propose", first)]
    lock.unlink()
    again = run(net, "propose")
    assert (again.exit_code, again.stdout.splitlines()[-1]) == (0, "1 to open, 0 to update, 0 merged")
    assert len(json.loads(run(net, "proposals", "list", "--json").stdout)) == 5


def test_a_damaged_proposal_record_is_a_problem_and_nothing_is_opened_twice(net: SharedNet) -> None:
    from forkflow.store.store import Store

    assert run(net, "propose").exit_code == 0
    store = Store(net.git.path / ".forkflow" / "store.sqlite")
    number, record = store.proposals("shared")[0]
    store.update_proposal(number, {**record, "carriers": "alpha"})  # a list, written as a string
    result = run(net, "propose")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: read proposal #{number}: its record in the store is damaged "
        "(field 'carriers': Input should be a valid list)"
    ]
    assert len(store.proposals("shared")) == 5
