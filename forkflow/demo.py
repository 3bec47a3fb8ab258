"""``forkflow demo``: build an example network (the Land Grant University) from its history.

An example lives in ``examples/<name>/``: ``product/`` (central's first tree),
``forkflow.toml`` (the network) and ``history.toml`` (the steps that make every node's
history: commits, forks, cherry-picks and merges, with fixed dates so the ids are stable).
Building writes one bare repository per node under ``<dir>/forge/`` and a working
repository, a clone of central holding the manifest, at ``<dir>/work``.
"""

from __future__ import annotations

import shutil
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from forkflow.errors import ConflictError, ExampleError, GitError
from forkflow.forge import Proposal
from forkflow.forge.local import LocalForge
from forkflow.gitrepo import GitRepo
from forkflow.gitrepo.build import EXECUTABLE, REGULAR, FileChange, HistoryBuilder, Person, clone, set_remote_url
from forkflow.manifest.spec import MANIFEST_NAME, load_manifest
from forkflow.model import ScanReport
from forkflow.propose.bubble_up import apply_plan, committer_for, plan_proposals
from forkflow.scan.pipeline import scan_network
from forkflow.shipped import shipped_dirs
from forkflow.workspace import Workspace, open_workspace


class Edit(BaseModel):
    """One edit of a ``commit`` step; exactly one form per edit."""

    model_config = ConfigDict(extra="forbid")

    path: str
    find: str | None = None
    replace: str | None = None
    content: str | None = None
    append: str | None = None
    delete: bool = False
    rename_to: str | None = None
    mode: Literal["100644", "100755"] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Edit:
        forms = [
            self.find is not None,
            self.content is not None,
            self.append is not None,
            self.delete,
            self.rename_to is not None,
            self.mode is not None,
        ]
        if sum(forms) != 1:
            raise ValueError("give exactly one of find/replace, content, append, delete, rename_to, mode")
        if (self.find is None) != (self.replace is None):
            raise ValueError("find and replace go together")
        return self


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["commit", "fork", "pick", "merge"]
    node: str
    date: datetime
    author: str | None = None
    message: str | None = None
    label: str | None = None
    initial: bool = False
    edit: Annotated[list[Edit], Field(default_factory=list)]

    @property
    def when(self) -> int:
        return int(self.date.timestamp())

    def person(self, fallback: Person) -> Person:
        if self.author is None:
            return fallback
        name, _, email = self.author.partition("<")
        return Person(name.strip(), email.rstrip(">").strip())


class History(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: list[Step]


@dataclass(frozen=True)
class BuiltExample:
    root: Path
    work: Path
    manifest: Path
    nodes: dict[str, str]  # node -> head commit


ROBOT = Person("forkflow demo", "demo@forkflow.invalid")


def example_dir(name: str = "landgrant") -> Path:
    """Where an example's files are: inside the installed package, or in a source checkout."""
    for candidate in (folder / name for folder in shipped_dirs("examples")):
        if (candidate / "history.toml").is_file():
            return candidate
    raise ExampleError(f"the example {name!r} is not installed (looked in forkflow/_data and examples/)")


def load_history(path: Path) -> History:
    try:
        return History.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except tomllib.TOMLDecodeError as err:
        raise ExampleError(f"{path}: is not valid TOML: {err}") from err
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ExampleError(f"{path}: {where}: {first['msg']}") from err


def build_example(source: Path, into: Path, *, on_step: Callable[[int, int], None] | None = None) -> BuiltExample:
    """Build the example in ``source`` under the empty (or missing) folder ``into``.

    Everything is built in a hidden folder beside ``into`` and moved into place at the end,
    so an interrupted build leaves nothing half-made behind.
    """
    if into.exists() and any(into.iterdir()):
        raise ExampleError(f"{into} is not empty; pick a new folder for the demo")
    manifest = load_manifest(source / MANIFEST_NAME)
    history = load_history(source / "history.toml")
    into.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{into.name}.partial-", dir=into.parent))
    try:
        heads = _build(source, partial, manifest.model_dump()["nodes"], history, on_step)
        if into.exists():
            into.rmdir()  # empty, as checked above
        partial.rename(into)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    work = into / "work"
    set_remote_url(GitRepo(work), "origin", str(into / "forge" / "central.git"))
    return BuiltExample(into, work, work / MANIFEST_NAME, heads)


def _build(
    source: Path,
    root: Path,
    nodes: list[dict[str, object]],
    history: History,
    on_step: Callable[[int, int], None] | None,
) -> dict[str, str]:
    scratch = GitRepo.init(root / ".build.git", bare=True)
    heads = _replay(HistoryBuilder(scratch), nodes, history, source, on_step)
    for name, head in heads.items():
        scratch.set_ref(f"refs/heads/{name}", head)
        target = root / "forge" / f"{name}.git"
        GitRepo.init(target, bare=True)
        HistoryBuilder(scratch).push(str(target), [f"+refs/heads/{name}:refs/heads/main"])
    shutil.rmtree(root / ".build.git")
    clone(str(root / "forge" / "central.git"), str(root / "work"))
    return heads


def _replay(
    builder: HistoryBuilder,
    nodes: list[dict[str, object]],
    history: History,
    source: Path,
    on_step: Callable[[int, int], None] | None,
) -> dict[str, str]:
    parents = {str(node["name"]): node.get("parent") for node in nodes}
    heads: dict[str, str] = {}
    labels: dict[str, str] = {}
    for number, step in enumerate(history.step, start=1):
        try:
            head = _apply_step(builder, step, parents, heads, labels, source)
        except (ConflictError, GitError, KeyError, ValueError) as err:
            raise ExampleError(f"history.toml: step {number} ({step.kind} on {step.node}): {err}") from err
        heads[step.node] = head
        if step.label is not None:
            labels[step.label] = head
        if on_step is not None:
            on_step(number, len(history.step))
    return heads


def _apply_step(
    builder: HistoryBuilder,
    step: Step,
    parents: dict[str, object],
    heads: dict[str, str],
    labels: dict[str, str],
    source: Path,
) -> str:
    if step.node not in parents:
        raise KeyError(f"no node {step.node!r} in the manifest")
    parent = parents[step.node]
    if step.kind == "fork":
        return heads[str(parent)]
    if step.kind == "pick":
        return builder.cherry_pick(labels[str(step.label)], heads[step.node], step.person(ROBOT), step.when)
    if step.kind == "merge":
        message = step.message or f"Merge {parent} into {step.node}"
        return builder.merge(heads[step.node], heads[str(parent)], step.person(ROBOT), step.when, message)
    if step.initial:
        changes = _product_files(source)
        return builder.commit([], changes, step.person(ROBOT), step.when, str(step.message))
    base = heads[step.node]
    # Edits apply in order: each sees what the edits before it in the same commit wrote.
    tree: dict[str, tuple[bytes, int] | None] = {}

    def read(path: str) -> tuple[bytes, int] | None:
        return tree[path] if path in tree else builder.read(base, path)

    for edit in step.edit:
        for change in _edit(read, edit):
            tree[change.path] = (change.data, change.mode) if change.data is not None else None
    changes = [
        FileChange(path, None) if entry is None else FileChange(path, entry[0], entry[1])
        for path, entry in tree.items()
    ]
    return builder.commit([base], changes, step.person(ROBOT), step.when, str(step.message))


def _product_files(source: Path) -> list[FileChange]:
    product = source / "product"
    changes = [
        FileChange(
            str(path.relative_to(product)), path.read_bytes(), EXECUTABLE if path.stat().st_mode & 0o111 else REGULAR
        )
        for path in sorted(product.rglob("*"))
        if path.is_file()
    ]
    changes.append(FileChange(MANIFEST_NAME, (source / MANIFEST_NAME).read_bytes()))
    return changes


def _edit(read: Callable[[str], tuple[bytes, int] | None], edit: Edit) -> list[FileChange]:
    current = read(edit.path)
    if edit.content is not None:
        return [FileChange(edit.path, edit.content.encode(), current[1] if current else REGULAR)]
    if current is None:
        raise ValueError(f"{edit.path} does not exist")
    data, mode = current
    if edit.delete:
        return [FileChange(edit.path, None)]
    if edit.rename_to is not None:
        return [FileChange(edit.path, None), FileChange(edit.rename_to, data, mode)]
    if edit.mode is not None:
        return [FileChange(edit.path, data, int(edit.mode, 8))]
    if edit.append is not None:
        return [FileChange(edit.path, data + edit.append.encode(), mode)]
    text = data.decode()
    count = text.count(str(edit.find))
    if count != 1:
        raise ValueError(f"{edit.path}: the text to find occurs {count} times, not once")
    return [FileChange(edit.path, text.replace(str(edit.find), str(edit.replace)).encode(), mode)]


@dataclass(frozen=True)
class Round:
    """One bubble-up round of the demo: what was proposed and merged, and the figure before and after."""

    opened: list[Proposal]
    merged: list[Proposal]
    before: ScanReport
    after: ScanReport


def bubble_up_round(space: Workspace, report: ScanReport, now: datetime, *, merge: int = 2) -> Round:
    """Propose every shared change that is ready, merge the ``merge`` biggest that apply, scan again."""
    forge = LocalForge(space.repo, space.store, space.manifest)
    committer = committer_for(space.repo)
    existing = forge.proposals()
    plan = plan_proposals(report, space.network, space.repo, space.policy, existing, committer=committer, now=now)
    opened = apply_plan(plan, forge, now)
    merged = []
    for proposal in [p for p in opened if p.head is not None][:merge]:
        merged.append(forge.merge(proposal.number, committer=committer, when=int(now.timestamp())))
    after = scan_network(space.network, space.repo, space.store, policy=space.policy, now=now)
    return Round(opened, merged, report, after)


def four_years_later(work: Path, forge_dir: Path, now: datetime, before: float) -> tuple[list[str], ScanReport]:
    """The demo's last act: two colleges merge, a new one forms, one closes; then the figure again."""
    from forkflow.lifecycle import apply_lifecycle, plan_merge, plan_provision, plan_retire

    lines = ["", "Four years later:"]
    space = open_workspace(work)
    committer = committer_for(space.repo)
    report = scan_network(space.network, space.repo, space.store, policy=space.policy, now=now)
    merge = plan_merge(
        space,
        report,
        "human-ecology",
        "public-health",
        "health-human-sciences",
        forge_dir / "health-human-sciences.git",
        prefer="public-health",  # each brands the service its own way: keep Public Health's
        committer=committer,
        now=now,
    )
    apply_lifecycle(merge)
    lines.append("  human-ecology and public-health merge into health-human-sciences (their shared changes once)")
    space = open_workspace(work)
    apply_lifecycle(plan_provision(space, "data-science", "central", "developer", forge_dir / "data-science.git"))
    lines.append("  data-science forms, from central's head")
    space = open_workspace(work)
    report = scan_network(space.network, space.repo, space.store, policy=space.policy, now=now)
    forge = LocalForge(space.repo, space.store, space.manifest)
    apply_lifecycle(plan_retire(space, report, forge, "music", committer=committer, now=now))
    lines.append("  music closes: what it still carried is proposed to central, its head archived")
    space = open_workspace(work)
    after = scan_network(space.network, space.repo, space.store, policy=space.policy, now=now)
    figure = after.unmet_needs
    lines.append(
        f"Unmet needs: {before:.1f}% before, {figure.percent:.1f}% after, across {len(after.nodes)} nodes "
        "(the merged college starts on central's head, with only the changes still open)"
    )
    return lines, after


def round_lines(opened: list[Proposal], merged: list[Proposal], before: ScanReport, after: ScanReport) -> list[str]:
    """The demo's bubble-up round in words."""
    lines = ["", f"Bubble-up round: {len(opened)} proposal(s) opened (forkflow proposals list)"]
    for proposal in opened:
        lines.append(f"  #{proposal.number:<3} {proposal.title}  -> {proposal.target} ({len(proposal.carriers)} nodes)")
    for proposal in merged:
        lines.append(f"  merged #{proposal.number} into {proposal.target}: {proposal.title}")
    lines.append(
        f"Unmet needs: {before.unmet_needs.percent:.1f}% before, {after.unmet_needs.percent:.1f}% after "
        f"({after.unmet_needs.met - before.unmet_needs.met} more need(s) met by the parents)"
    )
    old, new = before.unmet_needs.declared, after.unmet_needs.declared
    if old is not None and new is not None:
        lines.append(f"Declared needs (needs.toml) unmet: {old.percent:.1f}% before, {new.percent:.1f}% after")
    return lines
