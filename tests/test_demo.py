"""The Land Grant example: built from examples/landgrant, scanned, and checked against git."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from forkflow.cli import main
from forkflow.demo import build_example, example_dir
from forkflow.model import ScanReport
from forkflow.network.fetch import apply_fetch, plan_fetch
from forkflow.scan.pipeline import scan_network
from forkflow.workspace import open_workspace
from tests.gitcli import Git
from tests.scan.test_pipeline import NOW, assert_agrees_with_git, git_conflicts


@pytest.fixture(scope="module")
def landgrant(tmp_path_factory: pytest.TempPathFactory) -> tuple[Git, ScanReport]:
    built = build_example(example_dir("landgrant"), tmp_path_factory.mktemp("lg") / "demo")
    space = open_workspace(built.work)
    results = apply_fetch(space.repo, plan_fetch(space.network))
    assert all(result.ok for result in results)
    report = scan_network(space.network, space.repo, space.store, policy=space.policy, now=NOW)
    return Git(built.work), report


def test_the_network_has_the_promised_shape(landgrant: tuple[Git, ScanReport]) -> None:
    _, report = landgrant
    colleges = [node for node in report.nodes if node.parent == "central"]
    departments = [node for node in report.nodes if node.parent not in (None, "central")]
    assert len(colleges) == 23
    assert len(departments) >= 6
    assert set(Counter(node.tier.value for node in colleges)) == {"central", "decentralized", "developer"}
    assert len({node.behind for node in colleges}) > 10  # behind by many different amounts


def test_every_node_agrees_with_git(landgrant: tuple[Git, ScanReport]) -> None:
    git, report = landgrant
    assert_agrees_with_git(git, report)
    for node in report.nodes:
        if node.parent is not None and node.ahead and node.behind:
            assert node.conflicts == git_conflicts(git, node.ref, report.node(node.parent).ref), node.name


def test_the_story_shows_in_the_scan(landgrant: tuple[Git, ScanReport]) -> None:
    _, report = landgrant
    assert report.node("dentistry").tier.value == "central" and len(report.node("dentistry").carried) == 1
    assert report.node("natural-resources").conflicts == ["tests/test_transcode.py", "vms/transcode.py"]
    assert len(report.node("vetmed").upstreamed) == 1
    sizes = sorted((len(change.nodes) for change in report.shared), reverse=True)
    assert sizes[0] == 8 and 2 in sizes
    speeds = next(c for c in report.shared if c.summary == "Add 0.25x and 0.5x playback speeds")
    parents = {report.node(name).parent for name in speeds.nodes}
    assert len(parents) == 3  # departments of three different colleges carry the same change
    chapters = [c for c in report.shared if c.nodes == ["business", "human-ecology", "public-health"]]
    assert len(chapters) == 1 and len(chapters[0].variants[0].commits) == 3  # a three-commit series is one change


def test_demo_command_builds_fetches_and_scans(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--into", str(tmp_path / "d"), "--json", "--no-proposals"])
    assert result.exit_code == 0, result.output
    assert '"network": "landgrant"' in result.stdout
    assert result.stderr.splitlines()[-1] == (
        f"The network is in {tmp_path / 'd'}. Next: cd {tmp_path / 'd' / 'work'} && forkflow scan"
    )
    assert "fetched 31 of 31 node(s)" in result.stderr
    again = CliRunner().invoke(main, ["demo", "--into", str(tmp_path / "d")])
    assert again.exit_code == 2
    assert again.output.splitlines()[-1] == (
        f"Error: Invalid value for '--into': {tmp_path / 'd'} is not empty; pick a new folder for the demo"
    )


def test_the_build_leaves_nothing_beside_the_folder_and_origin_points_inside(tmp_path: Path) -> None:
    built = build_example(example_dir("landgrant"), tmp_path / "lg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lg"]
    assert sorted(p.name for p in built.root.iterdir()) == ["forge", "work"]
    origin = Git(built.work)("remote", "get-url", "origin").strip()
    assert origin == str(tmp_path / "lg" / "forge" / "central.git")
    assert Git(built.work)("status", "--porcelain") == ""


def test_the_demo_round_makes_the_figure_fall(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    result = CliRunner().invoke(main, ["demo", "--into", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    tail = lines[lines.index("Bubble-up round: 10 proposal(s) opened (forkflow proposals list)") :][:15]
    assert tail == [
        "Bubble-up round: 10 proposal(s) opened (forkflow proposals list)",
        "  #1   Stop player shortcuts from hijacking form fields  -> central (8 nodes)",
        "  #2   Schedule captures in campus time, not the host's  -> central (4 nodes)",
        "  #3   Add chapters to the video model (+2 more commits)  -> central (3 nodes)",
        "  #4   Send completion scores to the LMS gradebook (LTI 1.3 AGS)  -> central (3 nodes)",
        "  #5   Add 0.25x and 0.5x playback speeds  -> central (3 nodes)",
        # The history's session cookie "hardened independently in three colleges", all three.
        "  #6   Harden the session cookie  -> central (3 nodes)",
        "  #7   Let viewers pick the caption language  -> central (2 nodes)",
        "  #8   Enable faststart for MP4 renditions  -> central (2 nodes)",
        # The uploader's empty-MIME-type fix "typed independently in three places": two of them.
        "  #9   Fall back to the file extension when the browser gives no type  -> central (2 nodes)",
        # Dentistry's hot-fix and journalism's change raise the same upload limit: one need.
        "  #10  Raise the upload limit for broadcast masters  -> central (2 nodes)",
        "  merged #1 into central: Stop player shortcuts from hijacking form fields",
        "  merged #2 into central: Schedule captures in campus time, not the host's",
        "Unmet needs: 98.0% before, 73.5% after (12 more need(s) met by the parents)",
        "Declared needs (needs.toml) unmet: 100.0% before, 75.0% after",
    ]
    work = Git(tmp_path / "d" / "work")
    central = Git(tmp_path / "d" / "forge" / "central.git")
    merges = central("log", "--merges", "--format=%s", "main").splitlines()
    assert merges[:2] == [
        "Merge proposal #2: Schedule captures in campus time, not the host's",
        "Merge proposal #1: Stop player shortcuts from hijacking form fields",
    ]
    for carrier in ("agriculture", "nursing", "vetmed"):  # git agrees: the merged change is upstreamed for them
        _, upstreamed = work.cherry("refs/forkflow/nodes/central", f"refs/forkflow/nodes/{carrier}")
        assert upstreamed


def test_the_demo_ends_four_years_later(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    result = CliRunner().invoke(main, ["demo", "--into", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-5:] == [
        "Four years later:",
        "  human-ecology and public-health merge into health-human-sciences (their shared changes once)",
        "  data-science forms, from central's head",
        "  music closes: what it still carried is proposed to central, its head archived",
        "Unmet needs: 73.5% before, 71.1% after, across 30 nodes (the merged college starts on central's head, "
        "with only the changes still open)",
    ]
    manifest = (tmp_path / "d" / "work" / "forkflow.toml").read_text()
    assert manifest.count("retired = true") == 3 and "# Central IT's repository: the product itself." in manifest


def test_the_demo_carries_a_security_fix_to_the_colleges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    result = CliRunner().invoke(main, ["demo", "--into", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    start = lines.index("Security fix LGU-SA-2026-01: central expires the session cookie (forkflow security)")
    lacking = int(lines[start + 1].split()[0])
    assert lines[start + 1].startswith(f"  {lacking} of 30 nodes lack it: agriculture, ")
    opened = int(lines[start + 2].split()[0])
    assert opened == lacking  # every node that lacks it gets a backport, whatever its tier
    merged = [line for line in lines[start + 3 : start + 5] if line.startswith("  merged #")]
    assert len(merged) == 2 and all("[security] LGU-SA-2026-01: " in line for line in merged)
    before, after = (float(x.rstrip("%")) for x in lines[start + 5].split()[2:5:2])
    assert after == round(100 * (30 - lacking + 2) / 30, 1) and after > before
    work = Git(tmp_path / "d" / "work")
    fix = work("log", "--format=%H", "-1", "--grep=Forkflow-Security: LGU-SA-2026-01", "refs/forkflow/nodes/central")
    for line in merged:  # git agrees: the merged backport brings the fix as the same patch
        node = line.split(" into ")[1].split(":")[0]
        _, upstreamed = work.cherry("refs/forkflow/nodes/central", f"refs/forkflow/nodes/{node}")
        assert any(work.patch_id(c) == work.patch_id(fix.strip()) for c in upstreamed)
