"""The scan report: the versioned, documented format that ``forkflow scan --json`` prints.

Bots and scripts read it, so fields are only ever added within a version; see
``docs/scan-report.md`` for what each field means.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from forkflow.types import Tier

REPORT_VERSION = 1


class Diffstat(BaseModel):
    """Lines and files the carried changes touch, summed over the carried commits."""

    model_config = ConfigDict(frozen=True)

    files: int = 0
    insertions: int = 0
    deletions: int = 0


class NodeReport(BaseModel):
    """One node compared with its parent."""

    model_config = ConfigDict(frozen=True)

    name: str
    parent: str | None
    tier: Tier
    ref: str
    head: str | None = None
    merge_base: str | None = None
    merge_base_date: str | None = None
    days_since_merge_base: int | None = None
    ahead: int = 0
    behind: int = 0
    carried: list[str] = Field(default_factory=list)
    upstreamed: list[str] = Field(default_factory=list)
    unreadable: list[str] = Field(default_factory=list)
    conflicts: list[str] = Field(default_factory=list)
    diffstat: Diffstat = Diffstat()
    problems: list[str] = Field(default_factory=list)

    @property
    def scanned(self) -> bool:
        return self.head is not None


class CommitReport(BaseModel):
    """What the report says about one carried or upstreamed commit."""

    model_config = ConfigDict(frozen=True)

    summary: str
    author: str
    email: str
    date: str
    patch_id: str | None
    insertions: int
    deletions: int
    paths: list[str]


class SharedChange(BaseModel):
    """A change that several nodes carry."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    nodes: list[str]
    commits: list[str]
    patch_id: str | None = None
    summary: str = ""


class UnmetNeeds(BaseModel):
    """The headline figure: the share of the nodes' observed needs the parent does not ship."""

    model_config = ConfigDict(frozen=True)

    percent: float
    unmet: int
    met: int


class Problem(BaseModel):
    """Something that kept part of the network from being scanned."""

    model_config = ConfigDict(frozen=True)

    node: str | None
    field: str | None
    message: str

    def line(self, manifest: str) -> str:
        where = manifest
        if self.node is not None:
            where += f": node {self.node!r}"
        if self.field is not None:
            where += f": field {self.field!r}"
        return f"{where}: {self.message}"


class ScanReport(BaseModel):
    """``forkflow scan --json``, version 1."""

    model_config = ConfigDict(frozen=True)

    version: int = REPORT_VERSION
    network: str
    scanned_at: str
    nodes: list[NodeReport]
    commits: dict[str, CommitReport] = Field(default_factory=dict)
    shared: list[SharedChange] = Field(default_factory=list)
    unmet_needs: UnmetNeeds
    problems: list[Problem] = Field(default_factory=list)

    def node(self, name: str) -> NodeReport:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)


def report_schema() -> dict[str, object]:
    """The JSON Schema of the scan report (published as docs/scan-report.schema.json)."""
    schema = ScanReport.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://forkflow.invalid/schemas/scan-report-{REPORT_VERSION}.json"
    return schema
