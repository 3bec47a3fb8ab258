"""Users, groups, namespaces, projects (forks, archive), branches, commits, statuses and labels."""

from __future__ import annotations

from pathlib import Path

from tests.fakeforge.gitops import BareRepo
from tests.fakegitlab.handlers import STATUS_STATES, ApiError, BaseHandlers, Request, Response, missing, not_found
from tests.fakegitlab.state import CommitStatus, Group, Label, Project, User


class ProjectHandlers(BaseHandlers):
    root: Path

    # -- users and namespaces --------------------------------------------------------------
    def get_user(self, request: Request) -> Response:
        return Response(200, self.renderer.current_user(request.user))

    def list_users(self, request: Request) -> Response:
        users = sorted(self.state.users.values(), key=lambda user: user.id)
        if username := request.query.get("username"):
            users = [user for user in users if user.username.lower() == username.lower()]
        return self._page(request, [self.renderer.user(user) for user in users])

    def _group(self, ref: str) -> Group:
        found = next((g for g in self.state.groups.values() if str(g.id) == ref), None)
        group = found or self.state.groups.get(ref.lower())
        if group is None:
            raise not_found("Group")
        return group

    def get_group(self, request: Request, id: str) -> Response:
        return Response(200, self.renderer.group(self._group(id)))

    def list_group_projects(self, request: Request, id: str) -> Response:
        group = self._group(id)
        projects = [p for p in self.state.projects.values() if p.namespace is group]
        return self._page(request, [self.renderer.project(p) for p in projects])

    def get_namespace(self, request: Request, id: str) -> Response:
        for user in self.state.users.values():
            if str(user.namespace_id) == id or user.username.lower() == id.lower():
                return Response(200, self.renderer.namespace(user))
        return Response(200, self.renderer.namespace(self._group(id)))

    # -- projects --------------------------------------------------------------------------
    def get_project(self, request: Request, id: str) -> Response:
        project = self._project(id)
        self._advance_import(project)
        return Response(200, self.renderer.project(project))

    def _advance_import(self, project: Project) -> None:
        """A fork's import finishes after `pending_import` reads of it (GitLab imports in the background)."""
        if project.import_status in ("scheduled", "started"):
            if project.pending_import <= 0:
                project.import_status = "finished"
            else:
                project.pending_import -= 1
                project.import_status = "started"

    def create_project(self, request: Request) -> Response:
        params = request.json()
        path = str(params.get("path") or params.get("name") or "")
        if not path:
            raise ApiError(400, "name, path are missing, at least one parameter must be provided", key="error")
        owner: User | Group = request.user
        if "namespace_id" in params:
            owner = self._namespace_owner(str(params["namespace_id"]), request.user)
        project = self.create_project_record(owner, path, description=params.get("description"))
        return Response(201, self.renderer.project(project))

    def _namespace_owner(self, ref: str, user: User) -> User | Group:
        for candidate in self.state.users.values():
            if str(candidate.namespace_id) == ref or candidate.username.lower() == ref.lower():
                if candidate is not user:
                    raise ApiError(403, "403 Forbidden")
                return candidate
        group = self._group(ref)
        if user.username not in group.members:
            raise ApiError(403, "403 Forbidden")
        return group

    def create_project_record(
        self,
        owner: User | Group,
        path: str,
        *,
        source_path: Path | None = None,
        fork_of: Project | None = None,
        default_branch: str | None = None,
        description: str | None = None,
    ) -> Project:
        """A project and its bare repository (cloned from `source_path` or the parent, else empty)."""
        full = f"{owner.username if isinstance(owner, User) else owner.path}/{path}"
        if self.state.project_by_path(full) is not None:
            raise ApiError(400, {"name": ["has already been taken"], "path": ["has already been taken"]})
        git_path = self.root / "repos" / full.split("/", maxsplit=1)[0] / f"{path}.git"
        branch = default_branch or (fork_of.default_branch if fork_of else "main")
        if source_path is not None:
            BareRepo.clone(Path(source_path), git_path)
        elif fork_of is not None:
            BareRepo.clone(fork_of.git_path, git_path)
        else:
            BareRepo.init(git_path, branch)
        BareRepo(git_path).git("symbolic-ref", "HEAD", f"refs/heads/{branch}")
        now = self.state.clock.tick()
        project = Project(self.state.next_id(), owner, path, git_path, branch, now, now, forked_from=fork_of)
        project.description = description
        if fork_of is not None:
            fork_of.forks.append(project)
        self.state.projects[project.id] = project
        return project

    def list_forks(self, request: Request, id: str) -> Response:
        project = self._project(id)
        return self._page(request, [self.renderer.project(fork) for fork in project.forks])

    def fork_project(self, request: Request, id: str) -> Response:
        parent = self._project(id)
        params = request.json()
        ref = params.get("namespace_path") or params.get("namespace_id") or params.get("namespace")
        owner = self._namespace_owner(str(ref), request.user) if ref else request.user
        path = str(params.get("path") or parent.path)
        fork = self.create_project_record(owner, path, fork_of=parent, description=parent.description)
        fork.import_status = "scheduled"
        fork.pending_import = self.options.import_reads  # type: ignore[attr-defined]
        return Response(201, self.renderer.project(fork))

    def archive_project(self, request: Request, id: str) -> Response:
        project = self._project(id)
        self._writable(request, project)
        project.archived = True
        return Response(201, self.renderer.project(project))

    def unarchive_project(self, request: Request, id: str) -> Response:
        project = self._project(id)
        project.archived = False
        try:
            self._writable(request, project)
        except ApiError:
            project.archived = True
            raise
        return Response(201, self.renderer.project(project))

    # -- branches, commits, statuses -------------------------------------------------------
    def list_branches(self, request: Request, id: str) -> Response:
        project = self._project(id)
        branches = [(name, sha) for name, sha in project.git.branches()]
        if search := request.query.get("search"):
            branches = [(name, sha) for name, sha in branches if search in name]
        items = [self.renderer.branch(project, name, project.git.commit_info(sha)) for name, sha in branches]
        return self._page(request, items)

    def get_branch(self, request: Request, id: str, branch: str) -> Response:
        project = self._project(id)
        sha = project.git.branch(branch)
        if sha is None:
            raise not_found("Branch")
        return Response(200, self.renderer.branch(project, branch, project.git.commit_info(sha)))

    def get_commit(self, request: Request, id: str, sha: str) -> Response:
        project = self._project(id)
        self._sync_heads(project)
        resolved = project.git.resolve(sha)
        if resolved is None:
            raise not_found("Commit")
        return Response(200, self.renderer.commit(project, project.git.commit_info(resolved)))

    def list_statuses(self, request: Request, id: str, sha: str) -> Response:
        project = self._project(id)
        self._sync_heads(project)
        resolved = project.git.resolve(sha) or sha
        statuses = [s for s in self.state.statuses.get(project.id, []) if s.sha == resolved]
        if ref := request.query.get("ref"):
            statuses = [s for s in statuses if s.ref == ref]
        if name := request.query.get("name"):
            statuses = [s for s in statuses if s.name == name]
        return self._page(request, [self.renderer.status(s) for s in statuses])

    def create_status(self, request: Request, id: str, sha: str) -> Response:
        project = self._project(id)
        self._sync_heads(project)
        if request.identity is not None and not request.identity.is_job:
            self._writable(request, project)
        params = request.json()
        state = params.get("state")
        if not state:
            raise missing("state")
        if state not in STATUS_STATES:
            raise ApiError(400, "state does not have a valid value", key="error")
        if not project.git.has_commit(sha):
            raise not_found("References for commit")
        name = str(params.get("name") or params.get("context") or "default")
        ref = params.get("ref") or next((b for b, s in project.git.branches() if s == sha), None)
        statuses = self.state.statuses.setdefault(project.id, [])
        for old in statuses:  # GitLab keeps one status per sha, name and ref; a new state replaces it
            if old.sha == sha and old.name == name and old.ref == ref and old.state in ("pending", "running"):
                statuses.remove(old)
                break
        status = CommitStatus(
            self.state.next_id(),
            sha,
            ref,
            name,
            state,
            params.get("description"),
            params.get("target_url"),
            request.user,
            self.state.clock.tick(),
            pipeline_id=self.state.next_id(),
        )
        statuses.append(status)
        return Response(201, self.renderer.status(status))

    # -- labels ----------------------------------------------------------------------------
    def list_labels(self, request: Request, id: str) -> Response:
        project = self._project(id)
        return self._page(request, [self.renderer.label(label, project) for label in self._labels(project)])

    def create_label(self, request: Request, id: str) -> Response:
        project = self._project(id)
        self._writable(request, project)
        params = request.json()
        if not params.get("name"):
            raise missing("name")
        if not params.get("color"):
            raise missing("color")
        if any(label.name == params["name"] for label in self._labels(project)):
            raise ApiError(409, "Label already exists")
        label = Label(self.state.next_id(), str(params["name"]), str(params["color"]), params.get("description"))
        self._labels(project).append(label)
        return Response(201, self.renderer.label(label, project))
