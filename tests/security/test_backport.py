"""Fast backports on real repositories: only the fix, as git cherry-pick makes it; refreshed, never
duplicated, closed once the node has the fix another way; a conflicting fix named for a person."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from forkflow.cli import main
from tests.gitcli import Git
from tests.security.test_coverage import SESSION, campus

__all__ = ["campus"]  # the fixture, shared with the coverage tests


def run(git: Git, *args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["security", "--repo", str(git.path), "--backport", "--json", *args])
    assert result.exit_code in (0, 4), result.output
    return dict(json.loads(result.stdout))


def proposals(git: Git) -> list[dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["proposals", "list", "--repo", str(git.path), "--json"])
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))


def of(rows: list[dict], node: str) -> list[dict]:  # type: ignore[type-arg]
    return [row for row in rows if row.get("node", row.get("target")) == node]


def test_a_dry_run_plans_and_opens_nothing(campus: tuple[Git, str]) -> None:
    git, _ = campus
    found = run(git, "--dry-run")
    assert [(b["node"], b["step"]) for b in found["backports"]] == [("slim", "open"), ("behind", "open")]
    assert not (git.path / ".forkflow").exists()  # a dry run writes nothing
    assert proposals(git) == []


def test_the_backport_is_git_cherry_pick_of_the_fix_only(campus: tuple[Git, str], tmp_path: Path) -> None:
    git, fix = campus
    found = run(git)
    [backport] = of(found["backports"], "behind")
    assert (backport["step"], backport["conflicts"]) == ("open", [])
    [opened] = of(proposals(git), "behind")
    assert opened["kind"] == "security" and opened["labels"] == ["forkflow:security"]
    assert opened["title"].startswith("[security] CVE-2026-0001: ") and opened["base"] == git.head("behind")
    assert opened["commits"] == [fix] and "applies only the fix" in opened["body"]
    # git itself: cherry-pick the fix onto the node's head in a clone; the same tree
    clone = Git(tmp_path / "clone")
    git.sh(f"git clone -q {git.path} {clone.path}")
    clone.checkout("-b", "check", "origin/behind")
    clone("cherry-pick", fix)
    assert git("rev-parse", f"{opened['head']}^{{tree}}").strip() == clone("rev-parse", "HEAD^{tree}").strip()
    assert git("rev-list", "--count", f"behind..{opened['head']}").strip() == "1"  # only the fix, not "Docs"
    # slim rewrote the file: its backport conflicts, and says so
    [slim] = of(proposals(git), "slim")
    assert (slim["head"], slim["conflicts"]) == (None, ["app/session.py"])
    # refreshed, never duplicated
    again = run(git)
    assert [b["step"] for b in again["backports"]] == ["keep", "keep"] and len(proposals(git)) == 2
    git.checkout("behind")
    git.commit("Local page", {"local.md": "ours\n"})
    git.checkout("main")
    moved = run(git)
    assert [(b["step"], b["number"]) for b in of(moved["backports"], "behind")] == [("update", opened["number"])]
    [updated] = of(proposals(git), "behind")
    assert updated["base"] == git.head("behind") and updated["number"] == opened["number"]
    # the node merges central: it has the fix by ancestry, and the backport is closed
    git.checkout("behind")
    git("merge", "-q", "--no-edit", "main")
    git.checkout("main")
    closed = run(git)
    assert [(b["step"], b["number"]) for b in of(closed["backports"], "behind")] == [("close", opened["number"])]
    assert [p["state"] for p in of(proposals(git), "behind")] == ["closed"]
    assert of(run(git)["backports"], "behind") == []


def test_a_fix_that_conflicts_names_the_files_and_the_commits(campus: tuple[Git, str]) -> None:
    git, fix = campus
    git.checkout("behind")
    git.commit("Our own tokens", {"app/session.py": SESSION.replace("hashlib.md5", "hashlib.sha1")})
    git.checkout("main")
    found = run(git)
    [backport] = of(found["backports"], "behind")
    assert (backport["step"], backport["head"], backport["conflicts"]) == ("open", None, ["app/session.py"])
    [opened] = of(proposals(git), "behind")
    assert "does not apply cleanly" in opened["body"] and f"git cherry-pick -x {fix[:12]}" in opened["body"]
    # git agrees that it conflicts
    git.checkout("behind")
    git("cherry-pick", fix, check=False)  # stops on the conflict
    assert "app/session.py" in git("diff", "--name-only", "--diff-filter=U")
    git("cherry-pick", "--abort")


def test_the_scheduled_bot_opens_the_backport_once_and_reports_coverage(
    campus: tuple[Git, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git, fix = campus
    event = tmp_path / "event.json"
    event.write_text("{}")
    for run_no in (1, 2):
        summary, output = tmp_path / f"summary{run_no}.md", tmp_path / f"output{run_no}"
        monkeypatch.setenv("GITHUB_EVENT_NAME", "schedule")
        monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
        monkeypatch.setenv("GITHUB_OUTPUT", str(output))
        result = CliRunner().invoke(main, ["bot", "--repo", str(git.path), "--forge", "local"])
        assert result.exit_code == 0, result.output
        assert "**Security coverage: 66.7%**" in summary.read_text()
        assert "`behind` lacks security fix CVE-2026-0001" in summary.read_text()
        security = [p for p in proposals(git) if p["kind"] == "security"]
        assert [(p["target"], p["state"], p["commits"]) for p in security] == [
            ("slim", "open", [fix]),
            ("behind", "open", [fix]),
        ]


def test_the_policy_fast_forwards_a_central_tier_node_to_the_fix_instead(campus: tuple[Git, str]) -> None:
    """security.central = "fast-forward": a central-tier node that lacks the fix is moved to the fix
    cherry-picked onto its head (a fast-forward, git says), with no proposal; others still get one."""
    git, fix = campus
    git("branch", "kiosk", f"{fix}^")  # a central-tier copy from before the fix
    text = (git.path / "forkflow.toml").read_text()
    text = text.replace('name = "campus"', 'name = "campus"\npolicy = "policy.toml"')
    text += '\n[[node]]\nname = "kiosk"\nparent = "central"\ntier = "central"\nref = "refs/heads/kiosk"\n'
    git.commit(
        "Kiosk, and the policy", {"forkflow.toml": text, "policy.toml": '[security]\ncentral = "fast-forward"\n'}
    )
    before = git.head("kiosk")
    found = run(git)
    [kiosk] = of(found["backports"], "kiosk")
    assert kiosk["step"] == "fast-forward" and kiosk["conflicts"] == []
    after = git.head("kiosk")
    assert git.sh(f"git merge-base --is-ancestor {before} {after}; echo $?").strip() == "0"  # a fast-forward
    assert git("rev-list", "--count", f"{before}..{after}").strip() == "1"  # only the fix
    assert git.patch_id(after) == git.patch_id(fix)
    assert of(proposals(git), "kiosk") == []  # no proposal: the node has it now
    assert [b["step"] for b in of(found["backports"], "behind")] == ["open"]  # a decentralized node still gets one
    again = run(git)
    assert of(again["backports"], "kiosk") == []  # covered by ancestry now: nothing to do
