"""The manifest, ``forkflow.toml``: the network's nodes, their tiers and where their code lives.

Parsing turns every problem into one line that names the file, the node and the field
(:class:`~forkflow.errors.ManifestError`), never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from forkflow.codeid import code_id
from forkflow.errors import ManifestError
from forkflow.manifest.refname import branch_problem, ref_component_problem, ref_name_problem
from forkflow.types import Tier
from forkflow.urls import url_problem

MANIFEST_NAME = "forkflow.toml"


NODES_REF_PREFIX = "refs/forkflow/nodes/"
"""Where fetched nodes' heads live in the working repository."""


def node_ref(name: str) -> str:
    """The ref a fetched node's head lives at: ``refs/forkflow/nodes/<name>``."""
    return NODES_REF_PREFIX + name


class NodeSpec(BaseModel):
    """One ``[[node]]`` table of the manifest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    parent: str | None = None
    tier: Tier = Tier.CENTRAL
    url: str | None = None
    branch: str | None = None
    ref: str | None = None
    owners: tuple[str, ...] = ()
    retired: bool = False
    policy: dict[str, int | float | bool] = Field(
        default_factory=dict, description="this node's overrides of the policy, where the policy allows them"
    )

    @field_validator("name")
    @classmethod
    def _name_is_ref_component(cls, value: str) -> str:
        problem = ref_component_problem(value)
        if problem:
            raise ValueError(f"{value!r} is not a valid node name: it {problem}")
        return value

    @field_validator("ref")
    @classmethod
    def _ref_is_full(cls, value: str | None) -> str | None:
        if value is not None and not (value.startswith("refs/") or value == "HEAD"):
            raise ValueError(f"{value!r} is not a full ref name; write it as refs/heads/... or refs/remotes/...")
        problem = ref_name_problem(value) if value is not None and value != "HEAD" else None
        if problem:
            raise ValueError(f"{value!r} is not a valid ref name: it {problem}")
        return value

    @field_validator("url")
    @classmethod
    def _url_is_fetchable(cls, value: str | None) -> str | None:
        """Refused here, before git sees them: remote helpers (ext::), options (--upload-pack=...), odd text."""
        problem = url_problem(value) if value is not None else None
        if problem:
            raise ValueError(f"{value!r} is refused: it {problem}")
        return value

    @field_validator("branch")
    @classmethod
    def _branch_is_ref(cls, value: str | None) -> str | None:
        problem = branch_problem(value) if value is not None else None
        if problem:
            raise ValueError(f"{value!r} is not a valid branch name: it {problem}")
        return value

    @property
    def head_ref(self) -> str:
        """Where the node's head lives in the working repository."""
        if self.ref is not None:
            return self.ref
        return node_ref(self.name)


class NetworkSpec(BaseModel):
    """The ``[network]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "network"
    policy: str = "default"
    store: str | None = None  # a path, sqlite:///path or postgresql://user@host/db; default .forkflow/
    forge: Literal["local", "github", "gitlab"] | None = None  # where proposals live; default: the command's own

    @field_validator("store")
    @classmethod
    def _no_password(cls, value: str | None) -> str | None:
        if value is not None and re.search(r"://[^/@]*:[^/@]*@", value):
            raise ValueError(
                "has a password; the manifest is committed, so give the password in PGPASSWORD "
                "or ~/.pgpass (or the whole URL in FORKFLOW_STORE) instead"
            )
        return value


class Manifest(BaseModel):
    """The whole manifest as read from one file."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    network: NetworkSpec = NetworkSpec()
    nodes: Annotated[tuple[NodeSpec, ...], Field(alias="node", min_length=1)]
    path: Path = Path(MANIFEST_NAME)

    def node(self, name: str) -> NodeSpec:
        for spec in self.nodes:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def find(self, name: str) -> NodeSpec | None:
        """The node ``name``, or None: for names that come from outside (a forge), which may be any."""
        return next((spec for spec in self.nodes if spec.name == name), None)

    def resolve_url(self, url: str) -> str:
        """A relative local path in ``url`` is taken relative to the manifest's folder."""
        if "://" in url or url.startswith(("git@", "file:")) or Path(url).is_absolute():
            return url
        if ":" in url.split("/", 1)[0]:  # scp-like host:path
            return url
        return str((self.path.parent / url).resolve())


def load_manifest(path: str | Path, *, cache: Path | None = None) -> Manifest:
    """Read and check a manifest file; raise :class:`ManifestError` naming every problem.

    With ``cache`` (a file), the TOML is parsed only when the text differs from the one the
    cache was written from: a 10,000-node manifest takes 0.4 s to parse, and its cached data
    a hundredth of that to read.  The data is checked the same way either way.
    """
    path = Path(path)
    shown = str(path)
    try:
        raw = _parsed(path.read_text(encoding="utf-8"), cache)
    except FileNotFoundError as err:
        raise ManifestError(
            shown, f"no such file; write a {MANIFEST_NAME} (see README) or pass --manifest FILE"
        ) from err
    except (OSError, UnicodeDecodeError) as err:
        raise ManifestError(shown, f"cannot be read: {err}") from err
    except tomllib.TOMLDecodeError as err:
        raise ManifestError(shown, f"is not valid TOML: {err}") from err
    return parse_manifest(raw, path)


def _parsed(text: str, cache: Path | None) -> dict[str, Any]:
    # Keyed by the text and by the code that parsed it (Python's tomllib among it).
    digest = hashlib.sha256(text.encode() + b"\0" + code_id().encode()).hexdigest()
    if cache is not None:
        try:
            kept = json.loads(cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            kept = None
        data = kept.get("data") if isinstance(kept, dict) and kept.get("sha256") == digest else None
        if isinstance(data, dict):
            return data
    raw = tomllib.loads(text)
    if cache is not None:
        _keep(cache, {"sha256": digest, "data": raw})
    return raw


def _keep(cache: Path, content: dict[str, Any]) -> None:
    """Write the cache whole or not at all (a reader never sees half of it).

    It is only a cache, so a failure to write it is let go.
    """
    try:
        text = json.dumps(content)
    except TypeError:  # TOML dates have no JSON form: such a manifest is parsed every time
        return
    partial = cache.with_name(f"{cache.name}.{os.getpid()}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, cache)
    except OSError:
        partial.unlink(missing_ok=True)


def parse_manifest(raw: dict[str, Any], path: Path) -> Manifest:
    """Check already-parsed TOML data as a manifest found at ``path``."""
    shown = str(path)
    try:
        manifest = Manifest.model_validate({**raw, "path": path})
    except ValidationError as err:
        raise ManifestError.many(_validation_lines(shown, raw, err)) from err
    problems = _consistency_problems(manifest, shown)
    if problems:
        raise ManifestError.many(problems)
    return manifest


def _validation_lines(shown: str, raw: dict[str, Any], err: ValidationError) -> list[ManifestError]:
    listed = raw.get("node")
    nodes: list[Any] = listed if isinstance(listed, list) else []
    lines = []
    for problem in err.errors():
        loc = list(problem["loc"])
        node = None
        if loc and loc[0] == "node" and len(loc) > 1 and isinstance(loc[1], int):
            index = loc[1]
            entry = nodes[index] if index < len(nodes) else None
            name = entry.get("name") if isinstance(entry, dict) else None
            node = str(name) if name else f"#{index + 1}"
            loc = loc[2:]
        field = ".".join(str(part) for part in loc) or None
        message = _plain_message(problem)
        lines.append(ManifestError(shown, message, node=node, field=field))
    return lines


def _plain_message(problem: Any) -> str:
    kind = problem["type"]
    if kind == "extra_forbidden":
        return "unknown field (check its spelling against the manifest format in the README)"
    if kind == "missing":
        return "is required"
    if kind == "enum":
        allowed = ", ".join(t.value for t in Tier)
        return f"{problem['input']!r} is not a tier; use one of: {allowed}"
    message = str(problem["msg"])
    return message.removeprefix("Value error, ")


def _consistency_problems(manifest: Manifest, shown: str) -> list[ManifestError]:
    problems: list[ManifestError] = []
    seen: set[str] = set()
    for spec in manifest.nodes:
        if spec.name in seen:
            problems.append(ManifestError(shown, "the name is used by another node too", node=spec.name, field="name"))
        seen.add(spec.name)
        problems.extend(_location_problems(spec, shown))
    for spec in manifest.nodes:
        if spec.parent is not None and spec.parent not in seen:
            problems.append(ManifestError(shown, f"no node is named {spec.parent!r}", node=spec.name, field="parent"))
        if spec.parent == spec.name:
            problems.append(ManifestError(shown, "a node cannot be its own parent", node=spec.name, field="parent"))
    roots = [spec.name for spec in manifest.nodes if spec.parent is None]
    if len(roots) > 1:
        listed = ", ".join(repr(name) for name in roots)
        problems.append(
            ManifestError(
                shown,
                f"the network has {len(roots)} roots ({listed}); exactly one node (central) has no parent",
                node=roots[1],
                field="parent",
            )
        )
    if not problems:
        problems.extend(_cycle_problems(manifest, shown))
    return problems


def _location_problems(spec: NodeSpec, shown: str) -> list[ManifestError]:
    if spec.url is None and spec.ref is None:
        return [
            ManifestError(
                shown, "says neither where to fetch (url) nor which ref to read (ref)", node=spec.name, field="url"
            )
        ]
    if spec.url is not None and spec.ref is not None:
        return [ManifestError(shown, "give either url (+ branch) or ref, not both", node=spec.name, field="ref")]
    if spec.branch is not None and spec.url is None:
        return [
            ManifestError(shown, "branch goes with url; with ref, name the ref itself", node=spec.name, field="branch")
        ]
    return []


def _cycle_problems(manifest: Manifest, shown: str) -> list[ManifestError]:
    parents = {spec.name: spec.parent for spec in manifest.nodes}
    reported: set[str] = set()
    problems = []
    for start in parents:
        path: list[str] = []
        current: str | None = start
        while current is not None and current not in path and current not in reported:
            path.append(current)
            current = parents[current]
        if current is not None and current in path:
            loop = [*path[path.index(current) :], current]
            reported.update(loop)
            problems.append(
                ManifestError(shown, "the parents form a cycle: " + " -> ".join(loop), node=current, field="parent")
            )
        reported.update(path)
    if not any(spec.parent is None for spec in manifest.nodes) and not problems:
        problems.append(ManifestError(shown, "no node is the root (central): one node must have no parent"))
    return problems
