"""The JSON the fake GitLab answers with, built from `State` and the bare repositories.

Field names and shapes follow GitLab's REST API v4 (its OpenAPI description where it has the
entity, its REST documentation where it does not: see `tests/fakegitlab/README.md`).
"""

from __future__ import annotations

from typing import Any

from tests.fakeforge.gitops import CommitInfo
from tests.fakegitlab.state import (
    CommitStatus,
    Group,
    Issue,
    Label,
    MergeRequest,
    Note,
    Project,
    State,
    User,
    iso,
)

Json = dict[str, Any]


class Renderer:
    """Turns records into GitLab's JSON; `url` is the instance's root (`http://127.0.0.1:PORT`)."""

    def __init__(self, state: State, url: str):
        self.state = state
        self.url = url

    # -- people and namespaces -------------------------------------------------------------
    def user(self, user: User) -> Json:
        return {
            "id": user.id,
            "username": user.username,
            "name": user.name,
            "state": "active",
            "locked": False,
            "avatar_url": None,
            "web_url": f"{self.url}/{user.username}",
        }

    def current_user(self, user: User) -> Json:
        return {
            **self.user(user),
            "created_at": iso(user.created_at),
            "bio": "",
            "public_email": user.email,
            "email": user.email,
            "bot": user.bot,
            "is_admin": False,
            "can_create_project": True,
            "can_create_group": True,
        }

    def namespace(self, owner: User | Group) -> Json:
        if isinstance(owner, User):
            return {
                "id": owner.namespace_id,
                "name": owner.name,
                "path": owner.username,
                "kind": "user",
                "full_path": owner.username,
                "parent_id": None,
                "avatar_url": None,
                "web_url": f"{self.url}/{owner.username}",
            }
        return {
            "id": owner.id,
            "name": owner.name,
            "path": owner.path,
            "kind": "group",
            "full_path": owner.path,
            "parent_id": None,
            "avatar_url": None,
            "web_url": f"{self.url}/groups/{owner.path}",
        }

    def group(self, group: Group) -> Json:
        return {
            "id": group.id,
            "name": group.name,
            "path": group.path,
            "full_name": group.name,
            "full_path": group.path,
            "description": "",
            "visibility": "public",
            "parent_id": None,
            "avatar_url": None,
            "web_url": f"{self.url}/groups/{group.path}",
            "created_at": iso(group.created_at),
        }

    # -- projects ----------------------------------------------------------------------------
    def project(self, project: Project, *, with_parent: bool = True) -> Json:
        full = project.path_with_namespace
        body: Json = {
            "id": project.id,
            "description": project.description,
            "name": project.path,
            "name_with_namespace": f"{_display(project.namespace)} / {project.path}",
            "path": project.path,
            "path_with_namespace": full,
            "created_at": iso(project.created_at),
            "last_activity_at": iso(project.last_activity_at),
            "default_branch": project.default_branch if project.git.branches() else None,
            "tag_list": [],
            "topics": [],
            "ssh_url_to_repo": f"ssh://git@127.0.0.1/{full}.git",
            "http_url_to_repo": self.clone_url(project),
            "web_url": f"{self.url}/{full}",
            "readme_url": None,
            "avatar_url": None,
            "forks_count": len(project.forks),
            "star_count": 0,
            "namespace": self.namespace(project.namespace),
            "archived": project.archived,
            "visibility": project.visibility,
            "empty_repo": not project.git.branches(),
            "import_status": project.import_status,
            "import_error": None,
            "open_issues_count": sum(
                1 for issue in self.state.issues.values() if issue.project is project and issue.state == "opened"
            ),
            "_links": {
                "self": f"{self.url}/api/v4/projects/{project.id}",
                "issues": f"{self.url}/api/v4/projects/{project.id}/issues",
                "merge_requests": f"{self.url}/api/v4/projects/{project.id}/merge_requests",
                "repo_branches": f"{self.url}/api/v4/projects/{project.id}/repository/branches",
                "labels": f"{self.url}/api/v4/projects/{project.id}/labels",
                "events": f"{self.url}/api/v4/projects/{project.id}/events",
                "members": f"{self.url}/api/v4/projects/{project.id}/members",
                "cluster_agents": f"{self.url}/api/v4/projects/{project.id}/cluster_agents",
            },
        }
        if project.forked_from is not None and with_parent:
            body["forked_from_project"] = self.project(project.forked_from, with_parent=False)
        return body

    def clone_url(self, project: Project) -> str:
        return f"{self.url}/{project.path_with_namespace}.git"

    # -- git ---------------------------------------------------------------------------------
    def commit(self, project: Project, info: CommitInfo) -> Json:
        title = info.message.split("\n", 1)[0]
        return {
            "id": info.sha,
            "short_id": info.sha[:8],
            "title": title,
            "message": info.message,
            "parent_ids": list(info.parents),
            "author_name": info.author.name,
            "author_email": info.author.email,
            "authored_date": _git_date(info.author.date),
            "committer_name": info.committer.name,
            "committer_email": info.committer.email,
            "committed_date": _git_date(info.committer.date),
            "created_at": _git_date(info.committer.date),
            "trailers": {},
            "extended_trailers": {},
            "web_url": f"{self.url}/{project.path_with_namespace}/-/commit/{info.sha}",
        }

    def branch(self, project: Project, name: str, info: CommitInfo) -> Json:
        return {
            "name": name,
            "commit": self.commit(project, info),
            "merged": False,
            "protected": name == project.default_branch,
            "developers_can_push": False,
            "developers_can_merge": False,
            "can_push": True,
            "default": name == project.default_branch,
            "web_url": f"{self.url}/{project.path_with_namespace}/-/tree/{name}",
        }

    def status(self, status: CommitStatus) -> Json:
        return {
            "id": status.id,
            "sha": status.sha,
            "ref": status.ref,
            "status": status.state,
            "name": status.name,
            "target_url": status.target_url,
            "description": status.description,
            "created_at": iso(status.created_at),
            "started_at": iso(status.created_at) if status.state != "pending" else None,
            "finished_at": iso(status.created_at) if status.state in ("success", "failed", "canceled") else None,
            "allow_failure": False,
            "coverage": None,
            "pipeline_id": status.pipeline_id,
            "author": self.user(status.author),
        }

    # -- labels, notes, merge requests, issues ---------------------------------------------
    def label(self, label: Label, project: Project) -> Json:
        return {
            "id": label.id,
            "name": label.name,
            "color": label.color,
            "text_color": "#FFFFFF",
            "description": label.description,
            "description_html": label.description or "",
            "open_issues_count": 0,
            "closed_issues_count": 0,
            "open_merge_requests_count": 0,
            "subscribed": False,
            "priority": None,
            "is_project_label": True,
        }

    def note(self, note: Note, noteable_type: str, noteable_id: int, noteable_iid: int, project: Project) -> Json:
        return {
            "id": note.id,
            "type": None,
            "body": note.body,
            "attachment": None,
            "author": self.user(note.author),
            "created_at": iso(note.created_at),
            "updated_at": iso(note.updated_at),
            "system": note.system,
            "noteable_id": noteable_id,
            "noteable_type": noteable_type,
            "project_id": project.id,
            "resolvable": False,
            "confidential": False,
            "internal": False,
            "noteable_iid": noteable_iid,
            "commands_changes": {},
        }

    def merge_request(self, mr: MergeRequest) -> Json:
        head = mr.source.git.branch(mr.source_branch) if mr.state != "merged" else None
        full = mr.target.path_with_namespace
        return {
            "id": mr.id,
            "iid": mr.iid,
            "project_id": mr.target.id,
            "title": mr.title,
            "description": mr.description,
            "state": mr.state,
            "created_at": iso(mr.created_at),
            "updated_at": iso(mr.updated_at),
            "merged_at": iso(mr.merged_at) if mr.merged_at else None,
            "closed_at": iso(mr.closed_at) if mr.closed_at else None,
            "merged_by": None,
            "closed_by": None,
            "target_branch": mr.target_branch,
            "source_branch": mr.source_branch,
            "user_notes_count": sum(1 for note in mr.notes if not note.system),
            "upvotes": 0,
            "downvotes": 0,
            "author": self.user(mr.author),
            "assignees": [self.user(user) for user in mr.assignees],
            "assignee": self.user(mr.assignees[0]) if mr.assignees else None,
            "reviewers": [self.user(user) for user in mr.reviewers],
            "source_project_id": mr.source.id,
            "target_project_id": mr.target.id,
            "labels": list(mr.labels),
            "draft": mr.draft,
            "work_in_progress": mr.draft,
            "milestone": None,
            "merge_when_pipeline_succeeds": False,
            "merge_status": "can_be_merged",
            "detailed_merge_status": "mergeable" if mr.state == "opened" else "not_open",
            "sha": head or mr.merge_commit_sha,
            "merge_commit_sha": mr.merge_commit_sha,
            "squash_commit_sha": None,
            "discussion_locked": None,
            "should_remove_source_branch": None,
            "force_remove_source_branch": False,
            "prepared_at": iso(mr.created_at),
            "reference": f"!{mr.iid}",
            "references": {"short": f"!{mr.iid}", "relative": f"!{mr.iid}", "full": f"{full}!{mr.iid}"},
            "web_url": f"{self.url}/{full}/-/merge_requests/{mr.iid}",
            "time_stats": _time_stats(),
            "squash": False,
            "squash_on_merge": False,
            "task_completion_status": {"count": 0, "completed_count": 0},
            "has_conflicts": False,
            "blocking_discussions_resolved": True,
        }

    def issue(self, issue: Issue) -> Json:
        full = issue.project.path_with_namespace
        return {
            "id": issue.id,
            "iid": issue.iid,
            "project_id": issue.project.id,
            "title": issue.title,
            "description": issue.description,
            "state": issue.state,
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "closed_at": iso(issue.closed_at) if issue.closed_at else None,
            "closed_by": None,
            "labels": list(issue.labels),
            "milestone": None,
            "assignees": [],
            "assignee": None,
            "author": self.user(issue.author),
            "type": "ISSUE",
            "issue_type": "issue",
            "user_notes_count": sum(1 for note in issue.notes if not note.system),
            "merge_requests_count": 0,
            "upvotes": 0,
            "downvotes": 0,
            "due_date": None,
            "confidential": False,
            "discussion_locked": None,
            "web_url": f"{self.url}/{full}/-/issues/{issue.iid}",
            "time_stats": _time_stats(),
            "task_completion_status": {"count": 0, "completed_count": 0},
            "references": {"short": f"#{issue.iid}", "relative": f"#{issue.iid}", "full": f"{full}#{issue.iid}"},
            "_links": {
                "self": f"{self.url}/api/v4/projects/{issue.project.id}/issues/{issue.iid}",
                "notes": f"{self.url}/api/v4/projects/{issue.project.id}/issues/{issue.iid}/notes",
                "award_emoji": f"{self.url}/api/v4/projects/{issue.project.id}/issues/{issue.iid}/award_emoji",
                "project": f"{self.url}/api/v4/projects/{issue.project.id}",
            },
        }


def _display(owner: User | Group) -> str:
    return owner.name


def _git_date(raw: str) -> str:
    """git's `<epoch> +0000` as GitLab writes commit dates: `2023-11-14T22:13:20.000+00:00`."""
    epoch = int(raw.split(maxsplit=1)[0])
    return iso(epoch).replace(".000Z", ".000+00:00")


def _time_stats() -> Json:
    return {"time_estimate": 0, "total_time_spent": 0, "human_time_estimate": None, "human_total_time_spent": None}
