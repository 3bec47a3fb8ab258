"""Security fixes on real repositories: coverage by ancestry, by cherry-pick, by a re-typed fix,
"not affected", and missing past the tier's deadline; each route checked against git itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from forkflow.cli import main
from tests.gitcli import Git

MAR_2026 = "1772323200"  # 2026-03-01T00:00:00Z, well after the fix (the Git clock starts in 2023)

SESSION = (
    "import hashlib\n\n\ndef cookie(user):\n    token = hashlib.md5(user.encode()).hexdigest()\n"
    "    return {'session': token, 'secure': False}\n\n\ndef expire(days):\n    return days * 86400\n"
)
FIXED = (
    SESSION.replace("hashlib.md5(user.encode()).hexdigest()", "secrets.token_hex(32)")
    .replace("'secure': False", "'secure': True, 'httponly': True")
    .replace("import hashlib", "import hashlib\nimport secrets")
)
RETYPED = (
    SESSION.replace("hashlib.md5(user.encode()).hexdigest()", "secrets.token_hex(32)")
    .replace("'secure': False", "'httponly': True, 'secure': True")
    .replace("import hashlib", "import secrets\nimport hashlib")
)

MANIFEST = """\
[network]
name = "campus"

[[node]]
name = "central"
ref = "refs/heads/main"
"""
NODES = {
    "after": "central",
    "picked": "decentralized",
    "retyped": "developer",
    "lean": "developer",
    "slim": "developer",
    "behind": "decentralized",
}


@pytest.fixture
def campus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Git, str]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", MAR_2026)
    git = Git.init(tmp_path / "campus")
    text = MANIFEST + "".join(
        f'\n[[node]]\nname = "{n}"\nparent = "central"\ntier = "{t}"\nref = "refs/heads/{n}"\n'
        for n, t in NODES.items()
    )
    git.commit("Product", {"app/session.py": SESSION, "README.md": "# product\n", "forkflow.toml": text})
    for name in ("picked", "retyped", "behind"):
        git("branch", name)
    git.checkout("-b", "lean")
    git.commit("Lean copy: no sessions here", {"app/session.py": None})
    git.checkout("main")
    git.checkout("-b", "slim")
    git.commit(
        "Slim sessions: tokens come from the gateway",
        {
            "app/session.py": "def cookie(user):\n    return {'session': user.gateway_token}\n\n\n"
            "def expire(days):\n    return days * 86400\n"
        },
    )
    git.checkout("main")
    fix = git.commit(
        "Session cookies: random tokens, secure and httponly\n\nForkflow-Security: CVE-2026-0001",
        {"app/session.py": FIXED},
    )
    git.commit("Docs", {"README.md": "# product\n\nsessions are safe\n"})
    git("branch", "after")
    git.checkout("picked")
    git("cherry-pick", fix)
    git.checkout("retyped")
    git.commit("Harden the session cookie", {"app/session.py": RETYPED})
    git.checkout("main")
    return git, fix


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_every_route_and_the_deadline(campus: tuple[Git, str]) -> None:
    git, fix = campus
    code, out = run("security", "--repo", str(git.path), "--json")
    assert code == 4, out  # "behind" is past its tier's deadline
    found = json.loads(out)
    assert [f["id"] for f in found["fixes"]] == ["CVE-2026-0001"]
    assert found["fixes"][0]["commits"] == [fix] and found["fixes"][0]["source"] == "trailer"
    routes = {c["node"]: (c["status"], c["how"]) for c in found["coverage"]}
    assert routes == {
        "after": ("covered", "ancestry"),
        "picked": ("covered", "patch"),
        "retyped": ("covered", "similar"),
        "lean": ("not-affected", "files absent"),
        "slim": ("missing", "1 of 1 commit(s) missing"),  # its lines differ, but lines never prove safety
        "behind": ("missing", "1 of 1 commit(s) missing"),
    }
    # git agrees: ancestry is merge-base --is-ancestor; the pick is the same patch-id
    assert git.sh(f"git merge-base --is-ancestor {fix} after; echo $?").strip() == "0"
    assert git.sh(f"git merge-base --is-ancestor {fix} picked; echo $?").strip() == "1"
    assert git.patch_id(git.head("picked")) == git.patch_id(fix)
    assert git.patch_id(git.head("retyped")) != git.patch_id(fix)  # a re-typed fix: no equal patch
    behind = next(c for c in found["coverage"] if c["node"] == "behind")
    assert behind["missing"] == [fix] and behind["overdue"] is True and behind["deadline"] is not None
    assert (found["covered"], found["total"], found["percent"]) == (4, 6, 66.7)
    assert found["longest_exposure"] == behind["days"] > 14


def test_policy_check_lists_the_deadline_first(campus: tuple[Git, str]) -> None:
    git, fix = campus
    code, out = run("policy", "check", "--repo", str(git.path), "--json")
    assert code == 4, out
    violations = json.loads(out)
    first = {v["node"]: (v["rule"], v["commits"]) for v in violations[:2]}
    assert first == {
        "behind": ("security.max_days.decentralized", [fix]),
        "slim": ("security.max_days.developer", [fix]),
    }


def test_the_register_lists_a_fix_committed_without_the_trailer(campus: tuple[Git, str]) -> None:
    git, _ = campus
    plain = git.commit("Escape the name in the greeting", {"app/greet.py": "def greet(n):\n    return escape(n)\n"})
    git.commit(
        "Register it",
        {
            "security.toml": f'[[fix]]\nid = "GHSA-abcd-efgh-ijkl"\ntitle = "XSS in greeting"\n'
            f'commits = ["{plain[:10]}"]\npublished = 2026-02-20\n'
        },
    )
    code, out = run("security", "--repo", str(git.path), "--json")
    assert code == 4, out
    found = json.loads(out)
    ghsa = next(f for f in found["fixes"] if f["id"] == "GHSA-abcd-efgh-ijkl")
    assert (ghsa["commits"], ghsa["source"], ghsa["published"]) == ([plain], "register", "2026-02-20T00:00:00Z")
    # a fix that only adds a file is never "not affected": every node but central lacks it
    states = {c["node"]: c["status"] for c in found["coverage"] if c["fix"] == ghsa["id"]}
    assert set(states.values()) == {"missing"} and len(states) == 6


def test_a_broken_register_names_the_file_and_the_field(campus: tuple[Git, str]) -> None:
    git, _ = campus
    git.commit("Register", {"security.toml": '[[fix]]\nid = "X-1"\ncommits = ["not-a-sha"]\n'})
    code, out = run("security", "--repo", str(git.path))
    assert code == 1
    assert "security.toml at " in out and "fix.0.commits" in out and "not-a-sha" in out


def test_the_report_shows_coverage_and_the_overdue_node_first(campus: tuple[Git, str], tmp_path: Path) -> None:
    git, _ = campus
    code, out = run("report", "--repo", str(git.path))
    assert code == 0, out
    lines = out.splitlines()
    coverage = lines.index(next(line for line in lines if line.startswith("**Security coverage")))
    assert lines[coverage] == (
        "**Security coverage: 66.7%**: 4 of 6 fix x node covered or not affected; "
        f"longest exposure {lines[coverage + 4].split(' | ')[3]} day(s)."
    )
    assert lines[coverage + 4].startswith("| CVE-2026-0001 | behind | decentralized | ")
    assert lines[coverage + 4].endswith(", past** |")
    start = lines.index("## Policy problems") + 2
    assert sorted(line.split("`")[1] for line in lines[start : start + 2]) == ["behind", "slim"]
    assert all(" lacks security fix CVE-2026-0001 for " in line for line in lines[start : start + 2])
    html_file = tmp_path / "report.html"
    code, out = run("report", "--repo", str(git.path), "--html", str(html_file))
    assert code == 0, out
    page = html_file.read_text()
    assert "<b>Security coverage: 66.7%</b>" in page and "<td>behind</td><td>decentralized</td>" in page


def test_the_register_can_say_which_commit_brought_the_hole_in(campus: tuple[Git, str]) -> None:
    git, _ = campus
    hole = git.commit("Remember me for a year", {"app/remember.py": "def remember(user):\n    return 365 * 86400\n"})
    git("branch", "late")  # forks with the hole in it
    fixed = git.commit(
        "Remember me for a month at most", {"app/remember.py": "def remember(user):\n    return 30 * 86400\n"}
    )
    manifest = (git.path / "forkflow.toml").read_text()
    git.commit(
        "Register the fix; a new node",
        {
            "security.toml": f'[[fix]]\nid = "LGU-2"\ncommits = ["{fixed}"]\nintroduced = ["{hole}"]\n',
            "forkflow.toml": manifest
            + '\n[[node]]\nname = "late"\nparent = "central"\ntier = "developer"\nref = "refs/heads/late"\n',
        },
    )
    _, out = run("security", "--repo", str(git.path), "--json")
    states = {c["node"]: (c["status"], c["how"]) for c in json.loads(out)["coverage"] if c["fix"] == "LGU-2"}
    never = ("not-affected", "never had the hole")
    assert states == {n: never for n in NODES} | {"late": ("missing", "1 of 1 commit(s) missing")}
    assert git.sh(f"git merge-base --is-ancestor {hole} late; echo $?").strip() == "0"  # git: late has the hole
    assert git.sh(f"git merge-base --is-ancestor {hole} behind; echo $?").strip() == "1"  # and behind does not


def test_the_scan_report_has_the_security_section_and_the_terminal_shows_the_overdue_first(
    campus: tuple[Git, str],
) -> None:
    git, _ = campus
    code, out = run("security", "--repo", str(git.path), "--json")
    alone = json.loads(out)
    code, out = run("scan", "--repo", str(git.path), "--json")
    assert code == 0, out
    document = json.loads(out)
    assert document["security"] == alone and document["version"] == 1  # a field added within the version
    result = CliRunner().invoke(main, ["scan", "--repo", str(git.path)])
    lines = result.output.splitlines()
    assert lines[0].startswith("OVERDUE: slim lacks security fix CVE-2026-0001") or lines[0].startswith(
        "OVERDUE: behind lacks security fix CVE-2026-0001"
    )
    assert sum(line.startswith("OVERDUE: ") for line in lines[:2]) == 2  # both, above the table
    assert any(line.startswith("Security coverage: 66.7%") for line in lines)


def test_the_store_keeps_the_coverage_for_these_heads_and_only_the_days_move(
    campus: tuple[Git, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from forkflow.store.store import Store
    from forkflow.workspace import open_workspace

    git, _ = campus
    code, scanned = run("scan", "--repo", str(git.path), "--json")  # scan writes the store; security only reads it
    first = json.dumps(json.loads(scanned)["security"])
    space = open_workspace(git.path)
    keys = [row[0] for row in space.store._db.execute("SELECT key FROM report_cache")]
    [key] = [k for k in keys if k.startswith("security:")]
    assert isinstance(space.store, Store)
    # what the next command prints is what the store holds (marked here, so a recomputation would show)
    kept = json.loads(space.store.cached_report(key) or "")
    kept["coverage"][0]["how"] = "ancestry (as kept)"
    space.store.save_report(key, json.dumps(kept))
    space.store.close()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(MAR_2026) + 30 * 86400))  # a month later, the same heads
    code, later = run("security", "--repo", str(git.path), "--json")
    before, after = json.loads(first), json.loads(later)
    assert after["percent"] == before["percent"] and after["fixes"] == before["fixes"]
    assert [c["days"] - d["days"] for c, d in zip(after["coverage"], before["coverage"], strict=True)] == [30] * 6
    assert after["coverage"][0]["how"] == "ancestry (as kept)"  # read from the store, not computed again
    same = [{k: v for k, v in c.items() if k not in ("days", "how")} for c in after["coverage"]]
    assert same == [{k: v for k, v in c.items() if k not in ("days", "how")} for c in before["coverage"]]
    assert after["longest_exposure"] == before["longest_exposure"] + 30
    git.checkout("behind")
    git("merge", "-q", "--no-edit", "main")  # a head moves: a new key, computed anew
    git.checkout("main")
    code, moved = run("security", "--repo", str(git.path), "--json")
    assert code == 4  # a month later, the nodes that still lack the fix are past their deadline
    assert {c["node"]: c["status"] for c in json.loads(moved)["coverage"]}["behind"] == "covered"
