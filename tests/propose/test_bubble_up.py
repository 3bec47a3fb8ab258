"""Bubble-up proposals on real repositories: in-memory apply, credits, idempotence, merge detection."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from forkflow.forge import ProposalState
from forkflow.forge.local import LocalForge
from forkflow.gitrepo import GitRepo, Person
from forkflow.manifest.spec import load_manifest
from forkflow.model import ScanReport, SharedChange, Variant
from forkflow.network.tree import Network
from forkflow.policy.rules import BubbleUp, Policy
from forkflow.propose.bubble_up import ProposalPlan, Step, apply_plan, build_change, plan_proposals
from forkflow.scan.pipeline import scan_network
from forkflow.store.store import Store
from tests.gitcli import Git, git_env
from tests.networks import build_vendored, partial_clone
from tests.sharednet import ALICE, BORIS, NODES, SESSION, UPLOAD, build_shared_network, manifest_text

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BOT = Person("forkflow", "forkflow@example.edu")


class World:
    """A working repository of the shared network, with its store and local forge."""

    def __init__(self, path: Path):
        self.path = path
        self.git = Git(path)
        self.store = Store(path / ".forkflow" / "store.sqlite")
        self.manifest = load_manifest(path / "forkflow.toml")
        self.network = Network(self.manifest)
        self.repo = GitRepo(path)
        self.forge = LocalForge(self.repo, self.store, self.manifest)

    def scan(self) -> ScanReport:
        return scan_network(self.network, self.repo, self.store, now=NOW)

    def plan(self, policy: Policy | None = None) -> ProposalPlan:
        existing = self.forge.proposals()
        return plan_proposals(
            self.scan(), self.network, self.repo, policy or Policy(), existing, committer=BOT, now=NOW
        )

    def propose(self, policy: Policy | None = None) -> ProposalPlan:
        plan = self.plan(policy)
        apply_plan(plan, self.forge, NOW)
        return plan


@pytest.fixture
def world(tmp_path: Path) -> World:
    net = build_shared_network(tmp_path / "net")
    world = World(tmp_path / "net")
    world.ids = net.ids  # type: ignore[attr-defined]
    return world


def steps(plan: ProposalPlan) -> list[tuple[str, str]]:
    return [(action.step.value, action.reason) for action in plan.actions]


def test_one_proposal_per_shared_change_then_nothing_new(world: World) -> None:
    first = world.propose()
    assert [a.step for a in first.actions] == [Step.OPEN] * 5
    proposals = world.forge.proposals()
    assert [p.number for p in proposals] == [1, 2, 3, 4, 5]
    for proposal in proposals:
        assert proposal.head is not None
        assert world.git.head(f"refs/heads/{proposal.branch}") == proposal.head
        assert world.git("merge-base", "main", proposal.head).strip() == world.git.head("main")
    again = world.propose()
    assert steps(again) == [("skip", f"already open as #{n}") for n in range(1, 6)]
    assert len(world.forge.proposals()) == 5


def test_the_branch_carries_exactly_the_change(world: World) -> None:
    world.propose()
    series = next(p for p in world.forge.proposals() if p.title.startswith("Add chapters"))
    assert series.title == "Add chapters to the video model (+1 more commit)"
    picked = world.git("rev-list", "--reverse", f"main..{series.head}").split()
    originals = [world.ids["a2"], world.ids["a3"]]  # type: ignore[attr-defined]
    assert [world.git.patch_id(c) for c in picked] == [world.git.patch_id(c) for c in originals]
    assert (
        world.git("log", "-1", "--format=%an <%ae>|%cn <%ce>", picked[0]).strip()
        == f"{ALICE}|forkflow <forkflow@example.edu>"
    )


def test_every_author_is_credited(world: World) -> None:
    world.propose()
    faststart = next(p for p in world.forge.proposals() if "faststart" in p.title)
    # beta's squashed commit is the newest variant, so it is applied; alice wrote the other one
    assert world.git("log", "-1", "--format=%an <%ae>", faststart.head or "").strip() == BORIS
    trailers = world.git("log", "-1", "--format=%(trailers:key=Co-authored-by,valueonly)", faststart.head or "")
    assert trailers.split("\n")[0] == ALICE
    change = world.git("log", "-1", "--format=%(trailers:key=Forkflow-Change,valueonly)", faststart.head or "")
    assert change.strip() == faststart.change_id
    assert "| alpha | decentralized |" in faststart.body and "| beta | decentralized |" in faststart.body


def test_the_body_tells_the_maintainer_everything(world: World) -> None:
    world.propose()
    proposal = world.forge.get(1)
    body = proposal.body
    assert body.startswith(f"<!-- forkflow:bubble-up change={proposal.change_id} -->")
    assert "**3 nodes carry this change** (the same patch)" in body
    assert "**Reject empty uploads**" in body
    assert "| alpha | decentralized |" in body and "| gamma | decentralized |" in body
    assert " app/upload.py | +2 -0" in body
    assert "None touched (policy: `<built-in>`)." in body
    report = world.scan()
    assert f"from **{report.unmet_needs.percent:.1f}%**" in body


def test_protected_paths_are_named(world: World) -> None:
    policy = Policy(protected_paths=("app/up*.py",))
    world.propose(policy)
    body = world.forge.get(1).body
    assert "**This change touches paths only central may change** (<built-in>):\n- `app/upload.py`" in body


def test_a_variant_that_conflicts_gives_way_to_one_that_applies(world: World) -> None:
    world.git.checkout("main")
    world.git.commit(
        "Coerce the cookie token", {"app/session.py": SESSION.replace("        token,\n", "        str(token),\n")}
    )
    plan = world.plan()
    cookie = next(a for a in plan.actions if a.proposal is not None and "cookie" in a.proposal.title.lower())
    assert cookie.proposal is not None and cookie.proposal.head is not None
    # git agrees: delta's variant (the newest, tried first) conflicts there, gamma's applies
    ids = world.ids  # type: ignore[attr-defined]
    assert not git_can_pick(world.git, ids["d1"])
    assert git_can_pick(world.git, ids["g1"])
    assert "gamma" in cookie.proposal.body.split("How this branch was made")[1].split("\n")[2]
    assert "- the variant of delta conflicts in app/session.py" in cookie.proposal.body


def test_a_change_no_variant_applies_to_is_proposed_with_its_conflicts(world: World) -> None:
    world.git.checkout("main")
    bounded = UPLOAD.replace("    data = upload.read()\n", "    data = upload.read(MAX_MB * 1024 * 1024)\n")
    world.git.commit("Bound upload reads", {"app/upload.py": bounded})
    assert not git_can_pick(world.git, world.ids["a1"])  # type: ignore[attr-defined]
    world.propose()
    guard = world.forge.get(1)
    assert guard.title == "Reject empty uploads"
    assert guard.head is None and guard.conflicts == ["app/upload.py"]
    assert "**No variant applies cleanly on" in guard.body
    assert not world.git("branch", "--list", guard.branch).strip()


def test_build_in_memory_touches_no_ref_and_no_work_tree(world: World) -> None:
    refs_before = world.git("for-each-ref")
    status_before = world.git("status", "--porcelain")
    report = world.scan()
    change = report.shared[0]
    build = build_change(world.repo, report, change, world.git.head("main"), committer=BOT, when=0)
    assert build.applied is not None and build.applied.clean
    assert world.git("for-each-ref") == refs_before
    assert world.git("status", "--porcelain") == status_before


def test_build_reports_what_it_tried(world: World) -> None:
    report = world.scan()
    ids = world.ids  # type: ignore[attr-defined]
    world.git.checkout("main")
    world.git.commit(
        "Coerce the cookie token", {"app/session.py": SESSION.replace("        token,\n", "        str(token),\n")}
    )
    head = world.git.head("main")
    change = SharedChange(
        id="hand-made",
        kind="similar",
        nodes=["delta", "gamma"],
        commits=[ids["d1"], ids["g1"]],
        variants=[Variant(nodes=["delta"], commits=[ids["d1"]]), Variant(nodes=["gamma"], commits=[ids["g1"]])],
    )
    build = build_change(world.repo, report, change, head, committer=BOT, when=0)
    assert build.variant is not None and build.variant.nodes == ["gamma"]
    assert [(v.nodes, a.conflicts, a.failed) for v, a in build.tried] == [(["delta"], ("app/session.py",), ids["d1"])]


def test_a_squash_merge_is_detected(world: World) -> None:
    world.propose()
    series = next(p for p in world.forge.proposals() if p.title.startswith("Add chapters"))
    world.git.checkout("main")
    world.git("merge", "--squash", series.branch)
    world.git("commit", "-q", "-m", "Chapters (squashed)")
    plan = world.propose()
    merged = plan.of(Step.MERGED)
    assert [(a.proposal.number if a.proposal else 0) for a in merged] == [series.number]
    assert world.forge.get(series.number).state == ProposalState.MERGED


def test_a_cherry_pick_and_a_merge_are_detected(world: World) -> None:
    world.propose()
    guard = world.forge.get(1)
    world.git.checkout("main")
    world.git.cherry_pick(guard.head or "")
    cookie = next(p for p in world.forge.proposals() if "cookie" in p.title.lower())
    world.git("merge", "-q", "--no-ff", "-m", "Merge the cookie", cookie.branch)
    plan = world.propose()
    assert sorted(a.proposal.number for a in plan.of(Step.MERGED) if a.proposal) == sorted([1, cookie.number])
    assert world.forge.get(1).state == ProposalState.MERGED


def test_merge_through_the_forge_reaches_the_target_and_the_carriers_see_it(world: World) -> None:
    world.propose()
    merged = world.forge.merge(1, committer=BOT, when=1_767_225_600)
    assert merged.state == ProposalState.MERGED and merged.merge_commit == world.git.head("main")
    report = world.scan()
    for name in ("alpha", "beta", "gamma"):
        carried, upstreamed = world.git.cherry("main", name)
        assert report.node(name).upstreamed == upstreamed
        assert report.node(name).carried == carried
        assert world.git.patch_id(world.ids["a1"]) in {world.git.patch_id(c) for c in upstreamed}  # type: ignore[attr-defined]
    assert all(change.summary != "Reject empty uploads" for change in report.shared)
    assert world.plan().of(Step.OPEN) == []


def test_a_closed_proposal_comes_back_only_when_more_nodes_carry_it(world: World) -> None:
    world.propose()
    world.forge.close(2, "2026-01-02T00:00:00+00:00")
    assert ("skip", "closed as #2; reopened only if more nodes carry it") in steps(world.plan())
    world = with_zeta_carrying_the_chapters(world)
    plan = world.propose()
    assert [a.reason for a in plan.of(Step.REOPEN)] == ["#2 was closed, but more nodes carry it now"]
    assert world.forge.get(2).state == ProposalState.OPEN
    assert world.forge.get(2).carriers == ["alpha", "beta", "zeta"]
    assert len(world.forge.proposals()) == 5


def test_the_policy_caps_and_filters_proposals(world: World) -> None:
    capped = Policy(bubble_up=BubbleUp(max_proposals=2))
    plan = world.propose(capped)
    assert [a.step for a in plan.actions] == [Step.OPEN, Step.OPEN] + [Step.SKIP] * 3
    assert plan.actions[2].reason == "over this run's limit (bubble_up.max_proposals = 2)"
    assert [a.step for a in world.propose(capped).actions][:4] == [Step.SKIP, Step.SKIP, Step.OPEN, Step.OPEN]
    picky = Policy(bubble_up=BubbleUp(min_nodes=3, min_share=0))
    reasons = steps(world.plan(picky))
    assert reasons[4] == (
        "skip",
        "carried by 2 node(s), fewer than bubble_up.min_nodes = 3, and by 40% of central's children, "
        "under bubble_up.min_share = 0%",
    )


def with_zeta_carrying_the_chapters(world: World) -> World:
    """A new node, zeta, that picks alpha's chapters series (a2, a3); the world re-read with it."""
    ids = world.ids  # type: ignore[attr-defined]
    world.git.checkout("-b", "zeta", ids["c0"])
    world.git.cherry_pick(ids["a2"])
    world.git.cherry_pick(ids["a3"])
    world.git.checkout("main")
    (world.path / "forkflow.toml").write_text(manifest_text([*NODES, ("zeta", "central", "developer")]))
    fresh = World(world.path)
    fresh.ids = ids  # type: ignore[attr-defined]
    return fresh


def git_can_pick(git: Git, commit: str) -> bool:
    """Whether git itself cherry-picks ``commit`` onto main cleanly (in a throwaway worktree)."""
    scratch = git.path.parent / f"scratch-{commit[:8]}"
    git("worktree", "add", "-q", "--detach", str(scratch), "main")
    try:
        done = subprocess.run(
            ["git", "cherry-pick", commit], cwd=scratch, env=git_env(), capture_output=True, check=False
        )
        return done.returncode == 0
    finally:
        git("worktree", "remove", "--force", str(scratch))


def test_an_open_proposal_is_updated_when_more_nodes_carry_its_change(world: World) -> None:
    world.propose()
    before = world.forge.get(2)
    world = with_zeta_carrying_the_chapters(world)
    plan = world.propose()
    assert [(a.step, a.reason) for a in plan.actions if a.step != Step.SKIP] == [
        (Step.UPDATE, "#2: carriers changed (now also zeta)")
    ]
    after = world.forge.get(2)
    assert after.carriers == ["alpha", "beta", "zeta"] and after.created_at == before.created_at
    assert "| zeta | developer |" in after.body
    assert len(world.forge.proposals()) == 5


def test_a_long_series_is_one_readable_proposal(tmp_path: Path) -> None:
    git = Git.init(tmp_path / "long")
    base = git.commit("Initial product", {"app/release.py": "VERSION = 0\n"})
    git.checkout("-b", "release")
    for n in range(1, 31):
        git.commit(f"Release step {n}", {f"app/step{n}.py": f"STEP = {n}\nNAME = 'step {n}'\n"})
    git.checkout("-b", "other", base)
    git("cherry-pick", f"{base}..release")
    git.checkout("main")
    nodes = [("release-college", "central", "decentralized"), ("other", "central", "decentralized")]
    manifest = manifest_text([]).replace('name = "shared"', 'name = "long"')
    manifest += "".join(
        f'\n[[node]]\nname = "{name}"\nparent = "central"\ntier = "{tier}"\nref = "refs/heads/{ref}"\n'
        for (name, _, tier), ref in zip(nodes, ["release", "other"], strict=True)
    )
    (git.path / "forkflow.toml").write_text(manifest)
    world = World(git.path)
    report = world.scan()
    assert [(c.kind, c.nodes, len(c.variants[0].commits)) for c in report.shared] == [
        ("exact", ["release-college", "other"], 30)
    ]
    plan = world.propose()
    proposal = plan.actions[0].proposal
    assert proposal is not None and proposal.title == "Release step 1 (+29 more commits)"
    assert proposal.body.count("**Release step") == 10
    assert "... and 20 more commit(s); the branch's history lists them all." in proposal.body
    assert "(+25 more)" in proposal.body
    assert len(git("rev-list", f"main..{proposal.head}").split()) == 30


def test_a_shared_change_whose_diff_cannot_be_read_is_held_back_until_it_can(tmp_path: Path) -> None:
    """In a partial clone, commits several nodes carry are shared even unread, but no branch can be
    built from them: they are skipped, saying why and what to do; once fetched, they are proposed."""
    origin = build_vendored(tmp_path / "origin")
    ids = origin.ids
    manifest = load_manifest(origin.git.path / "forkflow.toml")
    partial, missing = partial_clone(origin.git, tmp_path / "partial.git")
    network, repo = Network(manifest), GitRepo(partial.path)
    forge = LocalForge(repo, Store(tmp_path / "store.sqlite"), manifest)

    def plan() -> tuple[ScanReport, ProposalPlan]:
        report = scan_network(network, repo, now=NOW)
        return report, plan_proposals(report, network, repo, Policy(), forge.proposals(), committer=BOT, now=NOW)

    report, first = plan()
    unread, readable, series = (change.id for change in report.shared)
    held = "are missing (a partial clone?); fetch them (a clone without --filter has them) and run again"
    done = {action.change_id: (action.step.value, action.reason) for action in first.actions}
    assert done[unread] == ("skip", f"its diff cannot be read here: objects of {ids['v1'][:10]} {held}")
    assert done[series] == (
        "skip",
        f"its diff cannot be read here: objects of {ids['v2'][:10]}, {ids['v2b'][:10]} {held}",
    )
    assert done[readable][0] != "skip"  # tried: it has a diff (libgit2 may still need missing blobs to apply it)
    partial("cat-file", "--batch", input="".join(f"{blob}\n" for blob in sorted(missing)).encode())  # fetched lazily
    report, again = plan()
    assert [(a.step, a.reason) for a in again.actions] == [
        (Step.OPEN, "carried by alpha, beta, gamma"),
        (Step.OPEN, "carried by alpha, beta"),
    ]
    assert [a.change_id for a in again.actions] == [
        f"exact-{str(origin.git.patch_id(ids['v1']))[:12]}",
        report.shared[1].id,
    ]
    opened = [a.proposal for a in again.actions if a.proposal is not None]
    assert [p.commits for p in opened] == [[ids["v1"]], sorted([ids["v2"], ids["v2b"], ids["v3"]])]
    assert opened[0].head is not None
    assert (opened[1].head, opened[1].conflicts) == (None, ["media/frames.txt"])  # it builds on v1, not in central
