"""provision, merge and retire on real repositories: plans, idempotence, interruption, refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from forkflow.cli import main
from forkflow.errors import ForkflowError
from forkflow.forge.local import LocalForge
from forkflow.gitrepo import Person
from forkflow.lifecycle import apply_lifecycle, plan_merge, plan_provision, plan_retire
from forkflow.scan.pipeline import scan_network
from forkflow.workspace import Workspace, open_workspace
from tests.gitcli import Git
from tests.sharednet import SharedNet, build_shared_network

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BOT = Person("forkflow", "forkflow@example.edu")


@pytest.fixture
def net(tmp_path: Path) -> SharedNet:
    net = build_shared_network(tmp_path / "net")
    text = (net.git.path / "forkflow.toml").read_text()
    (net.git.path / "forkflow.toml").write_text(
        "# The shared network, kept by hand.\n" + text.replace('name = "delta"', 'name = "delta"  # the law school')
    )
    return net


def space_of(net: SharedNet) -> Workspace:
    return open_workspace(net.git.path)


def scan(space: Workspace):  # type: ignore[no-untyped-def]
    return scan_network(space.network, space.repo, space.store, policy=space.policy, now=NOW)


def test_provision_creates_the_node_and_keeps_the_manifest_as_written(net: SharedNet, tmp_path: Path) -> None:
    space = space_of(net)
    before = (net.git.path / "forkflow.toml").read_text()
    done = apply_lifecycle(plan_provision(space, "zeta", "alpha", "developer", tmp_path / "zeta.git"))
    assert len(done) == 3
    after = (net.git.path / "forkflow.toml").read_text()
    assert after.startswith(before.rstrip("\n"))  # comments and order untouched: the node is appended
    assert 'name = "delta"  # the law school' in after
    assert Git(tmp_path / "zeta.git").head("main") == net.git.head("alpha")
    report = scan(space_of(net))
    assert (report.node("zeta").parent, report.node("zeta").ahead, report.node("zeta").behind) == ("alpha", 0, 0)
    assert plan_provision(space_of(net), "zeta", "alpha", "developer", tmp_path / "zeta.git").pending == []


def test_provision_refuses_bad_requests(net: SharedNet, tmp_path: Path) -> None:
    space = space_of(net)
    with pytest.raises(ForkflowError, match="a node is already named 'beta'"):
        plan_provision(space, "beta", "alpha", "developer", tmp_path / "x.git")
    with pytest.raises(ForkflowError, match="no active node is named 'omega'"):
        plan_provision(space, "new", "omega", "developer", tmp_path / "x.git")
    with pytest.raises(ForkflowError, match="cannot name a node"):
        plan_provision(space, "bad name", "alpha", "developer", tmp_path / "x.git")


def test_retire_proposes_what_it_carries_moves_children_and_archives(net: SharedNet) -> None:
    space = space_of(net)
    forge = LocalForge(space.repo, space.store, space.manifest)
    head = net.git.head("alpha")
    plan = plan_retire(space, scan(space), forge, "alpha", committer=BOT, now=NOW)
    assert [step.what for step in plan.steps] == [
        "open one proposal to central with the 5 change(s) alpha still carries",
        "move alpha-dept under central",
        "keep alpha's head under refs/forkflow/archive/alpha",
        "mark alpha retired in forkflow.toml",
    ]
    apply_lifecycle(plan)
    (proposal,) = forge.proposals()
    assert proposal.change_id == "retire-alpha" and proposal.target == "central"
    assert len(net.git("rev-list", f"main..{proposal.head}").split()) == 5
    assert net.git.head("refs/forkflow/archive/alpha") == head
    report = scan(space_of(net))
    assert "alpha" not in {node.name for node in report.nodes}  # retired: kept in the manifest, not scanned
    assert report.node("alpha-dept").parent == "central"
    again = plan_retire(space_of(net), report, forge, "alpha", committer=BOT, now=NOW)
    assert again.pending == []
    with pytest.raises(ForkflowError, match="it cannot be retired"):
        plan_retire(space_of(net), report, forge, "central", committer=BOT, now=NOW)


def test_merge_applies_each_change_once(net: SharedNet, tmp_path: Path) -> None:
    space = space_of(net)
    plan = plan_merge(
        space, scan(space), "beta", "gamma", "bg", tmp_path / "bg.git", prefer=None, committer=BOT, now=NOW
    )
    assert plan.problems == []
    apply_lifecycle(plan)
    merged = Git(tmp_path / "bg.git")
    own = merged("rev-list", "--reverse", "main", f"^{net.git.head('main')}").split()
    ids = net.ids
    expected = [ids["a1"], ids["a2"], ids["a3"], ids["b4"], ids["g1"]]  # a1 once, though both carry it
    assert [net.git.patch_id(c) for c in own] == [net.git.patch_id(c) for c in expected]
    report = scan(space_of(net))
    assert {"beta", "gamma"}.isdisjoint(node.name for node in report.nodes)
    assert report.node("gamma-dept").parent == "bg"
    assert report.node("bg").ahead == 5


def test_merge_stops_on_a_conflict_until_told_which_to_keep(net: SharedNet, tmp_path: Path) -> None:
    space = space_of(net)
    plan = plan_merge(
        space, scan(space), "delta", "epsilon", "de", tmp_path / "de.git", prefer=None, committer=BOT, now=NOW
    )
    assert plan.problems == [
        f"{net.ids['e1'][:10]} (epsilon: Let the session cookie expire after an hour) conflicts in app/session.py; "
        "choose with --prefer delta or --prefer epsilon"
    ]
    with pytest.raises(ForkflowError, match="nothing was changed"):
        apply_lifecycle(plan)
    assert not (tmp_path / "de.git").exists()
    chosen = plan_merge(
        space, scan(space), "delta", "epsilon", "de", tmp_path / "de.git", prefer="delta", committer=BOT, now=NOW
    )
    assert chosen.problems == [] and chosen.steps[0].what == f"leave out {net.ids['e1'][:10]} (--prefer delta)"


def test_merge_refuses_a_node_and_its_ancestor(net: SharedNet, tmp_path: Path) -> None:
    space = space_of(net)
    with pytest.raises(ForkflowError, match="'alpha' is an ancestor of 'alpha-dept'"):
        plan_merge(
            space, scan(space), "alpha", "alpha-dept", "x", tmp_path / "x.git", prefer=None, committer=BOT, now=NOW
        )


def test_a_run_interrupted_between_steps_is_finished_by_running_it_again(net: SharedNet, tmp_path: Path) -> None:
    args = [
        "merge",
        "beta",
        "gamma",
        "--into",
        "bg",
        "--path",
        str(tmp_path / "bg.git"),
        "--repo",
        str(net.git.path),
        "--yes",
    ]
    space = space_of(net)
    plan = plan_merge(
        space, scan(space), "beta", "gamma", "bg", tmp_path / "bg.git", prefer=None, committer=BOT, now=NOW
    )
    for step in plan.steps[:2]:  # the repository is made and the node added; then the run dies
        step.run()
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "done  create the repository" in result.output and "done  add bg to forkflow.toml" in result.output
    text = (net.git.path / "forkflow.toml").read_text()
    assert text.count('name = "bg"') == 1 and text.count("retired = true") == 2
    again = CliRunner().invoke(main, args)
    assert again.output.splitlines()[-1] == "nothing to do: every step is done"
