"""``forkflow report --junit FILE``: the network's checks as a JUnit XML file, for any CI.

One test suite per node, one test case per check: the node was scanned, its drift is within the
policy's limits, each policy rule (local changes, protected paths, security fixes), the update
from its parent merges cleanly (conflict prediction), and no shared change it carries waits for
a proposal.  A failing case's ``message`` names the evidence (numbers, files, the rule) and the
fix (the command to run); its text lists the commits and files.  Jenkins' ``junit`` step, GitLab's
``artifacts: reports: junit`` and most other CI systems show the file natively, with trends over
builds.  The format is the one of the JUnit XSD Jenkins reads (``tests/data/junit/junit-10.xsd``).

Names, paths and summaries come from manifests and commits, which nobody here controls: the
XML is built with :mod:`xml.etree.ElementTree` (which escapes markup) and characters XML 1.0
cannot hold (control characters, lone surrogates) become U+FFFD, so no text breaks the file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field

from forkflow.model import NodeReport
from forkflow.policy.check import Violation
from forkflow.report.document import ReportInput, waiting

# Everything XML 1.0 allows (https://www.w3.org/TR/xml/#charsets), negated.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
LIST_AT_MOST = 50  # commits or files listed in a failure's text; the rest are counted


@dataclass(frozen=True)
class Case:
    """One check of one node: passed (no failure), failed, an error, or skipped."""

    name: str
    failure: str | None = None  # the one-line message: evidence, then the fix
    kind: str = ""  # the rule or check that failed (the failure's type)
    details: list[str] = field(default_factory=list)
    error: bool = False  # the check could not be made (the node was not scanned)
    skipped: str | None = None


def xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def node_cases(data: ReportInput, node: NodeReport, violations: Sequence[Violation]) -> list[Case]:
    """The checks of one node, in a fixed order (a CI's trend follows each by its name)."""
    if not node.scanned:
        reason = "; ".join(node.problems or ["its ref is missing"])
        fix = f"`forkflow fetch` brings it in; check its url or ref in the manifest (node {node.name!r})"
        cases = [Case("scanned", f"{node.name} was not scanned: {reason}. Fix: {fix}", "not-scanned", error=True)]
        return cases + [Case(name, skipped="not scanned") for name in CHECKS] if node.parent else cases
    if node.parent is None:
        return [Case("scanned")]
    mine = [v for v in violations if v.node == node.name]
    return [
        Case("scanned"),
        _rule_case("drift within limits", [v for v in mine if v.rule.startswith("divergence.")], node),
        _rule_case("policy: local changes", [v for v in mine if v.rule.endswith(".local_changes")], node),
        _rule_case("policy: protected paths", [v for v in mine if v.rule == "protected_paths"], node),
        _rule_case("policy: security fixes", [v for v in mine if v.rule.startswith("security.")], node),
        _conflict_case(node),
        _waiting_case(data, node),
    ]


CHECKS = (
    "drift within limits",
    "policy: local changes",
    "policy: protected paths",
    "policy: security fixes",
    "conflict prediction",
    "proposals waiting",
)


def _rule_case(name: str, found: Sequence[Violation], node: NodeReport) -> Case:
    if not found:
        return Case(name)
    message = "; ".join(f"{v.message} ({v.rule})" for v in found)
    fixes = "; ".join(dict.fromkeys(v.fix for v in found))
    details = [f"{node.name}: {node.ahead} ahead, {node.behind} behind its parent {node.parent}"]
    for v in found:
        details += [f"{v.rule}: {v.message}"]
        details += _listed("commit", v.commits) + _listed("file", v.paths)
    return Case(name, f"{node.name}: {message}. Fix: {fixes}", ",".join(v.rule for v in found), details)


def _conflict_case(node: NodeReport) -> Case:
    if not node.conflicts:
        return Case("conflict prediction")
    files = ", ".join(node.conflicts[:5]) + (f" and {len(node.conflicts) - 5} more" if len(node.conflicts) > 5 else "")
    fix = (
        f"merge {node.parent} into {node.name} and resolve the conflicts (`forkflow sync --node {node.name}` "
        "opens the update as a proposal to resolve them in)"
    )
    message = f"{node.name}: the update from {node.parent} would conflict in {len(node.conflicts)} file(s): {files}"
    return Case("conflict prediction", f"{message}. Fix: {fix}", "conflicts", _listed("file", node.conflicts))


def _waiting_case(data: ReportInput, node: NodeReport) -> Case:
    changes = [c for c in waiting(data) if node.name in c.nodes]
    if not changes:
        return Case("proposals waiting")
    ids = ", ".join(c.id for c in changes[:5]) + (f" and {len(changes) - 5} more" if len(changes) > 5 else "")
    message = f"{node.name} carries {len(changes)} shared change(s) with no proposal yet: {ids}"
    fix = "`forkflow propose` opens them (`forkflow propose --dry-run` shows the plan)"
    details = [f"{c.id} ({c.kind}, {len(c.nodes)} nodes: {', '.join(c.nodes)}): {c.summary}" for c in changes]
    return Case("proposals waiting", f"{message}. Fix: {fix}", "bubble_up", details)


def _listed(what: str, items: Sequence[str]) -> list[str]:
    shown = [f"{what}: {item}" for item in items[:LIST_AT_MOST]]
    return shown + ([f"... and {len(items) - LIST_AT_MOST} more"] if len(items) > LIST_AT_MOST else [])


def report_junit(data: ReportInput, violations: Sequence[Violation]) -> bytes:
    """The JUnit XML file (UTF-8, with its declaration): one ``<testsuite>`` per node."""
    report = data.report
    top = ET.Element("testsuites", name=xml_text(f"forkflow: {report.network}"))
    totals = [0, 0, 0]
    for node in report.nodes:
        cases = node_cases(data, node, violations)
        counts = _suite(top, report.network, report.scanned_at, node, cases)
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
    top.set("tests", str(totals[0]))
    top.set("failures", str(totals[1]))
    top.set("errors", str(totals[2]))
    ET.indent(top)
    text: bytes = ET.tostring(top, encoding="utf-8", xml_declaration=True)
    return text + b"\n"


def pull_request_junit(network: str, number: int, when: str, found: Sequence[Violation]) -> bytes:
    """A pull request's (a merge request's) policy check as JUnit XML: one suite, one case per rule."""
    top = ET.Element("testsuites", name=xml_text(f"forkflow: {network}"))
    cases = [
        _pull_request_case("policy: protected paths", [v for v in found if v.rule == "protected_paths"]),
        _pull_request_case("policy: security fixes", [v for v in found if v.rule.startswith("security.")]),
    ]
    failures = sum(1 for c in cases if c.failure)
    suite = ET.SubElement(
        top, "testsuite", name=f"pull request {number}", tests="2", failures=str(failures), errors="0"
    )
    suite.set("timestamp", xml_text(when))
    for case in cases:
        element = ET.SubElement(suite, "testcase", name=case.name, classname=xml_text(f"{network}.pull-request"))
        if case.failure is not None:
            failed = ET.SubElement(element, "failure", message=xml_text(case.failure), type=xml_text(case.kind))
            failed.text = xml_text("\n".join(case.details))
    top.set("tests", "2")
    top.set("failures", str(failures))
    top.set("errors", "0")
    ET.indent(top)
    text: bytes = ET.tostring(top, encoding="utf-8", xml_declaration=True)
    return text + b"\n"


def _pull_request_case(name: str, found: Sequence[Violation]) -> Case:
    if not found:
        return Case(name)
    message = "; ".join(f"{v.node}: {v.message} ({v.rule})" for v in found)
    fixes = "; ".join(dict.fromkeys(v.fix for v in found))
    details = [line for v in found for line in [f"{v.rule}: {v.message}", *_listed("commit", v.commits)]]
    details += [line for v in found for line in _listed("file", v.paths)]
    return Case(name, f"{message}. Fix: {fixes}", ",".join(v.rule for v in found), details)


def _suite(top: ET.Element, network: str, when: str, node: NodeReport, cases: list[Case]) -> tuple[int, int, int]:
    failures = sum(1 for c in cases if c.failure and not c.error)
    errors = sum(1 for c in cases if c.error)
    suite = ET.SubElement(
        top,
        "testsuite",
        name=xml_text(node.name),
        tests=str(len(cases)),
        failures=str(failures),
        errors=str(errors),
        skipped=str(sum(1 for c in cases if c.skipped)),
        timestamp=xml_text(when),
    )
    properties = ET.SubElement(suite, "properties")
    facts = {"tier": node.tier.value, "parent": node.parent or "", "ahead": node.ahead, "behind": node.behind}
    for name, value in facts.items():
        ET.SubElement(properties, "property", name=name, value=xml_text(str(value)))
    for case in cases:
        element = ET.SubElement(suite, "testcase", name=case.name, classname=xml_text(f"{network}.{node.name}"))
        if case.skipped is not None:
            ET.SubElement(element, "skipped", message=case.skipped)
        elif case.failure is not None:
            tag = "error" if case.error else "failure"
            failed = ET.SubElement(element, tag, message=xml_text(case.failure), type=xml_text(case.kind))
            failed.text = xml_text("\n".join(case.details)) if case.details else None
    return len(cases), failures, errors
