"""The life of nodes: provision a new one, merge two into one, retire one.  Nothing anyone wrote is lost.

Each command builds a plan of steps; every step knows whether it is already done, so a run
that was interrupted between steps is finished by running the same command again, and a run
that completed changes nothing the second time.  Only :func:`apply_lifecycle` writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from forkflow import faultpoints
from forkflow.changes.shared import shared_change, target_of
from forkflow.errors import GitError, NodeError, PlanError
from forkflow.forge import Forge
from forkflow.gitrepo import GitRepo, Person, apply_commits
from forkflow.gitrepo.remote import push_refs
from forkflow.manifest.edit import append_node, set_node_field, write_manifest
from forkflow.manifest.refname import ref_component_problem
from forkflow.manifest.spec import node_ref
from forkflow.model import ScanReport, Variant
from forkflow.propose.bubble_up import build_change, draft_proposal
from forkflow.workspace import Workspace


@dataclass(frozen=True)
class LifeStep:
    what: str
    done: bool
    run: Callable[[], None] = field(compare=False)


@dataclass
class LifePlan:
    command: str
    steps: list[LifeStep] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # a plan with problems is not applied

    @property
    def pending(self) -> list[LifeStep]:
        return [step for step in self.steps if not step.done]


def apply_lifecycle(plan: LifePlan) -> list[str]:
    """Run the steps not done yet, in order; returns what was done."""
    if plan.problems:
        raise PlanError(f"{plan.command}: nothing was changed: " + "; ".join(plan.problems))
    done = []
    for step in plan.pending:
        step.run()
        done.append(step.what)
        faultpoints.reached("lifecycle.step-done")
    return done


def _names(space: Workspace) -> dict[str, bool]:
    return {spec.name: spec.retired for spec in space.manifest.nodes}


def _check_new_name(space: Workspace, name: str) -> None:
    problem = ref_component_problem(name)
    if problem:
        raise NodeError(f"{name!r} cannot name a node: it {problem}")


def _repository_steps(space: Workspace, name: str, head: str, path: Path, parent: str, tier: str) -> list[LifeStep]:
    """Create the node's repository at ``path`` holding ``head``, add it to the manifest, point its ref."""
    repo = space.repo
    ref = node_ref(name)
    made = _main_of(path) is not None  # a repository without its branch yet is not made: push again

    def create() -> None:
        GitRepo.init(path, bare=True)
        faultpoints.reached("lifecycle.repository-begun")
        push_refs(repo, str(path), [f"{_temp_ref(repo, head)}:refs/heads/main"])

    def point() -> None:
        repo.set_ref(ref, _main_of(path) or head)  # what the repository holds, if an earlier run made it

    def add() -> None:
        text = space.manifest.path.read_text(encoding="utf-8")
        fields = {"name": name, "parent": parent, "tier": tier, "url": str(path), "branch": "main"}
        space.manifest = write_manifest(space.manifest.path, append_node(text, fields, f"added by forkflow ({name})"))

    in_manifest = name in _names(space)
    return [
        LifeStep(f"create the repository {path} at {head[:12]} (under {parent})", made, create),
        LifeStep(f"add {name} to {space.manifest.path.name} (parent {parent}, tier {tier})", in_manifest, add),
        LifeStep(f"point {ref} at {head[:12]}", repo.resolve(ref) is not None, point),
    ]


def _main_of(path: Path) -> str | None:
    """The head of ``main`` in the repository at ``path`` (None: no repository there, or no main yet)."""
    if not ((path / "HEAD").exists() or (path / ".git").exists()):
        return None
    try:
        return GitRepo(path).resolve("refs/heads/main")
    except GitError:
        return None


def _temp_ref(repo: GitRepo, head: str) -> str:
    ref = "refs/forkflow/lifecycle/push"
    repo.set_ref(ref, head)
    return ref


def plan_provision(
    space: Workspace,
    name: str,
    parent: str,
    tier: str,
    path: Path | None,
    *,
    github: GitHubLike | None = None,
    organization: str | None = None,
) -> LifePlan:
    """A new node: a repository at ``path`` (local), or a fork on the forge (``github``: GitHub's or GitLab's,
    into ``organization``, an organisation or a group)."""
    names = _names(space)
    plan = LifePlan(f"provision {name}")
    if name in names and space.manifest.node(name).parent != parent:
        raise NodeError(f"a node is already named {name!r} (under {space.manifest.node(name).parent})")
    _check_new_name(space, name)
    if parent not in names or names[parent]:
        raise NodeError(f"no active node is named {parent!r}; the parent must be in {space.manifest.path.name}")
    head = space.repo.resolve(space.manifest.node(parent).head_ref)
    if head is None:
        raise GitError(f"{parent} is not fetched yet; run `forkflow fetch`")
    if github is not None:
        plan.steps = _fork_steps(space, github, organization, name, head, parent, tier)
    elif path is not None:
        plan.steps = _repository_steps(space, name, head, path, parent, tier)
    else:
        raise PlanError(
            "say where the node's repository goes: --path PATH, or --org ORG with the GitHub forge "
            "(--namespace GROUP with the GitLab forge)"
        )
    return plan


class GitHubLike(Protocol):
    """A forge that forks and archives repositories (GitHub's, GitLab's)."""

    name: str

    def fork_for(self, parent: str, organization: str | None) -> tuple[str, str]: ...

    def archive(self, node: str) -> None: ...


def _fork_steps(
    space: Workspace, github: GitHubLike, organization: str | None, name: str, head: str, parent: str, tier: str
) -> list[LifeStep]:
    """Fork the parent's repository on GitHub, add the fork to the manifest, point the node's ref."""
    in_manifest = name in _names(space)
    ref = node_ref(name)

    def fork_and_add() -> None:
        url, branch = github.fork_for(parent, organization)
        text = space.manifest.path.read_text(encoding="utf-8")
        fields = {"name": name, "parent": parent, "tier": tier, "url": url, "branch": branch}
        space.manifest = write_manifest(space.manifest.path, append_node(text, fields, f"added by forkflow ({name})"))

    where = f" into {organization}" if organization else ""
    forge = "GitLab" if github.name == "gitlab" else "GitHub"
    return [
        LifeStep(
            f"fork {parent}'s repository on {forge}{where}; add {name} to the manifest", in_manifest, fork_and_add
        ),
        LifeStep(
            f"point {ref} at {head[:12]}", space.repo.resolve(ref) is not None, lambda: space.repo.set_ref(ref, head)
        ),
    ]


def plan_retire(
    space: Workspace,
    report: ScanReport,
    forge: Forge,
    name: str,
    *,
    committer: Person,
    now: datetime,
    github: GitHubLike | None = None,
) -> LifePlan:
    names = _names(space)
    if name not in names:
        raise NodeError(f"no node is named {name!r}")
    spec = space.manifest.node(name)
    if spec.parent is None:
        raise NodeError(f"{name!r} is central, the root of the network: it cannot be retired")
    plan = LifePlan(f"retire {name}")
    if not names[name]:
        plan.steps.append(_retire_proposal(space, report, forge, name, committer, now))
    plan.steps += _move_children(space, name, spec.parent)
    if github is not None and spec.url is not None:
        archived = names[name]  # the repository is archived before the node is marked retired
        where = "GitLab" if github.name == "gitlab" else "GitHub"
        plan.steps.append(LifeStep(f"archive {name}'s repository on {where}", archived, lambda: github.archive(name)))
    plan.steps += _archive_and_retire(space, name)
    return plan


def _retire_proposal(
    space: Workspace, report: ScanReport, forge: Forge, name: str, committer: Person, now: datetime
) -> LifeStep:
    node = report.node(name)
    carried = [cid for cid in node.carried if not report.commits[cid].local]
    change_id = f"retire-{name}"
    proposed = any(p.change_id == change_id for p in forge.proposals())
    parent = node.parent or ""

    def open_it() -> None:
        variant = Variant(nodes=[name], commits=carried)
        patch_ids = [p for c in carried if (p := report.commits[c].patch_id)]
        change = shared_change(change_id, "exact", space.network, [variant], report.commits, patch_ids, None, carried)
        head = report.node(parent).head or ""
        build = build_change(space.repo, report, change, head, committer=committer, when=int(now.timestamp()))
        draft = draft_proposal(report, space.network, space.repo, space.policy, change, build, head, now)
        forge.open(draft.model_copy(update={"title": f"{name} retires: {len(carried)} change(s) it still carries"}))

    what = f"open one proposal to {parent} with the {len(carried)} change(s) {name} still carries"
    return LifeStep(what, proposed or not carried, open_it)


def _move_children(space: Workspace, old: str, new: str) -> list[LifeStep]:
    steps = []
    for spec in space.manifest.nodes:
        if spec.parent == old and not spec.retired:
            child = spec.name

            def move(child: str = child) -> None:
                text = set_node_field(space.manifest.path.read_text(encoding="utf-8"), child, "parent", new)
                space.manifest = write_manifest(space.manifest.path, text)

            steps.append(LifeStep(f"move {child} under {new}", False, move))
    return steps


def _archive_and_retire(space: Workspace, name: str) -> list[LifeStep]:
    ref = f"refs/forkflow/archive/{name}"
    head = space.repo.resolve(space.manifest.node(name).head_ref)

    def archive() -> None:
        if head is not None:
            space.repo.set_ref(ref, head)

    def retire() -> None:
        text = set_node_field(space.manifest.path.read_text(encoding="utf-8"), name, "retired", True)
        space.manifest = write_manifest(space.manifest.path, text)

    return [
        LifeStep(f"keep {name}'s head under {ref}", head is None or space.repo.resolve(ref) is not None, archive),
        LifeStep(f"mark {name} retired in {space.manifest.path.name}", space.manifest.node(name).retired, retire),
    ]


def plan_merge(
    space: Workspace,
    report: ScanReport,
    first: str,
    second: str,
    into: str,
    path: Path,
    *,
    prefer: str | None,
    committer: Person,
    now: datetime,
) -> LifePlan:
    names = _names(space)
    if into in names and names.get(first) and names.get(second):  # a merge that already ran to the end
        done = LifeStep(f"{first} and {second} are merged into {into}", True, lambda: None)
        return LifePlan(f"merge {first} {second} --into {into}", [done])
    made = _merge_under_way(space, first, second, into, path)
    _check_merge(space, names, first, second, into, path, under_way=made is not None)
    if prefer is not None and prefer not in (first, second):  # it would leave out both nodes' conflicting commits
        raise NodeError(f"--prefer {prefer!r}: name one of the two nodes, {first!r} or {second!r}")
    plan = LifePlan(f"merge {first} {second} --into {into}")
    if made is not None:  # its repository holds the merged head: finish the steps that are left
        parent, head = made
    else:
        parent = target_of(space.network, [first, second])
        parent_head = report.node(parent).head
        if parent_head is None:
            raise GitError(f"{parent} is not fetched yet; run `forkflow fetch`")
        head, skipped, plan.problems = _merged_head(space, report, first, second, parent_head, prefer, committer, now)
        if skipped:
            what = f"leave out {', '.join(c[:10] for c in skipped)} (--prefer {prefer})"
            plan.steps.append(LifeStep(what, True, lambda: None))
    tier = space.manifest.node(first).tier.value
    plan.steps += _repository_steps(space, into, head, path, parent, tier)
    plan.steps += [s for n in (first, second) for s in _move_children(space, n, into)]
    plan.steps += [s for n in (first, second) for s in _archive_and_retire(space, n)]
    return plan


def _merge_under_way(space: Workspace, first: str, second: str, into: str, path: Path) -> tuple[str, str] | None:
    """(parent, head) of the merged node when an earlier run of this merge made its repository
    and added it to the manifest; None when the merge has not begun.

    The merged head is then what that repository holds, not a head built again: built again,
    it would differ (its commits are dated when they are built), and one of the two nodes may
    be retired already, so the scan has nothing of it to build from.
    """
    names = _names(space)
    if into not in names or space.manifest.node(into).url != str(path) or first not in names or second not in names:
        return None
    head = _main_of(path)
    parent = space.manifest.node(into).parent
    return (parent, head) if head is not None and parent is not None else None


def _check_merge(
    space: Workspace, names: dict[str, bool], first: str, second: str, into: str, path: Path, *, under_way: bool
) -> None:
    for name in (first, second):
        if name not in names or (names[name] and not under_way):
            raise NodeError(f"no active node is named {name!r}")
    if first == second:
        raise NodeError("merging a node with itself: name two different nodes")
    for a, b in ((first, second), (second, first)):
        if _is_ancestor_node(space, a, b):
            raise NodeError(f"{a!r} is an ancestor of {b!r}: a node cannot be merged with its own ancestor")
    if into in names and space.manifest.node(into).url != str(path):
        raise NodeError(f"a node is already named {into!r}; choose another name for the merged node")
    _check_new_name(space, into)


def _is_ancestor_node(space: Workspace, ancestor: str, node: str) -> bool:
    current = space.manifest.node(node).parent  # the manifest's: a node of a merge under way may be retired
    while current is not None:
        if current == ancestor:
            return True
        current = space.manifest.node(current).parent
    return False


def _merged_head(
    space: Workspace,
    report: ScanReport,
    first: str,
    second: str,
    base: str,
    prefer: str | None,
    committer: Person,
    now: datetime,
) -> tuple[str, list[str], list[str]]:
    """Both nodes' carried changes applied once each, oldest first, on ``base``; (head, left out, problems)."""
    owner: dict[str, str] = {}
    seen: set[str] = set()
    duplicates = {
        c
        for change in report.shared
        if {first, second} <= set(change.nodes)
        for v in change.variants[1:]
        for c in v.commits
    }
    for name in (first, second):
        for cid in report.node(name).carried:
            key = report.commits[cid].patch_id or cid
            if key in seen or cid in duplicates:
                continue  # the same change from the other node: applied once
            seen.add(key)
            owner[cid] = name
    ordered = sorted(owner, key=lambda c: (report.commits[c].date, c))
    head, skipped, problems = base, [], []
    for cid in ordered:
        applied = apply_commits(space.repo, head, [cid], committer=committer, when=int(now.timestamp()))
        if applied.head is not None:
            head = applied.head
            continue
        if prefer is not None and owner[cid] != prefer:
            skipped.append(cid)
            continue
        problems.append(
            f"{cid[:10]} ({owner[cid]}: {report.commits[cid].summary}) conflicts in {', '.join(applied.conflicts)}; "
            f"choose with --prefer {first} or --prefer {second}"
        )
    return head, skipped, problems
