"""The hidden block at the end of a pull request's body: what forkflow needs to find its proposal again.

    <!-- forkflow:meta {"change_id": "...", "target": "central", "carriers": [...], ...} -->

The body is the forge's, and anyone who can edit the pull request can edit it: the block is
untrusted input.  :func:`read_meta` checks it with :class:`PullMeta` (types, commit ids, node
names as the manifest allows them) and raises :class:`MetaError` saying what is wrong, so a
broken block is a problem for that one pull request, never a crash of the run.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from forkflow.errors import ForgeError
from forkflow.forge import Proposal, ProposalState
from forkflow.manifest.refname import ref_component_problem
from forkflow.urls import Transport, transport_of

if TYPE_CHECKING:
    from forkflow.manifest.spec import Manifest

START = "<!-- forkflow:meta "
META = re.compile(r"\n*<!-- forkflow:meta (\{.*?\}) -->\s*$", re.S)
_REPO_URL = re.compile(r"^(?:https?://[^/]+/|git@[^:]+:|file://.*/)?(?P<owner>[^/]+)/(?P<name>[^/]+?)(?:\.git)?/?$")
_SHA = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
MAX_TEXT = 500
"""No field of the block is longer: a change id, a date, a kind."""


class MetaError(ForgeError):
    """A pull request's forkflow block cannot be read (not JSON, a wrong type, an odd name)."""


def _node_name(value: str) -> str:
    problem = ref_component_problem(value)
    if problem:
        raise ValueError(f"{value[:60]!r} is not a node name: it {problem}")
    return value


def _sha(value: str) -> str:
    if not _SHA.match(value):
        raise ValueError(f"{value[:60]!r} is not a commit id")
    return value


def _sha_or_empty(value: str) -> str:
    return _sha(value) if value else value


Text = Annotated[str, Field(max_length=MAX_TEXT)]
NodeName = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_node_name)]
Sha = Annotated[str, AfterValidator(_sha)]


class PullMeta(BaseModel):
    """The block's fields, as :func:`meta_block` writes them; unknown fields are ignored."""

    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")

    change_id: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
    kind: Text = "exact"
    source: Text = "bubble-up"
    target: NodeName | None = None
    base: Annotated[str, AfterValidator(_sha_or_empty)] = ""
    carriers: list[NodeName] = Field(default_factory=list)
    commits: list[Sha] = Field(default_factory=list)
    patch_ids: list[Sha] = Field(default_factory=list)
    conflicts: list[Annotated[str, Field(max_length=4096)]] = Field(default_factory=list)
    created_at: Text = ""


def has_meta(body: str | None) -> bool:
    """Whether the body has a forkflow block at all (a pull request forkflow did not open has none)."""
    return START in (body or "")


def read_meta(body: str | None) -> tuple[PullMeta, str] | None:
    """The block and the body without it; None when there is no block; MetaError when it is broken."""
    text = body or ""
    match = META.search(text)
    if match is None:
        if has_meta(text):
            raise MetaError("its forkflow:meta block is not closed where the body ends (edited by hand?)")
        return None
    try:
        data = json.loads(match.group(1))
    except ValueError as err:
        raise MetaError(f"its forkflow:meta block is not valid JSON ({err})") from err
    if not isinstance(data, dict):
        raise MetaError("its forkflow:meta block is not a JSON object")
    try:
        meta = PullMeta.model_validate(data)
    except ValidationError as err:
        raise MetaError(f"its forkflow:meta block is not what forkflow writes: {_first(err)}") from err
    return meta, META.sub("\n", text).rstrip() + "\n"


def proposal_of(pull: Any, node: str, full_name: str, manifest: Manifest) -> Proposal | None:
    """The proposal a pull request (github3's) of ``node``'s repository ``full_name`` holds; None when it has no block.

    MetaError when the block is broken, or names a node that is not in the manifest or whose
    repository is not the one that holds the pull request.
    """
    read = read_meta(pull.body)
    if read is None:
        return None
    meta, body = read
    target = meta.target or node
    _check_target(target, full_name, manifest)
    merged = bool(getattr(pull, "merged_at", None))
    state = ProposalState.MERGED if merged else ProposalState.OPEN if pull.state == "open" else ProposalState.CLOSED
    labels = [label["name"] if isinstance(label, dict) else str(label) for label in getattr(pull, "labels", [])]
    return Proposal(
        **meta.model_dump(exclude={"target"}),
        number=pull.number,
        target=target,
        branch=pull.head.ref,
        state=state,
        title=pull.title,
        body=body,
        head=pull.head.sha,
        labels=labels,
        url=pull.html_url,
    )


def issue_proposal(issue: Any, node: str, full_name: str, manifest: Manifest) -> Proposal | None:
    """The proposal an issue (github3's) of ``node``'s repository holds: one with no branch (a fix
    that does not apply cleanly, for a person to finish); None when it has no block."""
    read = read_meta(issue.body)
    if read is None:
        return None
    meta, body = read
    target = meta.target or node
    _check_target(target, full_name, manifest)
    labels = [label.name if hasattr(label, "name") else str(label) for label in issue.original_labels or []]
    return Proposal(
        **meta.model_dump(exclude={"target"}),
        number=issue.number,
        target=target,
        branch="",
        state=ProposalState.OPEN if issue.state == "open" else ProposalState.CLOSED,
        title=issue.title,
        body=body,
        head=None,
        labels=labels,
        url=issue.html_url,
    )


def _check_target(target: str, full_name: str, manifest: Manifest) -> None:
    spec = manifest.find(target)
    if spec is None:
        raise MetaError(f"its forkflow:meta block names the node {target!r}, which is not in {manifest.path.name}")
    try:
        owner, name = repo_of(spec.url or "")
    except ForgeError:
        owner = name = ""
    if f"{owner}/{name}".lower() != full_name.lower():
        raise MetaError(f"its forkflow:meta block names the node {target!r}, whose repository is not {full_name}")


def repo_of(url: str) -> tuple[str, str]:
    """(owner, name) of a node's repository url (https, ssh, or a path ending in owner/name)."""
    match = _REPO_URL.match(url.strip())
    if match is None:
        raise ForgeError(f"{url}: not a GitHub repository url (https://github.com/OWNER/NAME)")
    return match.group("owner"), match.group("name")


def project_path(url: str) -> str:
    """The project's full path (``group/subgroup/name``) in a node's url (https or ssh)."""
    text = url.strip()
    try:
        transport = transport_of(text)
    except ValueError:
        transport = Transport.LOCAL
    if transport is Transport.LOCAL:
        raise ForgeError(f"{url}: not a GitLab project url (https://gitlab.example/GROUP/NAME)")
    # https://host/group/name.git, or git@host:group/name.git
    path = text.split("://", 1)[1].partition("/")[2] if "://" in text else text.partition(":")[2]
    path = path.split("?", 1)[0].split("#", 1)[0].strip("/").removesuffix(".git")
    if "/" not in path:
        raise ForgeError(f"{url}: not a GitLab project url (https://gitlab.example/GROUP/NAME)")
    return path


def meta_block(proposal: Proposal) -> str:
    """The body with its block: what :func:`read_meta` reads back."""
    meta = {
        "change_id": proposal.change_id,
        "kind": proposal.kind,
        "source": proposal.source,
        "target": proposal.target,
        "base": proposal.base,
        "carriers": proposal.carriers,
        "commits": proposal.commits,
        "patch_ids": proposal.patch_ids,
        "conflicts": proposal.conflicts,
        "created_at": proposal.created_at,
    }
    return proposal.body.rstrip() + f"\n\n{START}{json.dumps(meta, separators=(',', ':'))} -->\n"


def _first(err: ValidationError) -> str:
    errors = err.errors()
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "(the block)"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"field {where!r}: {first['msg']}{more}"
