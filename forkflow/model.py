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


class NodeNeeds(BaseModel):
    """One node's needs: carried changes (unmet) and changes its parent shipped (met)."""

    model_config = ConfigDict(frozen=True)

    unmet: int = 0
    met: int = 0
    local: int = 0
    percent: float = 0.0


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
    merged: list[str] = Field(default_factory=list, description="own commits the parent reached through a merge")
    similar_met: list[str] = Field(
        default_factory=list, description="carried commits the parent has a similar change for (met, not unmet)"
    )
    met_by: dict[str, str] = Field(
        default_factory=dict, description="for every met commit, the parent's commit that met it"
    )
    local: list[str] = Field(default_factory=list, description="carried commits meant to stay local (not needs)")
    needs: NodeNeeds = NodeNeeds()

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
    committed: str | None = Field(None, description="the committer date: when it reached the branch it is on")
    trailers: dict[str, list[str]] = Field(default_factory=dict, description="the message's trailers, by key")
    local: bool = Field(False, description="meant to stay local: local_paths only, or Forkflow-Local: yes")


class Variant(BaseModel):
    """One way the nodes carry a shared change: the nodes and the commits (oldest first) of one of them."""

    model_config = ConfigDict(frozen=True)

    nodes: list[str]
    commits: list[str]


class SharedChange(BaseModel):
    """A change that several nodes carry: the same patch (exact) or similar changes (similar)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="stays the same across runs: from the patch-ids of the (oldest) variant")
    kind: str = Field(description="exact (the same patch-ids) or similar (see README: similar changes)")
    nodes: list[str] = Field(description="the carriers, tree order")
    commits: list[str] = Field(description="every carrier's commits of this change")
    patch_id: str | None = Field(None, description="the first patch-id of the oldest variant")
    summary: str = ""
    patch_ids: list[str] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list, description="'Name <email>' of every commit's author")
    paths: list[str] = Field(default_factory=list)
    first_seen: str | None = Field(None, description="the earliest author date of its commits")
    insertions: int = 0
    deletions: int = 0
    score: float | None = Field(None, description="similar changes: the weakest similarity between two variants")
    target: str | None = Field(None, description="where it is proposed: the carriers' nearest common ancestor")
    variants: list[Variant] = Field(default_factory=list, description="most carried first for exact changes")

    @property
    def size(self) -> int:
        return self.insertions + self.deletions

    @property
    def readable(self) -> bool:
        """False for an exact change known by its commit ids alone: several nodes carry the same
        commits but their diff cannot be read (objects missing), so it has no patch-id, paths or size."""
        return self.kind != "exact" or bool(self.patch_ids)


class TierNeeds(BaseModel):
    model_config = ConfigDict(frozen=True)

    percent: float
    unmet: int
    met: int


class DeclaredNeed(BaseModel):
    """One need of the register (needs.toml in central), and whether central ships it."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    nodes: list[str]
    met: bool
    commits: list[str] = Field(default_factory=list, description="commits with its Need: trailer that central has")


class DeclaredNeeds(BaseModel):
    model_config = ConfigDict(frozen=True)

    percent: float
    unmet: int
    met: int
    needs: list[DeclaredNeed]


class UnmetNeeds(BaseModel):
    """The headline figure: the share of the needs ever observed that the parents do not ship yet."""

    model_config = ConfigDict(frozen=True)

    percent: float
    unmet: int
    met: int
    local: int = 0
    weight: str = Field("changes", description="changes (each need counts 1) or lines (changed lines)")
    by_tier: dict[str, TierNeeds] = Field(default_factory=dict)
    declared: DeclaredNeeds | None = None


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


class ScanSummary(BaseModel):
    """What the store's history keeps of a scan: its figures, not its report (which can be tens of MB)."""

    model_config = ConfigDict(frozen=True)

    network: str
    scanned_at: str
    nodes: int
    problems: int
    unmet_needs: UnmetNeeds
    figures: dict[str, float] = Field(description="the unmet-needs percentage by every weight (changes, lines)")

    @classmethod
    def of(cls, report: ScanReport, figures: dict[str, float]) -> ScanSummary:
        return cls(
            network=report.network,
            scanned_at=report.scanned_at,
            nodes=len(report.nodes),
            problems=len(report.problems),
            unmet_needs=report.unmet_needs,
            figures=figures,
        )


def report_schema() -> dict[str, object]:
    """The JSON Schema of the scan report (published as docs/scan-report.schema.json)."""
    schema = ScanReport.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://forkflow.invalid/schemas/scan-report-{REPORT_VERSION}.json"
    return schema
