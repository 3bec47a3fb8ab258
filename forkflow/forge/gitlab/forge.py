"""The GitLab forge: proposals as merge requests, through python-gitlab.

A proposal lives in the target node's project: its branch is pushed there, the merge request
carries the title, the body, the labels and the reviewers (the carriers' owners), and the same
hidden block at the end of its description as on GitHub (:mod:`forkflow.forge.meta`) finds it
again, so re-runs update instead of duplicating, with nothing kept between runs but GitLab.
Numbers are merge requests' ``iid``: per project, as on GitHub.  Comments are notes; the
policy's verdict is an ``external`` commit status on the merge request's head.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from forkflow.errors import ForgeError, GitError, RateLimited
from forkflow.forge import Advisory, DashboardIssue, Proposal, ProposalState
from forkflow.forge.gitlab.client import GitLabClient, project_path
from forkflow.forge.gitlab.dashboard import create_dashboard, edit_dashboard, find_dashboard
from forkflow.forge.gitlab.reviewers import reviewer_ids
from forkflow.forge.meta import MetaError, meta_block, read_meta
from forkflow.forge.requests import SeenRequests
from forkflow.gitrepo import GitRepo, Person
from forkflow.gitrepo.remote import push_refs
from forkflow.manifest.spec import Manifest, NodeSpec
from forkflow.problems import StepProblem, one_line

MR_WRITE = "the api scope and the Developer role on the project (to write merge requests)"
STATUS_NAME = "forkflow/policy"


class GitLabForge(SeenRequests):
    """Proposals as merge requests in the target node's project."""

    REQUEST, MARK, PLACES = "merge request", "!", "projects"

    name = "gitlab"
    branchless = False  # a merge request needs a branch: a proposal that applies nowhere is reported, not opened
    branchless_kinds: frozenset[str] = frozenset()

    def __init__(self, repo: GitRepo, manifest: Manifest, client: GitLabClient):
        self._repo = repo
        self._manifest = manifest
        self._client = client
        self._where: dict[tuple[str, int], tuple[Any, Proposal]] = {}  # (target, iid) -> merge request, proposal
        self._projects: dict[str, Any] = {}  # node -> project, read once per run
        self._unlisted: set[str] = set()  # nodes whose merge requests could not be listed: nothing is opened there
        self._foreign: dict[tuple[str, str], int] = {}  # (node, branch) -> an open merge request forkflow cannot read
        self.problems: list[StepProblem] = []

    # reading ----------------------------------------------------------------------------

    def proposals(self) -> list[Proposal]:
        found: list[Proposal] = []
        listed: set[str] = set()
        for spec in self._manifest.nodes:
            if spec.url is None or spec.retired:
                continue
            try:
                project = self._project(spec.name)
                path = str(project.path_with_namespace)
                if path.lower() in listed:
                    continue  # several nodes (branches) of one project: its merge requests are listed once
                requests = self._client.call(
                    lambda p=project: p.mergerequests.list(state="all", get_all=True),  # type: ignore[misc]
                    f"listing the merge requests of {path}",
                    needs="read access to the project's merge requests",
                )
            except RateLimited:
                raise
            except ForgeError as err:
                self._unlisted.add(spec.name)
                self.problems.append(StepProblem(node=spec.name, step="list proposals", reason=one_line(str(err))))
                continue
            self._unlisted.discard(spec.name)
            self._foreign = {key: iid for key, iid in self._foreign.items() if key[0] != spec.name}
            listed.add(path.lower())
            for request in requests:
                proposal = self._read_request(spec.name, path, int(request.iid), request, self._proposal_of)
                if proposal is not None:
                    found.append(proposal)
                    self._where[(proposal.target, proposal.number)] = (request, proposal)
        return sorted(found, key=lambda p: (p.created_at, p.number))

    def get(self, number: int, *, target: str | None = None) -> Proposal:
        return self._locate(number, target)[2]

    # writing ----------------------------------------------------------------------------

    def open(self, proposal: Proposal) -> Proposal:
        if proposal.head is None:
            raise ForgeError(
                f"{proposal.title}: no variant applies cleanly on {proposal.target} "
                f"(conflicts in {', '.join(proposal.conflicts)}); a merge request needs a branch"
            )
        self._may_open(proposal)
        self._push(proposal)
        project = self._project(proposal.target)
        reviewers, unasked = reviewer_ids(self._client, self._owners(proposal))
        fields: dict[str, Any] = {
            "source_branch": proposal.branch,
            "target_branch": self._node(proposal.target).branch or project.default_branch,
            "title": proposal.title,
            "description": meta_block(proposal),
            "labels": ",".join(proposal.labels),
        }
        if reviewers:
            fields["reviewer_ids"] = reviewers
        request = self._client.call(
            lambda: project.mergerequests.create(fields),
            f"opening a merge request in {project.path_with_namespace}",
            needs=MR_WRITE,
        )
        opened = proposal.model_copy(update={"number": request.iid, "url": request.web_url})
        self._where[(proposal.target, request.iid)] = (request, opened)
        for reason in unasked:  # the merge request is open; an owner who cannot be asked is reported
            item = f"{project.path_with_namespace}!{request.iid}"
            self.problems.append(StepProblem(node=proposal.target, step="request review", item=item, reason=reason))
        return opened

    def update(self, proposal: Proposal) -> Proposal:
        _, request, _ = self._locate(proposal.number, proposal.target)
        if proposal.head is not None:
            self._push(proposal)
        request.title = proposal.title
        request.description = meta_block(proposal)
        is_open = request.state == "opened"
        if proposal.state == ProposalState.OPEN and not is_open and request.state == "closed":
            request.state_event = "reopen"
        elif proposal.state != ProposalState.OPEN and is_open:
            request.state_event = "close"
        self._client.call(request.save, f"updating merge request !{proposal.number}", needs=MR_WRITE)
        return proposal

    def close(self, number: int, when: str, *, target: str | None = None) -> Proposal:
        target, request, _ = self._locate(number, target)
        self._close(request, number)
        closed = self.get(number, target=target)
        return closed.model_copy(update={"state": ProposalState.CLOSED, "closed_at": when})

    def mark_merged(self, number: int, commit: str | None, when: str, *, target: str | None = None) -> Proposal:
        """The change reached the target another way (a squash, a cherry-pick): say so and close the request."""
        target, request, _ = self._locate(number, target)
        note = "The target has this change now (merged, squashed or picked); forkflow closes this."
        self.comment(number, note, target=target)
        self._close(request, number)
        done = self.get(number, target=target)
        return done.model_copy(update={"state": ProposalState.MERGED, "merged_at": when})

    def merge(self, number: int, *, committer: Person, when: int, target: str | None = None) -> Proposal:
        target, request, _ = self._locate(number, target)
        message = f"Merge forkflow proposal !{number}"
        self._client.call(lambda: request.merge(merge_commit_message=message), "merging", needs=MR_WRITE)
        stamp = datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds")
        return self.get(number, target=target).model_copy(update={"state": ProposalState.MERGED, "merged_at": stamp})

    def comment(self, number: int, body: str, *, marker: str | None = None, target: str | None = None) -> None:
        """A note on a merge request; with ``marker``, refresh forkflow's earlier note instead of adding one."""
        if target is not None:  # any merge request of the node's project
            project = self._project(target)
            request = self._client.call(
                lambda: project.mergerequests.get(number, lazy=True), f"reading !{number}", needs=MR_WRITE
            )
        else:
            _, request, _ = self._locate(number, None)
        if marker is not None:
            body = f"{body}\n\n<!-- {marker} -->"
            notes: list[Any] = self._client.call(
                lambda: request.notes.list(get_all=True), f"reading the notes of !{number}", needs=MR_WRITE
            )
            for old in notes:
                if f"<!-- {marker} -->" in (old.body or ""):
                    if old.body != body:  # an unchanged note is not written again
                        old.body = body
                        self._client.call(old.save, f"refreshing the note on !{number}", needs=MR_WRITE)
                    return
        self._client.call(lambda: request.notes.create({"body": body}), f"commenting on !{number}", needs=MR_WRITE)

    def report_check(self, target: str, sha: str, *, ok: bool, title: str, summary: str) -> None:
        """The policy's verdict on a commit: an external commit status named forkflow/policy."""
        project = self._project(target)
        status = {"state": "success" if ok else "failed", "name": STATUS_NAME, "description": title[:255]}
        self._client.call(
            lambda: project.commits.get(sha, lazy=True).statuses.create(status),
            f"setting the commit status in {project.path_with_namespace}",
            needs="the api scope and the Developer role on the project (to set commit statuses)",
        )

    def advisories(self, node: str) -> list[Advisory]:
        """None: GitLab publishes no repository advisories (the store's and the manifest's fixes still count)."""
        return []

    def dashboard(self, marker: str, *, remembered: int | None = None, repair: bool = True) -> DashboardIssue | None:
        """The dashboard issue in central's project (see :mod:`forkflow.forge.gitlab.dashboard`)."""
        return find_dashboard(self._client, self._project(self._root()), marker, remembered, repair=repair)

    def save_dashboard(self, title: str, body: str, *, number: int | None = None) -> DashboardIssue:
        project = self._project(self._root())
        if number is None:
            return create_dashboard(self._client, project, title, body)
        return edit_dashboard(self._client, project, number, title, body)

    # projects (the life of nodes) -------------------------------------------------------

    def fork_for(self, parent: str, organization: str | None) -> tuple[str, str]:
        """Fork ``parent``'s project (into the group ``organization``), wait for the copy; (clone url, branch)."""
        from forkflow.forge.gitlab.forks import fork_project

        return fork_project(self._client, self._project(parent), organization)

    def archive(self, node: str) -> None:
        """Archive the node's project: read-only, kept."""
        project = self._project(node)
        self._client.call(
            project.archive,
            f"archiving {project.path_with_namespace}",
            needs="the api scope and the Owner or Maintainer role on the project (to archive it)",
        )

    # internals --------------------------------------------------------------------------

    def _node(self, name: str) -> NodeSpec:
        spec = self._manifest.find(name)
        if spec is None:
            raise ForgeError(f"node {name!r} is not in {self._manifest.path.name}")
        return spec

    def _root(self) -> str:
        return next(spec.name for spec in self._manifest.nodes if spec.parent is None)

    def _project(self, node: str) -> Any:
        if node in self._projects:
            return self._projects[node]
        spec = self._node(node)
        if spec.url is None:
            raise ForgeError(f"node {node!r} has no url: the GitLab forge cannot reach its project")
        path = project_path(spec.url)
        project = self._client.call(
            lambda: self._client.gl.projects.get(path), f"reading {path}", needs="read access to the project"
        )
        self._projects[node] = project
        return project

    def _close(self, request: Any, number: int) -> None:
        request.state_event = "close"
        self._client.call(request.save, f"closing merge request !{number}", needs=MR_WRITE)

    def _push(self, proposal: Proposal) -> None:
        assert proposal.head is not None
        project = self._project(proposal.target)
        local = f"refs/forkflow/push/{proposal.branch}"
        url = str(project.http_url_to_repo)
        try:
            self._repo.set_ref(local, proposal.head)
            # the url is GitLab's answer, so it is not trusted: the token goes there only on the instance's host
            push_refs(self._repo, url, [f"+{local}:refs/heads/{proposal.branch}"], self._client.credential)
        except GitError as err:
            where = f"node {proposal.target!r}: the branch {proposal.branch} could not be pushed to {url}"
            raise ForgeError(self._client.clean(f"{where}: {err}")) from err

    def _owners(self, proposal: Proposal) -> list[str]:
        owners: set[str] = set()
        for carrier in proposal.carriers:
            spec = self._manifest.find(carrier)  # a carrier no longer in the manifest has no owners to ask
            owners.update(owner.lstrip("@") for owner in (spec.owners if spec is not None else ()))
        return sorted(owners)

    def _proposal_of(self, node: str, path: str, request: Any) -> Proposal | None:
        read = read_meta(request.description)
        if read is None:
            return None
        meta, body = read
        target = meta.target or node
        spec = self._manifest.find(target)
        if spec is None:
            raise MetaError(f"its forkflow:meta block names the node {target!r}, which is not in the manifest")
        try:
            where = project_path(spec.url or "")
        except ForgeError:
            where = ""
        if where.lower() != path.lower():
            raise MetaError(f"its forkflow:meta block names the node {target!r}, whose project is not {path}")
        states = {"opened": ProposalState.OPEN, "merged": ProposalState.MERGED}
        return Proposal(
            **meta.model_dump(exclude={"target"}),
            number=int(request.iid),
            target=target,
            branch=str(request.source_branch),
            state=states.get(str(request.state), ProposalState.CLOSED),
            title=str(request.title),
            body=body,
            head=request.sha,
            labels=[str(label) for label in request.labels or []],
            url=request.web_url,
        )

    def _note_foreign(self, node: str, request: Any) -> None:
        branch = str(getattr(request, "source_branch", "") or "")
        if request.state == "opened" and branch.startswith("forkflow/"):
            self._foreign[(node, branch)] = int(request.iid)
