"""The scan report as the store keeps it: its key (every input of the scan), its text, and its refresh
to a later day."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_core import from_json, to_json

from forkflow.changes.shared import SHARED_VERSION
from forkflow.collector import collector_paused
from forkflow.model import (
    REPORT_VERSION,
    Problem,
    ScanReport,
    ScanSummary,
)
from forkflow.needs.figure import scan_summary
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy
from forkflow.scan.compare import (
    PAIR_VERSION,
)

CACHED_FORMAT = 2
"""How the store caches a whole report (:class:`CachedReport`); a cache of another format is never read."""


class ScanDocument:
    """A scan's report as ``forkflow scan --json`` prints it, its model, and what the history
    keeps of it: each made only when asked, from what the scan has (the cached text, or the
    model it computed), so a warm scan that only prints builds no model."""

    def __init__(
        self, *, report: ScanReport | None = None, text: bytes | None = None, summary: ScanSummary | None = None
    ):
        self._report, self._text, self._summary = report, text, summary

    @property
    def text(self) -> bytes:
        if self._text is None:
            with collector_paused():
                self._text = report_json(self.report().model_dump(mode="json"))
        return self._text

    def report(self) -> ScanReport:
        if self._report is None:
            with collector_paused():
                self._report = ScanReport.model_validate(from_json(self.text))
        return self._report

    @property
    def summary(self) -> ScanSummary:
        if self._summary is None:
            self._summary = scan_summary(self.report())
        return self._summary

    @property
    def problems(self) -> list[Problem]:
        """What kept part of the network from being scanned (a cached report has nothing of the kind)."""
        return self._report.problems if self._report is not None else []


def report_json(document: dict[str, Any]) -> bytes:
    """``forkflow scan --json``'s text of a report's document: indented by 2, in UTF-8.

    pydantic-core writes it; json.dumps with an indent runs in pure Python, ten times slower
    (3.3 s against 0.24 s on a 10,000-node report).
    """
    return to_json(document, indent=2)


_STAMP = b'\n  "scanned_at": "'
"""Where the scan time is in a report's text: no string value holds a newline, and no other field is at this indent."""


def restamped(text: bytes, stamp: str) -> bytes:
    start = text.index(_STAMP) + len(_STAMP)
    return text[:start] + stamp.encode() + text[text.index(b'"', start) :]


def days_since(now: datetime, date: str) -> int:
    return max(0, (now - datetime.fromisoformat(date)).days)


@dataclass(frozen=True)
class CachedReport:
    """A report as the store caches it: a line of what the history keeps of it and of the
    merge-base dates its ages count from, then the report as ``forkflow scan --json`` prints it."""

    text: bytes
    summary: ScanSummary
    dates: list[str]

    @classmethod
    def of(cls, report: ScanReport) -> CachedReport:
        with collector_paused():
            text = report_json(report.model_dump(mode="json"))
        dates = sorted({node.merge_base_date for node in report.nodes if node.merge_base_date is not None})
        return cls(text, scan_summary(report), dates)

    def encode(self) -> str:
        head = json.dumps({"summary": self.summary.model_dump(mode="json"), "dates": self.dates})
        return head + "\n" + self.text.decode()

    @classmethod
    def decode(cls, cached: str) -> CachedReport:
        head, _, text = cached.partition("\n")
        kept = json.loads(head)
        return cls(text.encode(), ScanSummary.model_validate(kept["summary"]), kept["dates"])


@dataclass(frozen=True)
class ScanInputs:
    """Everything a scan's report is computed from, besides the repository's objects: the
    manifest (every node, its overrides of the policy included), the whole policy, every
    node's head, the abbreviation length git uses in the repository (binary patch-ids), and
    the code that computes it (:func:`~forkflow.codeid.code_id`).

    The scan reads the network and the policy only from here, and each cache's key is a
    digest of all of it (:meth:`key`), so an input cannot change without changing the key.
    Only the manifest's own path is left out: it says where relative urls point, and what
    they held is in the heads.
    The needs declared in ``needs.toml`` and the ``Need:`` trailers are read at central's
    head, which the heads cover.
    """

    network: Network
    policy: Policy
    heads: dict[str, str | None]
    abbrev: int
    code: str

    def key(self, what: str, *, heads: bool = True, extra: Any = None) -> str:
        """The cache key of ``what`` made from these inputs (without the heads: ``heads=False``),
        and ``extra``, what that cache depends on besides them."""
        versions = [REPORT_VERSION, CACHED_FORMAT, PAIR_VERSION, SHARED_VERSION, self.code, self.abbrev]
        material = [
            what,
            versions,
            self.network.manifest.model_dump(mode="json", exclude={"path"}),
            self.policy.model_dump(mode="json"),
            [[name, self.heads[name]] for name in self.network.tree_order()] if heads else None,
            extra,
        ]
        return hashlib.sha256(to_json(material)).hexdigest()


def refreshed(document: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A cached report's document as of ``now``: only the scan time and the ages change (in place)."""
    ages: dict[str, int] = {}  # nodes forked at one point share their merge base's date
    for node in document["nodes"]:
        date = node["merge_base_date"]
        if date is not None:
            age = ages.get(date)
            if age is None:
                age = ages[date] = days_since(now, date)
            node["days_since_merge_base"] = age
    document["scanned_at"] = now.isoformat(timespec="seconds")
    return document
