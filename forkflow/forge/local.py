"""The local forge: proposal branches in the working repository, records in the store.

The dashboard is a Markdown file, ``.forkflow/dashboard-<network>.md`` (``forkflow/`` of the git
directory in a bare repository): a person ticks a box by editing it.  It is replaced in one rename.

A proposal's branch is ``refs/heads/forkflow/bubble-up/<change id>``; merging it writes a
merge commit onto the target node: pushed to the node's url when it has one (and its
``refs/forkflow/nodes/`` ref moved along, so the next scan sees it without a fetch), or
written to the node's ref in this repository.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from forkflow import faultpoints
from forkflow.errors import ForgeError, GitError
from forkflow.forge import Advisory, DashboardIssue, Proposal, ProposalState
from forkflow.gitrepo import GitRepo, Person, is_ancestor, merge_into
from forkflow.gitrepo.build import HistoryBuilder
from forkflow.manifest.spec import Manifest, NodeSpec
from forkflow.problems import StepProblem
from forkflow.store.store import Store, local_folder
from forkflow.wholefile import replace_whole


class LocalForge:
    """Proposals kept beside the network: works offline, needs no token."""

    name = "local"
    branchless = True
    branchless_kinds: frozenset[str] = frozenset()  # every proposal is recorded, branch or not

    def __init__(self, repo: GitRepo, store: Store, manifest: Manifest, *, run_id: str | None = None):
        self.problems: list[StepProblem] = []  # the working repository and the store are always there
        self.run_id = run_id  # kept with every proposal this forge opens
        self._repo = repo
        self._store = store
        self._manifest = manifest
        self._network = manifest.network.name

    def proposals(self) -> list[Proposal]:
        found = []
        for number, record in self._store.proposals(self._network):
            try:
                found.append(Proposal.model_validate({**record, "number": number}))
            except ValidationError as err:  # a damaged record is a problem for that proposal, not for the run
                where = ".".join(str(part) for part in err.errors()[0]["loc"])
                reason = f"its record in the store is damaged (field {where!r}: {err.errors()[0]['msg']})"
                problem = StepProblem(step="read proposal", item=f"#{number}", reason=reason)
                if problem not in self.problems:
                    self.problems.append(problem)
        return found

    def get(self, number: int, *, target: str | None = None) -> Proposal:
        for proposal in self.proposals():
            if proposal.number == number:
                return proposal
        known = ", ".join(f"#{p.number}" for p in self.proposals()) or "none yet"
        raise ForgeError(f"no proposal #{number} in network {self._network!r} (proposals: {known})")

    def open(self, proposal: Proposal) -> Proposal:
        self._write_branch(proposal)
        faultpoints.reached("forge.branch-written")
        number = self._store.add_proposal(self._network, proposal.change_id, self._record(proposal), self.run_id)
        return proposal.model_copy(update={"number": number})

    def update(self, proposal: Proposal) -> Proposal:
        self.get(proposal.number)
        self._write_branch(proposal)
        faultpoints.reached("forge.branch-written")
        self._store.update_proposal(proposal.number, self._record(proposal))
        return proposal

    def close(self, number: int, when: str, *, target: str | None = None) -> Proposal:
        proposal = self.get(number)
        if proposal.state != ProposalState.OPEN:
            raise ForgeError(f"proposal #{number} is {proposal.state}, not open; nothing to close")
        closed = proposal.model_copy(update={"state": ProposalState.CLOSED, "closed_at": when, "updated_at": when})
        self._store.update_proposal(number, self._record(closed))
        return closed

    def mark_merged(self, number: int, commit: str | None, when: str, *, target: str | None = None) -> Proposal:
        proposal = self.get(number)
        update = {"state": ProposalState.MERGED, "merged_at": when, "merge_commit": commit, "updated_at": when}
        merged = proposal.model_copy(update=update)
        self._store.update_proposal(number, self._record(merged))
        return merged

    def merge(self, number: int, *, committer: Person, when: int, target: str | None = None) -> Proposal:
        proposal = self.get(number)
        if proposal.state != ProposalState.OPEN:
            raise ForgeError(f"proposal #{number} is {proposal.state}, not open; nothing to merge")
        if proposal.head is None:
            raise ForgeError(
                f"proposal #{number} has no branch: no variant applied cleanly on {proposal.target} "
                f"(conflicts in {', '.join(proposal.conflicts)}); resolve it by hand"
            )
        spec = self._node(proposal.target)
        target_head = self._repo.resolve(spec.head_ref)
        if target_head is None:
            raise ForgeError(f"node {proposal.target!r}: {spec.head_ref} is missing; run `forkflow fetch`")
        if proposal.source == "sync" and is_ancestor(self._repo, target_head, proposal.head):
            merged = proposal.head  # the node has not moved since: its sync merge becomes its head
        else:
            message = f"Merge proposal #{number}: {proposal.title}\n\nForkflow-Change: {proposal.change_id}\n"
            merged = merge_into(self._repo, target_head, proposal.head, committer=committer, when=when, message=message)
        self._repo.set_ref(spec.head_ref, merged)
        if spec.url is not None:
            refspec = f"{spec.head_ref}:refs/heads/{spec.branch or 'main'}"  # a fast-forward of the node's branch
            try:
                HistoryBuilder(self._repo).push(self._manifest.resolve_url(spec.url), [refspec])
            except GitError as err:
                self._repo.set_ref(spec.head_ref, target_head)  # leave nothing half-done
                raise ForgeError(f"node {proposal.target!r}: the merge could not be pushed: {err}") from err
        stamp = datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds")
        return self.mark_merged(number, merged, stamp)

    def comment(self, number: int, body: str, *, marker: str | None = None, target: str | None = None) -> None:
        proposal = self.get(number)
        tag = f"<!-- {marker} -->" if marker else None
        kept = [c for c in proposal.comments if tag is None or tag not in c]
        text = f"{body}\n\n{tag}" if tag else body
        self._store.update_proposal(number, self._record(proposal.model_copy(update={"comments": [*kept, text]})))

    def report_check(self, target: str, sha: str, *, ok: bool, title: str, summary: str) -> None:
        self._store.save_check(self._network, target, sha, "success" if ok else "failure", title, summary)

    def advisories(self, node: str) -> list[Advisory]:
        """The local forge publishes no advisories: security.toml is the register here."""
        return []

    def dashboard(self, marker: str, *, remembered: int | None = None, repair: bool = True) -> DashboardIssue | None:
        """The dashboard file, when it is there and holds the marker."""
        path = self._dashboard_path(make=False)
        try:
            body = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as err:
            raise ForgeError(f"{path}: the dashboard cannot be read ({err})") from err
        if marker not in body.splitlines():
            return None  # not forkflow's any more: it is written anew
        title = body.splitlines()[1].lstrip("# ") if len(body.splitlines()) > 1 else ""
        return DashboardIssue(number=1, title=title, body=body, url=path.as_uri())

    def save_dashboard(self, title: str, body: str, *, number: int | None = None) -> DashboardIssue:
        """Write the dashboard file in one rename (a run stopped half-way leaves the old one whole)."""
        path = self._dashboard_path(make=True)
        try:
            replace_whole(path, body.encode("utf-8"), 0o600, prefix=".dashboard-", suffix=".tmp")
        except OSError as err:
            raise ForgeError(f"{path}: the dashboard cannot be written ({err.strerror})") from err
        return DashboardIssue(number=1, title=title, body=body, url=path.as_uri())

    def _dashboard_path(self, *, make: bool) -> Path:
        folder = local_folder(self._repo.git_dir, self._repo.workdir, make=make)
        return folder / f"dashboard-{re.sub(r'[^A-Za-z0-9._-]', '_', self._network)}.md"

    @staticmethod
    def branch_ref(proposal: Proposal) -> str:
        """Where a proposal's branch lives in the working repository.

        Bubble-up branches are branches here; a sync or security branch belongs to its node
        (several nodes can have a ``forkflow/sync/<sha>`` of their own), so it is kept per node
        and pushed to the node's repository under its own name.
        """
        if proposal.source in ("sync", "security"):  # one per node: kept per node, pushed to the node
            return f"refs/forkflow/{proposal.source}/{proposal.target}/{proposal.branch.rsplit('/', 1)[-1]}"
        return f"refs/heads/{proposal.branch}"

    def _write_branch(self, proposal: Proposal) -> None:
        if proposal.head is None:
            return
        ref = self.branch_ref(proposal)
        try:
            self._repo.set_ref(ref, proposal.head)
            spec = self._node(proposal.target)
            if proposal.source in ("sync", "security") and spec.url is not None:
                url = self._manifest.resolve_url(spec.url)
                HistoryBuilder(self._repo).push(url, [f"+{ref}:refs/heads/{proposal.branch}"])
        except GitError as err:
            raise ForgeError(f"proposal branch {proposal.branch} cannot be written: {err}") from err

    def _node(self, name: str) -> NodeSpec:
        spec = self._manifest.find(name)
        if spec is None:
            raise ForgeError(f"the proposal's target {name!r} is not in {self._manifest.path.name}")
        return spec

    @staticmethod
    def _record(proposal: Proposal) -> dict[str, object]:
        return proposal.model_dump(mode="json", exclude={"number"})
