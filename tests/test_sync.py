"""forkflow sync on real repositories: fast-forward, refusal, forced reset with a backup, merge proposals."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from forkflow.errors import PolicyError
from forkflow.forge import ProposalState
from forkflow.forge.local import LocalForge
from forkflow.gitrepo import GitRepo, Person
from forkflow.manifest.spec import load_manifest
from forkflow.network.fetch import apply_fetch, plan_fetch
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy, TierRules, Tiers
from forkflow.store.store import Store
from forkflow.sync import SyncStep, apply_sync, plan_sync
from tests.gitcli import Git

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BOT = Person("forkflow", "forkflow@example.edu")
APP = "".join(f"SETTING_{n} = {n}\n" for n in range(20))

MANIFEST = """\
[network]
name = "sync"

[[node]]
name = "central"
ref = "refs/heads/main"

[[node]]
name = "cen"
parent = "central"
tier = "central"
ref = "refs/heads/cen"

[[node]]
name = "cen-dept"
parent = "cen"
tier = "central"
ref = "refs/heads/cen-dept"

[[node]]
name = "vet"
parent = "central"
tier = "central"
ref = "refs/heads/vet"

[[node]]
name = "dec"
parent = "central"
tier = "decentralized"
ref = "refs/heads/dec"

[[node]]
name = "conf"
parent = "central"
tier = "decentralized"
ref = "refs/heads/conf"

[[node]]
name = "dev"
parent = "central"
tier = "developer"
ref = "refs/heads/dev"

[[node]]
name = "law"
parent = "central"
tier = "central"
url = "../law.git"
branch = "main"
"""


class World:
    def __init__(self, path: Path):
        self.git = Git(path)
        self.repo = GitRepo(path)
        self.manifest = load_manifest(path / "forkflow.toml")
        self.network = Network(self.manifest)
        self.forge = LocalForge(self.repo, Store(path / ".forkflow" / "store.sqlite"), self.manifest)

    def plan(self, *, policy: Policy | None = None, force: bool = False, only: set[str] | None = None):  # type: ignore[no-untyped-def]
        return plan_sync(
            self.network,
            self.repo,
            policy or Policy(),
            self.forge.proposals(),
            only=only,
            force=force,
            committer=BOT,
            now=NOW,
        )

    def sync(self, **options: object) -> list[tuple[str, SyncStep]]:
        actions = self.plan(**options)  # type: ignore[arg-type]
        apply_sync(actions, self.repo, self.manifest, self.forge, NOW)
        return [(a.node, a.step) for a in actions]


@pytest.fixture
def world(tmp_path: Path) -> World:
    git = Git.init(tmp_path / "work")
    c1 = git.commit("Initial", {"app.py": APP, "forkflow.toml": MANIFEST})
    for name in ("cen", "cen-dept", "vet", "dec", "conf", "dev"):
        git("branch", name)
    Git(tmp_path)("clone", "-q", "--bare", str(git.path), "law.git")
    git.commit("Central 2", {"app.py": APP.replace("SETTING_3 = 3", "SETTING_3 = 30")})
    git.commit("Central 3", {"docs.md": "docs\n"})
    for branch, files in (
        ("vet", {"vet.py": "VET = 1\n"}),
        ("dec", {"dec.py": "DEC = 1\n"}),
        ("conf", {"app.py": APP.replace("SETTING_3 = 3", "SETTING_3 = 33")}),
        ("dev", {"dev.py": "DEV = 1\n"}),
    ):
        git.checkout(branch)
        git.commit(f"{branch}'s own change", files)
    git.checkout("main")
    assert c1
    world = World(git.path)
    assert all(result.ok for result in apply_fetch(world.repo, plan_fetch(world.network)))
    return world


def test_the_plan_by_tier_and_top_down(world: World) -> None:
    steps = {a.node: (a.step, a.reason) for a in world.plan()}
    main = world.git.head("main")
    assert steps["cen"] == (SyncStep.FAST_FORWARD, f"to central's head {main[:12]}")
    assert steps["cen-dept"] == (SyncStep.FAST_FORWARD, f"to cen's head {main[:12]}")  # planned after cen moved
    assert steps["vet"][0] == SyncStep.REFUSED and steps["vet"][1].startswith("has 1 commit(s) central lacks")
    assert steps["dec"] == (SyncStep.PROPOSE, f"merge central's head {main[:12]}")
    assert steps["conf"] == (SyncStep.PROPOSE, f"merge central's head {main[:12]}, conflicts in app.py")
    assert steps["dev"] == (SyncStep.NOTHING, "developer tier: no outside updates")
    assert steps["law"][0] == SyncStep.FAST_FORWARD
    assert world.git("for-each-ref", "refs/forkflow/sync", "refs/forkflow/backup") == ""  # a plan writes no ref


def test_apply_moves_pushes_proposes_and_a_rerun_does_nothing_twice(world: World, tmp_path: Path) -> None:
    main = world.git.head("main")
    world.sync()
    assert world.git.head("cen") == world.git.head("cen-dept") == main
    assert Git(tmp_path / "law.git").head("main") == main  # pushed to the node's own repository
    assert world.git.head("vet") != main
    dec, conf = (next(p for p in world.forge.proposals() if p.target == name) for name in ("dec", "conf"))
    assert dec.branch == f"forkflow/sync/{main[:12]}" and dec.head is not None
    assert world.git("rev-parse", f"{dec.head}^1").strip() == world.git.head("dec")  # the node's head first
    assert world.git("rev-parse", f"{dec.head}^2").strip() == main
    assert world.git.head(f"refs/forkflow/sync/dec/{main[:12]}") == dec.head
    assert conf.head is None and conf.conflicts == ["app.py"]
    assert "**The merge conflicts** in these files" in conf.body
    again = dict(world.sync())
    assert again["dec"] == again["conf"] == SyncStep.KEEP
    assert again["cen"] == again["cen-dept"] == SyncStep.UP_TO_DATE
    assert len(world.forge.proposals()) == 2


def test_a_newer_parent_head_supersedes_the_open_proposal(world: World) -> None:
    world.sync()
    old = next(p for p in world.forge.proposals() if p.target == "dec")
    world.git.commit("Central 4", {"more.md": "more\n"})
    actions = {a.node: a for a in world.plan(only={"dec"})}
    assert actions["dec"].supersedes == old.number
    world.sync(only={"dec"})
    assert world.forge.get(old.number).state == ProposalState.CLOSED
    assert [p.state for p in world.forge.proposals() if p.target == "dec"] == [ProposalState.CLOSED, ProposalState.OPEN]


def test_force_resets_and_keeps_the_old_head(world: World) -> None:
    old = world.git.head("vet")
    steps = dict(world.sync(force=True, only={"vet"}))
    assert steps == {"vet": SyncStep.RESET}
    assert world.git.head("vet") == world.git.head("main")
    assert world.git.head(f"refs/forkflow/backup/vet/{old[:12]}") == old  # nothing is lost


def test_the_policy_can_forbid_force(world: World) -> None:
    strict = Policy(tiers=Tiers(central=TierRules(sync="fast-forward", local_changes=False, force_reset=False)))  # type: ignore[arg-type]
    (action,) = world.plan(policy=strict, force=True, only={"vet"})
    assert (action.step, action.reason) == (
        SyncStep.REFUSED,
        "the policy does not allow --force for this tier (force_reset = false)",
    )


def test_merging_a_sync_proposal_fast_forwards_the_node(world: World) -> None:
    world.sync()
    dec = next(p for p in world.forge.proposals() if p.target == "dec")
    merged = world.forge.merge(dec.number, committer=BOT, when=0)
    assert world.git.head("dec") == dec.head == merged.merge_commit
    assert dict(world.sync(only={"dec"}))["dec"] == SyncStep.UP_TO_DATE


def test_a_node_may_override_only_what_the_policy_allows(world: World) -> None:
    policy = Policy()
    assert policy.for_node({"divergence.max_behind": 5}, "forkflow.toml: node 'dec'").divergence.max_behind == 5
    with pytest.raises(PolicyError) as caught:
        policy.for_node({"bubble_up.min_nodes": 3}, "forkflow.toml: node 'dec'")
    assert str(caught.value) == (
        "forkflow.toml: node 'dec': field 'policy.bubble_up.min_nodes': the policy (<built-in>) does not let a node "
        "override it (it allows: divergence.max_behind, divergence.max_age_days)"
    )


def test_the_command_line(world: World) -> None:
    from click.testing import CliRunner

    from forkflow.cli import main

    main_head = world.git.head("main")[:12]
    dry = CliRunner().invoke(main, ["sync", "--repo", str(world.git.path), "--dry-run"])
    assert dry.exit_code == 4  # a node was refused
    assert dry.stdout.splitlines() == [
        f"fast-forward  cen: to central's head {main_head}",
        f"fast-forward  cen-dept: to cen's head {main_head}",
        "refused       vet: has 1 commit(s) central lacks; not overwritten (propose them upstream, or --force to "
        "reset the node, keeping its head as a backup)",
        f"propose       dec: merge central's head {main_head}",
        f"propose       conf: merge central's head {main_head}, conflicts in app.py",
        "nothing       dev: developer tier: no outside updates",
        f"fast-forward  law: to central's head {main_head}",
        "dry run: 3 moved, 2 proposed, 0 already proposed, 0 up to date, 1 refused",
    ]
    subtree = CliRunner().invoke(main, ["sync", "--repo", str(world.git.path), "--subtree", "cen"])
    assert (subtree.exit_code, subtree.stdout.splitlines()[-1]) == (
        0,
        "2 moved, 0 proposed, 0 already proposed, 0 up to date, 0 refused",
    )
    unknown = CliRunner().invoke(main, ["sync", "--repo", str(world.git.path), "--node", "nope"])
    assert unknown.exit_code == 2
    assert unknown.output.splitlines()[-1] == (
        f"Error: Invalid value for '--node': no node is named 'nope' in {world.git.path / 'forkflow.toml'}"
    )
    below = CliRunner().invoke(main, ["sync", "--repo", str(world.git.path), "--subtree", "nope"])
    assert below.exit_code == 2 and below.output.splitlines()[-1].startswith("Error: Invalid value for '--subtree'")


def test_a_node_that_fails_is_reported_and_the_others_are_synced(world: World, tmp_path: Path) -> None:
    """dec's proposal branch cannot be written and law's repository refuses the push: the rest is synced."""
    from click.testing import CliRunner

    from forkflow.cli import main

    (world.git.path / ".git" / "refs" / "forkflow" / "sync").mkdir(parents=True)
    (world.git.path / ".git" / "refs" / "forkflow" / "sync" / "dec").write_text("")  # a file where a folder must be
    law = Git(tmp_path / "law.git")
    law_head = law.head("main")
    (law.path / "refs" / "heads" / "main.lock").write_text("")  # another git process holds law's branch
    result = CliRunner().invoke(main, ["sync", "--repo", str(world.git.path), "--json"])
    assert result.exit_code == 1  # a node failed (and another was refused: failing wins)
    problems = [(p["node"], p["step"]) for p in json.loads(result.stdout)["problems"]]
    assert problems == [("dec", "sync"), ("law", "sync")]
    errors = result.stderr.splitlines()
    assert errors[0].startswith("error: dec: sync: proposal branch forkflow/sync/")
    assert errors[1].startswith("error: law: sync: node 'law': the update could not be pushed: ")
    assert "refused the push: refs/heads/main: failed to lock file" in errors[1]
    # law moved nowhere: its branch and forkflow's record of it still agree
    assert law.head("main") == law_head == world.repo.resolve("refs/forkflow/nodes/law")
    # the nodes after dec were synced all the same
    main_head = world.git.head("main")
    assert world.git.head("cen") == world.git.head("cen-dept") == main_head
    assert [p.target for p in world.forge.proposals()] == ["conf"]
