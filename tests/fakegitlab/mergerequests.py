"""Merge requests (create, list with filters, get by iid, update, merge), issues and their notes."""

from __future__ import annotations

from typing import Any, TypeVar

from tests.fakegitlab.handlers import ApiError, BaseHandlers, Request, Response, missing, not_found
from tests.fakegitlab.state import Issue, MergeRequest, Note, Project, User

MR_STATES = ("opened", "closed", "merged", "locked", "all")


Numbered = TypeVar("Numbered", MergeRequest, Issue)


def numbered(table: dict[tuple[int, int], Numbered], project: Project, iid: str) -> Numbered:
    """The merge request or issue ``iid`` of ``project`` (iids are per project); 404 when there is none."""
    found = table.get((project.id, int(iid))) if iid.isdigit() else None
    if found is None:
        raise not_found("")
    return found


def newest_first(table: dict[tuple[int, int], Numbered], project: Project) -> list[Numbered]:
    """``project``'s merge requests or issues, newest first, as GitLab lists them."""
    return sorted((item for (pid, _), item in table.items() if pid == project.id), key=lambda item: -item.created_at)


class MergeRequestHandlers(BaseHandlers):
    # -- merge requests --------------------------------------------------------------------
    def _mr(self, project: Project, iid: str) -> MergeRequest:
        return numbered(self.state.merge_requests, project, iid)

    def list_merge_requests(self, request: Request, id: str) -> Response:
        project = self._project(id)
        items = newest_first(self.state.merge_requests, project)
        query = request.query
        state = query.get("state", "all")
        if state not in MR_STATES:
            raise ApiError(400, "state does not have a valid value", key="error")
        if state != "all":
            items = [mr for mr in items if mr.state == state]
        for name in ("source_branch", "target_branch"):
            if value := query.get(name):
                items = [mr for mr in items if getattr(mr, name) == value]
        if wanted := self._label_list(query.get("labels")):
            items = [mr for mr in items if all(label in mr.labels for label in wanted)]
        if (author := query.get("author_username")) is not None:
            items = [mr for mr in items if mr.author.username == author]
        if iids := [int(v) for k, v in _pairs(request.query_string) if k in ("iids[]", "iids") and v.isdigit()]:
            items = [mr for mr in items if mr.iid in iids]
        return self._page(request, [self.renderer.merge_request(mr) for mr in items])

    def create_merge_request(self, request: Request, id: str) -> Response:
        source = self._project(id)
        params = request.json()
        for name in ("source_branch", "target_branch", "title"):
            if not params.get(name):
                raise missing(name)
        target = source
        if params.get("target_project_id") is not None:
            target = self._project(str(params["target_project_id"]))
            if target is not source and not _in_network(source, target):
                raise ApiError(400, "400 Bad request - target_project_id is not in the fork network", key="error")
        self._writable(request, source)
        if source.git.branch(params["source_branch"]) is None:
            raise ApiError(422, ["Source branch does not exist"])
        if target.git.branch(params["target_branch"]) is None:
            raise ApiError(422, ["Target branch does not exist"])
        for mr in self.state.merge_requests.values():
            same = mr.source is source and mr.target is target and mr.source_branch == params["source_branch"]
            if same and mr.state == "opened":
                message = f"Another open merge request already exists for this source branch: !{mr.iid}"
                raise ApiError(409, [message])
        labels = self._label_list(params.get("labels"))
        self._ensure_labels(target, labels)
        now = self.state.clock.tick()
        mr = MergeRequest(
            self.state.next_id(),
            self.state.next_iid(target, "merge_request"),
            target,
            source,
            str(params["source_branch"]),
            str(params["target_branch"]),
            str(params["title"]),
            str(params.get("description") or ""),
            request.user,
            now,
            now,
            labels=labels,
            reviewers=self._users(params.get("reviewer_ids")),
            assignees=self._users(params.get("assignee_ids")),
        )
        mr.draft = mr.title.lower().startswith(("draft:", "[draft]"))
        self.state.merge_requests[(target.id, mr.iid)] = mr
        self._sync_heads(target)
        return Response(201, self.renderer.merge_request(mr))

    def _users(self, ids: Any) -> list[User]:
        if ids is None:
            return []
        wanted = ids if isinstance(ids, list) else [part for part in str(ids).split(",") if part]
        by_id = {user.id: user for user in self.state.users.values()}
        return [by_id[int(user_id)] for user_id in wanted if str(user_id).isdigit() and int(user_id) in by_id]

    def get_merge_request(self, request: Request, id: str, merge_request_iid: str) -> Response:
        project = self._project(id)
        return Response(200, self.renderer.merge_request(self._mr(project, merge_request_iid)))

    def update_merge_request(self, request: Request, id: str, merge_request_iid: str) -> Response:
        project = self._project(id)
        mr = self._mr(project, merge_request_iid)
        params = request.json()
        if request.user is not mr.author:
            self._writable(request, project)
        for name in ("title", "description", "target_branch"):
            if name in params and params[name] is not None:
                setattr(mr, name, str(params[name]))
        if "labels" in params:
            mr.labels = self._label_list(params["labels"])
        for name, verb in (("add_labels", 1), ("remove_labels", -1)):
            for label in self._label_list(params.get(name)):
                if verb > 0 and label not in mr.labels:
                    mr.labels.append(label)
                elif verb < 0 and label in mr.labels:
                    mr.labels.remove(label)
        self._ensure_labels(project, mr.labels)
        if "reviewer_ids" in params:
            mr.reviewers = self._users(params["reviewer_ids"])
        event = params.get("state_event")
        if event == "close" and mr.state == "opened":
            mr.state, mr.closed_at = "closed", self.state.clock.tick()
        elif event == "reopen" and mr.state == "closed":
            mr.state, mr.closed_at = "opened", None
        elif event not in (None, "close", "reopen"):
            raise ApiError(400, "state_event does not have a valid value", key="error")
        mr.updated_at = self.state.clock.tick()
        return Response(200, self.renderer.merge_request(mr))

    def merge_merge_request(self, request: Request, id: str, merge_request_iid: str) -> Response:
        project = self._project(id)
        mr = self._mr(project, merge_request_iid)
        self._writable(request, project)
        if mr.state != "opened":
            raise ApiError(405, "405 Method Not Allowed")
        head = mr.source.git.branch(mr.source_branch)
        base = project.git.branch(mr.target_branch)
        if head is None or base is None:
            raise ApiError(422, "Branch cannot be merged")
        sha = request.json().get("sha")
        if sha and sha != head:
            raise ApiError(409, "SHA does not match HEAD of source branch")
        self._sync_heads(project)
        tree = project.git.merge_tree(base, head)
        if tree is None:
            raise ApiError(406, "Branch cannot be merged")
        person = self._person(request.user)
        message = f"Merge branch '{mr.source_branch}' into '{mr.target_branch}'\n\n{mr.title}\n\nSee merge request {project.path_with_namespace}!{mr.iid}"
        merged = project.git.commit_tree(tree, [base, head], message, person, person)
        project.git.update_ref(f"refs/heads/{mr.target_branch}", merged, base)
        now = self.state.clock.tick()
        mr.state, mr.merge_commit_sha, mr.merged_at, mr.updated_at = "merged", merged, now, now
        return Response(200, self.renderer.merge_request(mr))

    # -- notes -----------------------------------------------------------------------------
    def _noteable(self, project: Project, kind: str, iid: str) -> MergeRequest | Issue:
        if kind == "MergeRequest":
            return self._mr(project, iid)
        return self._issue(project, iid)

    def _list_notes(self, request: Request, id: str, noteable_id: str, kind: str) -> Response:
        project = self._project(id)
        item = self._noteable(project, kind, noteable_id)
        notes = sorted(item.notes, key=lambda note: note.created_at, reverse=request.query.get("sort") != "asc")
        return self._page(request, [self.renderer.note(n, kind, item.id, item.iid, project) for n in notes])

    def _create_note(self, request: Request, id: str, noteable_id: str, kind: str) -> Response:
        project = self._project(id)
        item = self._noteable(project, kind, noteable_id)
        body = request.json().get("body")
        if not body:
            raise missing("body")
        now = self.state.clock.tick()
        note = Note(self.state.next_id(), str(body), request.user, now, now)
        item.notes.append(note)
        return Response(201, self.renderer.note(note, kind, item.id, item.iid, project))

    def _update_note(self, request: Request, id: str, noteable_id: str, note_id: str, kind: str) -> Response:
        project = self._project(id)
        item = self._noteable(project, kind, noteable_id)
        note = next((n for n in item.notes if str(n.id) == note_id), None)
        if note is None:
            raise not_found("Note")
        if note.author is not request.user:
            raise ApiError(403, "403 Forbidden")
        body = request.json().get("body")
        if body:
            note.body, note.updated_at = str(body), self.state.clock.tick()
        return Response(200, self.renderer.note(note, kind, item.id, item.iid, project))

    def list_mr_notes(self, request: Request, id: str, noteable_id: str) -> Response:
        return self._list_notes(request, id, noteable_id, "MergeRequest")

    def create_mr_note(self, request: Request, id: str, noteable_id: str) -> Response:
        return self._create_note(request, id, noteable_id, "MergeRequest")

    def update_mr_note(self, request: Request, id: str, noteable_id: str, note_id: str) -> Response:
        return self._update_note(request, id, noteable_id, note_id, "MergeRequest")

    def list_issue_notes(self, request: Request, id: str, noteable_id: str) -> Response:
        return self._list_notes(request, id, noteable_id, "Issue")

    def create_issue_note(self, request: Request, id: str, noteable_id: str) -> Response:
        return self._create_note(request, id, noteable_id, "Issue")

    def update_issue_note(self, request: Request, id: str, noteable_id: str, note_id: str) -> Response:
        return self._update_note(request, id, noteable_id, note_id, "Issue")

    # -- issues ----------------------------------------------------------------------------
    def _issue(self, project: Project, iid: str) -> Issue:
        return numbered(self.state.issues, project, iid)

    def list_issues(self, request: Request, id: str) -> Response:
        project = self._project(id)
        items = newest_first(self.state.issues, project)
        state = request.query.get("state", "all")
        if state != "all":
            items = [i for i in items if i.state == state]
        if wanted := self._label_list(request.query.get("labels")):
            items = [i for i in items if all(label in i.labels for label in wanted)]
        if search := request.query.get("search"):
            items = [i for i in items if search.lower() in (i.title + i.description).lower()]
        return self._page(request, [self.renderer.issue(i) for i in items])

    def create_issue(self, request: Request, id: str) -> Response:
        project = self._project(id)
        params = request.json()
        if not params.get("title"):
            raise missing("title")
        labels = self._label_list(params.get("labels"))
        self._ensure_labels(project, labels)
        now = self.state.clock.tick()
        issue = Issue(
            self.state.next_id(),
            self.state.next_iid(project, "issue"),
            project,
            str(params["title"]),
            str(params.get("description") or ""),
            request.user,
            now,
            now,
            labels=labels,
        )
        self.state.issues[(project.id, issue.iid)] = issue
        return Response(201, self.renderer.issue(issue))

    def get_issue(self, request: Request, id: str, issue_iid: str) -> Response:
        return Response(200, self.renderer.issue(self._issue(self._project(id), issue_iid)))

    def update_issue(self, request: Request, id: str, issue_iid: str) -> Response:
        project = self._project(id)
        issue = self._issue(project, issue_iid)
        params = request.json()
        for name in ("title", "description"):
            if params.get(name) is not None:
                setattr(issue, name, str(params[name]))
        if "labels" in params:
            issue.labels = self._label_list(params["labels"])
            self._ensure_labels(project, issue.labels)
        event = params.get("state_event")
        if event == "close" and issue.state == "opened":
            issue.state, issue.closed_at = "closed", self.state.clock.tick()
        elif event == "reopen" and issue.state == "closed":
            issue.state, issue.closed_at = "opened", None
        issue.updated_at = self.state.clock.tick()
        return Response(200, self.renderer.issue(issue))


def _in_network(one: Project, two: Project) -> bool:
    def root(project: Project) -> Project:
        while project.forked_from is not None:
            project = project.forked_from
        return project

    return root(one) is root(two)


def _pairs(query_string: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query_string, keep_blank_values=True)
