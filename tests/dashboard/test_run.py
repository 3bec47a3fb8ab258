"""The dashboard on the local forge, through ``forkflow bot``: a file a person edits to tick a box."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from forkflow.cli import main
from tests.sharednet import NODES, SharedNet, build_shared_network, manifest_text

BOARD = ".forkflow/dashboard-shared.md"


@pytest.fixture
def net(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SharedNet:
    """The shared network, beta on the central tier, one new proposal per run (max_proposals = 1)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "schedule")
    for name in ("GITHUB_EVENT_PATH", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    net = build_shared_network(tmp_path / "net")
    net.git.commit("Central update", {"README.md": "# video\n"})  # every node is behind by one
    nodes = [(name, parent, "central" if name == "beta" else tier) for name, parent, tier in NODES]
    text = manifest_text(nodes).replace('name = "shared"\n', 'name = "shared"\npolicy = "held.toml"\n', 1)
    (net.git.path / "forkflow.toml").write_text(text)
    policy = (Path(__file__).parents[2] / "policies" / "default.toml").read_text()
    (net.git.path / "held.toml").write_text(
        policy.replace("max_proposals = 10", "max_proposals = 1").replace("max_age_days = 730", "max_age_days = 0")
    )
    return net


def bot(net: SharedNet, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["bot", "--repo", str(net.git.path), "--forge", "local", *extra])
    return result.exit_code, result.stdout


def tick(net: SharedNet, action_id: str) -> None:
    board = net.git.path / BOARD
    text = board.read_text()
    box = f"- [ ] <!-- forkflow:action {action_id} -->"
    assert box in text
    board.write_text(text.replace(box, box.replace("[ ]", "[x]")))


def test_a_dry_run_prints_the_dashboard_and_writes_nothing(net: SharedNet) -> None:
    code, out = bot(net, "--dry-run")
    assert code == 0
    beta = net.git.head("beta")[:12]
    assert (
        out[out.index("\n## Dashboard (dry run") :]
        == f"""
## Dashboard (dry run: not written)

<!-- forkflow:dashboard network=shared -->
# forkflow dashboard: shared

**Unmet needs: 100.0%** (the first scan recorded)

## Nodes needing attention

- `beta`: central-tier node carries 4 local commit(s); its tier allows none; propose them upstream (`forkflow contribute --node beta`), then `forkflow sync --node beta --force` resets it to its parent (the old head is kept as a backup)
- `beta`: sync: has 4 commit(s) central lacks; not overwritten (propose them upstream, or --force to reset the node, keeping its head as a backup)

## Proposals waiting (0)

None.

## Held for a person

Tick a box: the next run (or this issue's edit, where the workflow listens to it) carries it out.

- [ ] <!-- forkflow:action sync-force:beta:{beta} --> sync central -> beta by force: reset to central's head; 4 commit(s) kept at refs/forkflow/backup/beta/{beta}
- [ ] <!-- forkflow:action propose:exact-90e33fc99211 --> propose 'Add chapters to the video model (+1 more commit)' to central: over this run's limit (bubble_up.max_proposals = 1)
- [ ] <!-- forkflow:action propose:similar-02b8a9b001e9 --> propose 'Enable faststart for MP4 renditions' to central: over this run's limit (bubble_up.max_proposals = 1)
- [ ] <!-- forkflow:action propose:exact-dc8da1f0115c --> propose 'Add 0.5x and 0.75x playback speeds' to central: over this run's limit (bubble_up.max_proposals = 1)
- [ ] <!-- forkflow:action propose:similar-d9b4e504a8c8 --> propose 'Harden the session cookie' to central: over this run's limit (bubble_up.max_proposals = 1)

_Written by forkflow at 2026-01-01T00:00:00+00:00. Only the boxes above are read; the rest is rewritten._
"""
    )
    assert not (net.git.path / BOARD).exists()


def test_a_box_ticked_in_the_file_is_carried_out_by_the_next_run_and_only_once(net: SharedNet) -> None:
    assert bot(net)[0] == 0
    board = net.git.path / BOARD
    first = board.read_text()
    beta = net.git.head("beta")
    force = f"sync-force:beta:{beta[:12]}"
    assert f"- [ ] <!-- forkflow:action {force} -->" in first
    sync = net.git.head("main")[:12]
    assert (
        "## Proposals waiting (4)\n\n"
        f"- #1 Update alpha with central {sync} -> `alpha`\n"
        f"- #2 Update gamma with central {sync} -> `gamma`\n"
        f"- #3 Update delta with central {sync} -> `delta`\n"
        "- #4 Reject empty uploads -> `central`\n"
    ) in first
    tick(net, force)
    code, out = bot(net)
    assert code == 0
    assert net.git.head("beta") == net.git.head("main")  # reset by force
    assert net.git("rev-parse", f"refs/forkflow/backup/beta/{beta[:12]}").strip() == beta  # its commits kept
    done = board.read_text()
    assert (
        f"## Done this run\n\n- [x] ~~sync central -> beta by force: reset to central's head; 4 commit(s) kept at refs/forkflow/backup/beta/{beta[:12]}~~ (`{force}`)\n"
        in done
    )
    assert force not in out and f"\nThe dashboard: {board.as_uri()}\n" in out  # the summary links it
    board.write_text(done + f"\n- [x] <!-- forkflow:action {force} -->\n")  # ticked again by hand
    assert bot(net)[0] == 0
    last = board.read_text()
    assert f"- `{force}` is ticked, but it was carried out at 2026-01-01T00:00:00+00:00: not again\n" in last
    assert "## Done this run" not in last


def test_an_issues_event_on_the_local_dashboard_carries_out_the_ticked_proposal(
    net: SharedNet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert bot(net)[0] == 0
    tick(net, "propose:exact-dc8da1f0115c")
    event = tmp_path / "event.json"
    body = (net.git.path / BOARD).read_text()
    event.write_text(json.dumps({"action": "edited", "issue": {"number": 1, "body": body}}))
    monkeypatch.setenv("GITHUB_EVENT_NAME", "issues")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    output = tmp_path / "output.txt"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert bot(net)[0] == 0
    assert (
        output.read_text() == "unmet-needs=100.0\nproposals-opened=2\nviolations=1\n"
    )  # the limit's one, and the ticked one
    text = (net.git.path / BOARD).read_text()
    assert (
        "- [x] ~~propose 'Add 0.5x and 0.75x playback speeds' to central: over this run's limit (bubble_up.max_proposals = 1)~~ (`propose:exact-dc8da1f0115c`)\n"
        in text
    )
    assert "Add 0.5x and 0.75x playback speeds -> `central`" in text.split("## Held for a person")[0]


def test_no_sync_by_force_is_offered_where_the_policy_forbids_it(net: SharedNet) -> None:
    policy = net.git.path / "held.toml"
    policy.write_text(policy.read_text().replace("force_reset = true", "force_reset = false"))
    assert bot(net)[0] == 0
    text = (net.git.path / BOARD).read_text()
    assert "sync-force:" not in text and "- [ ] <!-- forkflow:action propose:exact-90e33fc99211 -->" in text
    assert "- `beta`: sync: has 4 commit(s) central lacks; not overwritten" in text  # still a node needing attention


def test_the_policy_can_turn_the_dashboard_off(net: SharedNet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = net.git.path / "held.toml"
    policy.write_text(policy.read_text() + "\n[dashboard]\nenabled = false\n")
    code, out = bot(net, "--dry-run")
    assert code == 0 and "## Dashboard" not in out
    assert bot(net)[0] == 0
    assert not (net.git.path / BOARD).exists()
    event = tmp_path / "event.json"
    body = "<!-- forkflow:dashboard network=shared -->\n- [x] <!-- forkflow:action propose:exact-dc8da1f0115c -->\n"
    event.write_text(json.dumps({"action": "edited", "issue": {"number": 1, "body": body}}))
    monkeypatch.setenv("GITHUB_EVENT_NAME", "issues")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    assert bot(net) == (0, "Nothing to do: the policy turns the dashboard off (dashboard.enabled = false).\n")
