"""The command line, whole outputs."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result

from forkflow.cli import main
from forkflow.cli.errors import handle_errors
from tests.gitcli import Git
from tests.networks import Small, build_small

JAN_2026 = "1767225600"  # 2026-01-01T00:00:00Z


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Small:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", JAN_2026)
    monkeypatch.setenv("COLUMNS", "200")
    return build_small(tmp_path / "small")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def test_scan_table(small: Small) -> None:
    result = run("scan", "--repo", str(small.git.path))
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == [
        "small: 5 nodes, scanned 2026-01-01T00:00:00+00:00",
        "",
        " node            tier           ahead  behind  days  carried  upstr.    +/-  confl.",
        " " + "─" * 82,
        " central         root",
        " ├─ eng          decentralized      2       5   777        2       0  +2/-2       1",
        " │  └─ eng-aero  developer          2       0   777        2       0  +1/-0",
        " ├─ agri         decentralized      2       4   777        1       1  +1/-1",
        " └─ vet          central            1       3   776        1       0  +1/-1",
        "",
        "Needs attention:",
        "  eng: update would conflict in 1 file(s)",
        "    conflicting files: app.py",
        "  vet: central tier but carries 1 local commit(s)",
        "",
        "Unmet needs: 85.7% (6 of 7 needs the parents do not ship yet; 0 local change(s) not counted)",
        "  by tier: central 100.0%, decentralized 75.0%, developer 100.0%",
        "Shared changes (carried by several nodes): 1",
        "  exact-e8917474f9d2  2 nodes  Fix util constant  (eng, agri)",
    ]


def test_scan_markdown(small: Small) -> None:
    result = run("scan", "--repo", str(small.git.path), "--markdown")
    assert result.exit_code == 0
    assert result.stdout == (
        "# small: network scan\n"
        "\n"
        "**Unmet needs: 85.7%** — 6 carried change(s) the parents do not ship, 1 already upstreamed. "
        "Scanned 2026-01-01T00:00:00+00:00.\n"
        "\n"
        "| node | parent | tier | ahead | behind | days since merge base | carried | upstreamed | +/- | conflicts | attention |\n"
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |\n"
        "| `central` | | root | | | | | | | |  |\n"
        "| &nbsp;&nbsp;`eng` | central | decentralized | 2 | 5 | 777 | 2 | 0 | +2/-2 | `app.py` | update would conflict in 1 file(s) |\n"
        "| &nbsp;&nbsp;&nbsp;&nbsp;`eng-aero` | eng | developer | 2 | 0 | 777 | 2 | 0 | +1/-0 |  |  |\n"
        "| &nbsp;&nbsp;`agri` | central | decentralized | 2 | 4 | 777 | 1 | 1 | +1/-1 |  |  |\n"
        "| &nbsp;&nbsp;`vet` | central | central | 1 | 3 | 776 | 1 | 0 | +1/-1 |  | central tier but carries 1 local commit(s) |\n"
        "\n"
        "## Shared changes (1)\n"
        "\n"
        "| change | kind | nodes | summary | proposed to |\n"
        "| --- | --- | --- | --- | --- |\n"
        "| `exact-e8917474f9d2` | exact | eng, agri | Fix util constant | central |\n"
    )


def test_scan_json_is_the_documented_format(small: Small) -> None:
    result = run("scan", "--repo", str(small.git.path), "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert sorted(report) == [
        "commits",
        "network",
        "nodes",
        "problems",
        "scanned_at",
        "shared",
        "unmet_needs",
        "version",
    ]
    assert (report["version"], report["network"], report["scanned_at"]) == (1, "small", "2026-01-01T00:00:00+00:00")
    eng = report["nodes"][1]
    assert sorted(eng) == [
        "ahead",
        "behind",
        "carried",
        "conflicts",
        "days_since_merge_base",
        "diffstat",
        "head",
        "local",
        "merge_base",
        "merge_base_date",
        "merged",
        "met_by",
        "name",
        "needs",
        "parent",
        "problems",
        "ref",
        "similar_met",
        "tier",
        "unreadable",
        "upstreamed",
    ]
    ids = small.ids
    assert {
        k: eng[k]
        for k in (
            "name",
            "parent",
            "tier",
            "ref",
            "head",
            "merge_base",
            "ahead",
            "behind",
            "carried",
            "upstreamed",
            "unreadable",
            "conflicts",
        )
    } == {
        "name": "eng",
        "parent": "central",
        "tier": "decentralized",
        "ref": "refs/heads/eng",
        "head": ids["e2"],
        "merge_base": ids["c2"],
        "ahead": 2,
        "behind": 5,
        "carried": [ids["e1"], ids["e2"]],
        "upstreamed": [],
        "unreadable": [],
        "conflicts": ["app.py"],
    }
    commit = report["commits"][ids["e1"]]
    assert commit == {
        "summary": "Fix util constant",
        "author": "Test Author",
        "email": "author@example.edu",
        "date": commit["date"],
        "patch_id": small.git.patch_id(ids["e1"]),
        "insertions": 1,
        "deletions": 1,
        "paths": ["lib/util.py"],
        "committed": commit["date"],
        "trailers": {},
        "local": False,
    }
    assert report["shared"] == [
        {
            "id": "exact-e8917474f9d2",
            "kind": "exact",
            "nodes": ["eng", "agri"],
            "commits": sorted([ids["a1"], ids["e1"]]),
            "patch_id": small.git.patch_id(ids["e1"]),
            "summary": "Fix util constant",
            "patch_ids": [small.git.patch_id(ids["e1"])],
            "authors": ["Test Author <author@example.edu>"],
            "paths": ["lib/util.py"],
            "first_seen": report["commits"][ids["e1"]]["date"],
            "insertions": 1,
            "deletions": 1,
            "score": None,
            "target": "central",
            "variants": [{"nodes": ["eng", "agri"], "commits": [ids["e1"]]}],
        }
    ]
    assert report["unmet_needs"] == {
        "percent": 85.7,
        "unmet": 6,
        "met": 1,
        "local": 0,
        "weight": "changes",
        "by_tier": {
            "central": {"percent": 100.0, "unmet": 1, "met": 0},
            "decentralized": {"percent": 75.0, "unmet": 3, "met": 1},
            "developer": {"percent": 100.0, "unmet": 2, "met": 0},
        },
        "declared": None,
    }
    assert eng["needs"] == {"unmet": 2, "met": 0, "local": 0, "percent": 100.0}


def test_second_scan_reads_the_store_and_records_history(small: Small) -> None:
    first = run("scan", "--repo", str(small.git.path), "--json")
    second = run("scan", "--repo", str(small.git.path), "--json")
    assert first.stdout == second.stdout
    assert (small.git.path / ".forkflow" / "store.sqlite").exists()
    assert Git(small.git.path)("status", "--porcelain") == ""  # the store never shows as a change


def test_json_and_markdown_together_is_a_usage_error(small: Small) -> None:
    result = run("scan", "--repo", str(small.git.path), "--json", "--markdown")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == "Error: choose one of --json and --markdown"


def test_bare_repository_reads_the_manifest_from_head(small: Small, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    Git(tmp_path)("clone", "-q", "--mirror", str(small.git.path), str(bare))
    result = run("scan", "--repo", str(bare), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [node["ahead"] for node in report["nodes"]] == [0, 2, 2, 2, 1]


def test_outside_a_repository(tmp_path: Path) -> None:
    result = run("scan", "--repo", str(tmp_path))
    assert result.exit_code == 1
    assert result.output == f"error: {tmp_path}: not inside a git repository; run inside a clone or pass --repo PATH\n"


@pytest.mark.parametrize("command", [[], ["scan"], ["fetch"], ["demo"]])
def test_every_command_explains_itself(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: main {' '.join(command)}".rstrip() + " [OPTIONS]")
    assert len(result.output.splitlines()) > 8


def test_json_report_validates_against_the_published_schema(small: Small) -> None:
    published = json.loads((Path(__file__).parents[2] / "docs" / "scan-report.schema.json").read_text())
    printed = json.loads(run("scan", "--schema").stdout)
    assert printed == published  # docs/scan-report.schema.json is `forkflow scan --schema`
    report = json.loads(run("scan", "--repo", str(small.git.path), "--json").stdout)
    jsonschema.validate(report, published)
    report["nodes"][1]["ahead"] = "two"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(report, published)


def test_unexpected_errors_exit_3_with_the_traceback_in_a_log(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped, handle_errors():
        raise ValueError("a bug")
    assert stopped.value.code == 3
    line = capsys.readouterr().err
    assert line.startswith("forkflow: unexpected error; the traceback is in ") and line.endswith(
        ". Please report it.\n"
    )
    log = Path(line.split(" is in ")[1].split(". Please")[0])
    assert "ValueError: a bug" in log.read_text()
    log.unlink()


def test_interrupts_exit_130(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped, handle_errors():
        raise KeyboardInterrupt
    assert stopped.value.code == 130
    assert capsys.readouterr().err == "interrupted; nothing was left half-written\n"


def test_a_cached_report_is_brought_to_the_day_it_is_read(small: Small, monkeypatch: pytest.MonkeyPatch) -> None:
    small.git.checkout("agri")
    small.git.commit("Añadir calendario de cosecha", {"cosecha.md": "maíz\n"})  # non-ASCII goes out as UTF-8
    small.git.checkout("main")
    first = run("scan", "--repo", str(small.git.path), "--json")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(JAN_2026) + 60))  # the same day: the cached text, restamped
    later = run("scan", "--repo", str(small.git.path), "--json")
    assert later.stdout_bytes == run("scan", "--repo", str(small.git.path), "--json", "--no-cache").stdout_bytes
    assert later.stdout_bytes != first.stdout_bytes
    assert json.loads(later.stdout)["scanned_at"] == "2026-01-01T00:01:00+00:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(JAN_2026) + 40 * 86400))  # ages moved: printed again
    cached = run("scan", "--repo", str(small.git.path), "--json")
    fresh = run("scan", "--repo", str(small.git.path), "--json", "--no-cache")
    assert cached.exit_code == fresh.exit_code == 0, cached.output
    assert cached.stdout_bytes == fresh.stdout_bytes
    assert run("scan", "--repo", str(small.git.path), "--json").stdout_bytes == cached.stdout_bytes
    assert "Añadir calendario de cosecha".encode() in cached.stdout_bytes
    then, now = json.loads(first.stdout), json.loads(cached.stdout)
    assert now["scanned_at"] == "2026-02-10T00:00:00+00:00"
    ages = {node["name"]: node["days_since_merge_base"] for node in then["nodes"] if node["parent"]}
    assert {node["name"]: node["days_since_merge_base"] for node in now["nodes"] if node["parent"]} == {
        name: age + 40 for name, age in ages.items()
    }


def test_the_history_keeps_each_scans_figures_not_its_report(small: Small) -> None:
    from forkflow.needs.figure import Weight, reweigh
    from forkflow.scan.pipeline import scan_network
    from forkflow.workspace import open_workspace

    run("scan", "--repo", str(small.git.path), "--json")  # from the document
    space = open_workspace(small.git.path)
    report = scan_network(space.network, space.repo, None, policy=space.policy)  # no store: computed afresh
    expected = {weight.value: reweigh(report, weight).unmet_needs.percent for weight in Weight}
    assert [scan["figures"] for scan in space.store.scans("small")] == [expected]
    run("scan", "--repo", str(small.git.path))  # from the report's model, at the same time
    scans = space.store.scans("small")
    assert [scan["figures"] for scan in scans] == [expected]  # the same scan: kept once (a second would differ)
    assert all(scan["nodes"] == 5 and scan["problems"] == 0 for scan in scans)
    assert expected["changes"] != expected["lines"]


READ_ONLY = [
    ["fetch", "--dry-run"],
    ["sync", "--dry-run"],
    ["propose", "--dry-run"],
    ["proposals", "list"],
    ["retire", "agri", "--dry-run"],
]


def _files(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.rglob("*")}


def test_read_only_commands_write_nothing(small: Small) -> None:
    repo = small.git.path
    cold = {}
    for args in READ_ONLY:
        result = run(*args, "--repo", str(repo))
        assert result.exit_code in (0, 4), (args, result.output)
        cold[args[0]] = result.stdout
        assert not (repo / ".forkflow").exists(), args  # not even the folder
    assert run("scan", "--repo", str(repo)).exit_code == 0
    kept = _files(repo / ".forkflow")
    assert "store.sqlite" in kept
    for args in READ_ONLY:
        result = run(*args, "--repo", str(repo))
        assert result.stdout == cold[args[0]], args  # the same answer, from the store's copy in memory
        assert _files(repo / ".forkflow") == kept, args  # no file written, none made (no -wal, no -shm)
    assert Git(repo)("status", "--porcelain") == ""
