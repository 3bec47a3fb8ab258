"""``forkflow report --junit``: the checks as JUnit XML, valid against the JUnit XSD Jenkins reads.

The schema is the Jenkins xUnit plugin's ``junit-10.xsd`` (``tests/data/junit``, MIT), checked
with xmlschema, a real XSD 1.0 validator.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from click.testing import CliRunner, Result

from forkflow.cli import main
from forkflow.report.junit import xml_text
from tests.networks import Small, build_small

JAN_2026 = "1767225600"
DATA = Path(__file__).resolve().parents[1] / "data"
SCHEMA = xmlschema.XMLSchema(DATA / "junit" / "junit-10.xsd")
EXPECTED = DATA / "small-report.junit.xml"
CHECKS = [
    "scanned",
    "drift within limits",
    "policy: local changes",
    "policy: protected paths",
    "policy: security fixes",
    "conflict prediction",
    "proposals waiting",
]


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Small:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", JAN_2026)
    return build_small(tmp_path / "small")


def junit(small: Small, out: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["report", "--repo", str(small.git.path), "--junit", str(out), *args])


def failures(path: Path) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(suite, case) -> (tag, type, message) of every failing or erring case."""
    found = {}
    for suite in ET.parse(path).getroot():
        for case in suite.iter("testcase"):
            for bad in case:
                if bad.tag in ("failure", "error"):
                    found[suite.get("name", ""), case.get("name", "")] = (
                        bad.tag,
                        bad.get("type", ""),
                        bad.get("message", ""),
                    )
    return found


def test_one_suite_per_node_one_case_per_check_valid_against_the_xsd(small: Small, tmp_path: Path) -> None:
    out = tmp_path / "junit.xml"
    result = junit(small, out)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"JUnit report written to {out}\n"
    SCHEMA.validate(out)
    assert out.read_text() == EXPECTED.read_text()
    root = ET.parse(out).getroot()
    assert [s.get("name") for s in root] == ["central", "eng", "eng-aero", "agri", "vet"]
    assert [c.get("name") for c in root[1].iter("testcase")] == CHECKS
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("29", "7", "0")
    found = failures(out)
    assert {key: value[1] for key, value in found.items()} == {
        ("eng", "drift within limits"): "divergence.max_age_days",
        ("eng", "conflict prediction"): "conflicts",
        ("eng", "proposals waiting"): "bubble_up",
        ("agri", "drift within limits"): "divergence.max_age_days",
        ("agri", "proposals waiting"): "bubble_up",
        ("vet", "drift within limits"): "divergence.max_age_days",
        ("vet", "policy: local changes"): "tiers.central.local_changes",
    }
    # the evidence (numbers, files, the rule) and the fix (the command) in the message itself
    assert found["eng", "conflict prediction"][2] == (
        "eng: the update from central would conflict in 1 file(s): app.py. Fix: merge central into eng and resolve "
        "the conflicts (`forkflow sync --node eng` opens the update as a proposal to resolve them in)"
    )
    assert (
        "777 days" in found["eng", "drift within limits"][2]
        and "the limit is 730" in found["eng", "drift within limits"][2]
    )
    assert "Fix: `forkflow sync --node eng`" in found["eng", "drift within limits"][2]
    assert "`forkflow contribute --node vet`" in found["vet", "policy: local changes"][2]


def test_markup_and_control_characters_from_commits_and_manifests_do_not_break_the_file(
    small: Small, tmp_path: Path
) -> None:
    """A commit message carries markup, quotes and terminal escapes; a node's ref is missing."""
    git = small.git
    hostile = 'Fix <b>"x"</b> & \x1b[31mred\x1b[0m ]]> \x01'
    git.checkout("eng")
    change = git.commit(hostile, {"hostile.txt": "same\n"})
    git.checkout("agri")
    git.cherry_pick(change)
    git.checkout("main")
    manifest = git.path / "forkflow.toml"
    manifest.write_text(
        manifest.read_text() + '\n[[node]]\nname = "gone"\nparent = "central"\ntier = "developer"\n'
        'ref = "refs/heads/gone"\n'
    )
    out = tmp_path / "junit.xml"
    result = junit(small, out)
    assert result.exit_code == 0, result.output
    SCHEMA.validate(out)
    [detail] = [
        f.text or ""
        for f in ET.parse(out).getroot().iter("failure")
        if f.get("type") == "bubble_up" and "Fix <b>" in (f.text or "")
    ][:1]
    assert 'Fix <b>"x"</b> & \ufffd[31mred\ufffd[0m ]]> \ufffd' in detail
    gone = ET.parse(out).getroot()[-1]
    assert gone.get("name") == "gone"
    assert (gone.get("tests"), gone.get("errors"), gone.get("skipped")) == ("7", "1", "6")
    error = gone.find("testcase/error")
    assert error is not None and error.get("type") == "not-scanned"
    assert (error.get("message") or "").startswith("gone was not scanned: ")
    assert "Fix: `forkflow fetch`" in (error.get("message") or "")


def test_xml_text_keeps_what_xml_holds_and_replaces_the_rest() -> None:
    assert xml_text("tab\tnew\nline é 😀 <&>") == "tab\tnew\nline é 😀 <&>"
    assert xml_text("a\x00b\x08c\x7fd\ud800e\ufffef") == "a\ufffdb\ufffdc\x7fd\ufffde\ufffdf"


def test_an_unwritable_junit_file_is_one_line_naming_it(small: Small, tmp_path: Path) -> None:
    out = tmp_path / "missing" / "junit.xml"
    result = junit(small, out)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {out}: the report cannot be written (")
    assert not out.parent.exists()
