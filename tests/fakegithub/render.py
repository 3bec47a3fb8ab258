"""The JSON the fake answers with, shaped like GitHub's (and checked against its description).

API URLs point back at the fake, with the prefix the request came in with (`/api/v3` for a
GitHub Enterprise client), so github3.py's objects keep talking to the fake. Web URLs
(`html_url`) point at the fake's root; `clone_url` is the `file://` URI of the bare repository (or,
once `serve_git_over_http` was called, the fake's own http:// URL for it).
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from tests.fakeforge.gitops import CommitInfo, FileChange
from tests.fakegithub.state import (
    Account,
    Advisory,
    App,
    CheckRun,
    Comment,
    Installation,
    Issue,
    Label,
    Pull,
    Repo,
    State,
    Status,
    iso,
)

Json = dict[str, Any]
APP_PERMISSIONS = {
    "checks": "write",
    "contents": "write",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
    "statuses": "write",
}
DIFF_STATUS = {"A": "added", "D": "removed", "M": "modified", "T": "changed"}


def q(text: str) -> str:
    """A path segment (or several: slashes kept) quoted for a URL."""
    return quote(text, safe="/:@")


@dataclass(frozen=True)
class Urls:
    """Where the API (`api`) and the web pages (`web`) of the fake live, for one request."""

    root: str  # http://127.0.0.1:PORT
    prefix: str = ""  # "" or "/api/v3"
    clone_root: str | None = None  # where git is served over HTTP (None: clone_url is the file:// URI)

    def api(self, path: str) -> str:
        return f"{self.root}{self.prefix}{path}"

    def web(self, path: str) -> str:
        return f"{self.root}{path}"

    def repo_api(self, repo: Repo, path: str = "") -> str:
        return self.api(f"/repos/{q(repo.full_name)}{path}")

    def repo_web(self, repo: Repo, path: str = "") -> str:
        return self.web(f"/{q(repo.full_name)}{path}")

    def clone(self, repo: Repo) -> str:
        """Where git fetches and pushes the repository: over HTTP when the fake serves git, else its file:// URI."""
        if self.clone_root is None:
            return repo.path.as_uri()
        return f"{self.clone_root}/{q(repo.full_name)}.git"


class Renderer:
    """Turns the fake's state into GitHub's JSON for one request."""

    def __init__(self, state: State, urls: Urls, body_formats: frozenset[str] = frozenset({"raw"})):
        self.state = state
        self.urls = urls
        self.body_formats = body_formats

    def bodies(self, text: str | None) -> Json:
        """`body` and, as the Accept header asked (github3.py asks for `full`), `body_text`/`body_html`."""
        out: Json = {"body": text}
        if "text" in self.body_formats:
            out["body_text"] = text or ""
        if "html" in self.body_formats:
            out["body_html"] = "".join(f"<p>{html.escape(part)}</p>" for part in (text or "").split("\n\n") if part)
        return out

    # -- accounts ------------------------------------------------------------------------
    def user(self, account: Account) -> Json:
        """simple-user."""
        api = self.urls.api(f"/users/{q(account.login)}")
        return {
            "login": account.login,
            "id": account.id,
            "node_id": f"U_{account.id}",
            "avatar_url": self.urls.web(f"/avatars/u/{account.id}"),
            "gravatar_id": "",
            "url": api,
            "html_url": self.urls.web(f"/{q(account.login)}"),
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": account.type,
            "site_admin": False,
            "user_view_type": "public",
        }

    def user_or_none(self, account: Account | None) -> Json | None:
        return self.user(account) if account else None

    def private_user(self, account: Account) -> Json:
        """private-user (GET /user)."""
        owned = [repo for repo in self.state.repos.values() if repo.owner is account]
        return {
            **self.user(account),
            "user_view_type": "private",
            "name": account.name,
            "company": None,
            "blog": "",
            "location": None,
            "email": account.email,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": sum(1 for repo in owned if not repo.private),
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": iso(account.created_at),
            "updated_at": iso(account.created_at),
            "private_gists": 0,
            "total_private_repos": sum(1 for repo in owned if repo.private),
            "owned_private_repos": sum(1 for repo in owned if repo.private),
            "disk_usage": 0,
            "collaborators": 0,
            "two_factor_authentication": True,
        }

    def organization(self, org: Account) -> Json:
        """organization-full."""
        api = self.urls.api(f"/orgs/{q(org.login)}")
        repos = [repo for repo in self.state.repos.values() if repo.owner is org]
        return {
            "login": org.login,
            "id": org.id,
            "node_id": f"O_{org.id}",
            "url": api,
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events",
            "hooks_url": f"{api}/hooks",
            "issues_url": f"{api}/issues",
            "members_url": f"{api}/members{{/member}}",
            "public_members_url": f"{api}/public_members{{/member}}",
            "avatar_url": self.urls.web(f"/avatars/u/{org.id}"),
            "description": None,
            "name": org.name or org.login,
            "html_url": self.urls.web(f"/{q(org.login)}"),
            "type": "Organization",
            "has_organization_projects": True,
            "has_repository_projects": True,
            "public_repos": sum(1 for repo in repos if not repo.private),
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "total_private_repos": sum(1 for repo in repos if repo.private),
            "owned_private_repos": sum(1 for repo in repos if repo.private),
            "default_repository_branch": "main",
            "created_at": iso(org.created_at),
            "updated_at": iso(org.created_at),
            "archived_at": None,
        }

    # -- repositories --------------------------------------------------------------------
    def repository(self, repo: Repo, *, full: bool = False) -> Json:
        """repository / minimal-repository; with `full`, full-repository (parent and source too)."""
        out = {**self._repo_identity(repo), **self._repo_urls(repo), **self._repo_facts(repo)}
        if full:
            out["network_count"] = self._network_size(repo)
            if repo.owner.type == "Organization":
                out["organization"] = self.user(repo.owner)
            if repo.parent is not None and repo.source is not None:
                out["parent"] = self.repository(repo.parent)
                out["source"] = self.repository(repo.source)
        return out

    def _repo_identity(self, repo: Repo) -> Json:
        return {
            "id": repo.id,
            "node_id": f"R_{repo.id}",
            "name": repo.name,
            "full_name": repo.full_name,
            "owner": self.user(repo.owner),
            "private": repo.private,
            "visibility": "private" if repo.private else "public",
            "html_url": self.urls.repo_web(repo),
            "description": repo.description,
            "fork": repo.parent is not None,
            "url": self.urls.repo_api(repo),
            "clone_url": self.urls.clone(repo),
            "git_url": repo.path.as_uri(),
            "ssh_url": repo.path.as_uri(),
            "svn_url": self.urls.repo_web(repo),
            "mirror_url": None,
            "homepage": repo.homepage,
        }

    def _repo_urls(self, repo: Repo) -> Json:
        api = self.urls.repo_api(repo)
        templated = {
            "archive_url": "/{archive_format}{/ref}",
            "assignees_url": "/assignees{/user}",
            "blobs_url": "/git/blobs{/sha}",
            "branches_url": "/branches{/branch}",
            "collaborators_url": "/collaborators{/collaborator}",
            "comments_url": "/comments{/number}",
            "commits_url": "/commits{/sha}",
            "compare_url": "/compare/{base}...{head}",
            "contents_url": "/contents/{+path}",
            "git_commits_url": "/git/commits{/sha}",
            "git_refs_url": "/git/refs{/sha}",
            "git_tags_url": "/git/tags{/sha}",
            "issue_comment_url": "/issues/comments{/number}",
            "issue_events_url": "/issues/events{/number}",
            "issues_url": "/issues{/number}",
            "keys_url": "/keys{/key_id}",
            "labels_url": "/labels{/name}",
            "milestones_url": "/milestones{/number}",
            "notifications_url": "/notifications{?since,all,participating}",
            "pulls_url": "/pulls{/number}",
            "releases_url": "/releases{/id}",
            "statuses_url": "/statuses/{sha}",
            "trees_url": "/git/trees{/sha}",
        }
        plain = [
            "contributors",
            "deployments",
            "downloads",
            "events",
            "forks",
            "hooks",
            "languages",
            "merges",
            "stargazers",
            "subscribers",
            "subscription",
            "tags",
            "teams",
        ]
        out = {key: api + suffix for key, suffix in templated.items()}
        out.update({f"{name}_url": f"{api}/{name}" for name in plain})
        return out

    def _repo_facts(self, repo: Repo) -> Json:
        issues = [*self.state.pulls_of(repo), *self.state.issues_of(repo)]
        open_issues = sum(1 for issue in issues if issue.state == "open")
        return {
            "language": None,
            "forks_count": len(repo.forks),
            "forks": len(repo.forks),
            "stargazers_count": 0,
            "watchers_count": 0,
            "watchers": 0,
            "subscribers_count": 0,
            "size": 0,
            "default_branch": repo.default_branch,
            "open_issues_count": open_issues,
            "open_issues": open_issues,
            "is_template": repo.is_template,
            "topics": [],
            "has_issues": True,
            "has_projects": True,
            "has_wiki": True,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": repo.archived,
            "disabled": False,
            "pushed_at": iso(repo.pushed_at),
            "created_at": iso(repo.created_at),
            "updated_at": iso(repo.updated_at),
            "permissions": {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True},
            "allow_rebase_merge": True,
            "allow_squash_merge": True,
            "allow_merge_commit": True,
            "allow_auto_merge": False,
            "delete_branch_on_merge": False,
            "allow_forking": True,
            "web_commit_signoff_required": False,
            "license": None,
        }

    def _network_size(self, repo: Repo) -> int:
        root = repo.network_root
        return sum(1 for other in self.state.repos.values() if other.network_root is root)

    # -- git -----------------------------------------------------------------------------
    def git_ref(self, repo: Repo, ref: str, sha: str, kind: str = "commit") -> Json:
        """git-ref."""
        objects = "tags" if kind == "tag" else "commits"
        return {
            "ref": ref,
            "node_id": f"REF_{repo.id}_{q(ref)}",
            "url": self.urls.repo_api(repo, f"/git/{q(ref)}"),
            "object": {"type": kind, "sha": sha, "url": self.urls.repo_api(repo, f"/git/{objects}/{sha}")},
        }

    def commit(self, repo: Repo, info: CommitInfo, files: list[FileChange] | None = None) -> Json:
        """commit; with `files`, the stats and files GET /commits/{ref} adds."""
        out = {
            "url": self.urls.repo_api(repo, f"/commits/{info.sha}"),
            "sha": info.sha,
            "node_id": f"C_{info.sha}",
            "html_url": self.urls.repo_web(repo, f"/commit/{info.sha}"),
            "comments_url": self.urls.repo_api(repo, f"/commits/{info.sha}/comments"),
            "commit": {
                "url": self.urls.repo_api(repo, f"/git/commits/{info.sha}"),
                "author": self._git_user(info.author),
                "committer": self._git_user(info.committer),
                "message": info.message,
                "comment_count": 0,
                "tree": {"sha": info.tree, "url": self.urls.repo_api(repo, f"/git/trees/{info.tree}")},
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "payload": None,
                    "signature": None,
                    "verified_at": None,
                },
            },
            "author": self.user_or_none(self.state.account_by_email(info.author.email)),
            "committer": self.user_or_none(self.state.account_by_email(info.committer.email)),
            "parents": [
                {
                    "sha": parent,
                    "url": self.urls.repo_api(repo, f"/commits/{parent}"),
                    "html_url": self.urls.repo_web(repo, f"/commit/{parent}"),
                }
                for parent in info.parents
            ],
        }
        if files is not None:
            additions = sum(change.additions for change in files)
            deletions = sum(change.deletions for change in files)
            out["stats"] = {"additions": additions, "deletions": deletions, "total": additions + deletions}
            out["files"] = [self.diff_entry(repo, info.sha, change) for change in files]
        return out

    @staticmethod
    def _git_user(person: Any) -> Json:
        return {"name": person.name, "email": person.email, "date": iso(int(person.date.split()[0]))}

    def diff_entry(self, repo: Repo, sha: str, change: FileChange) -> Json:
        """diff-entry."""
        name = q(change.filename)
        return {
            "sha": change.blob,
            "filename": change.filename,
            "status": DIFF_STATUS.get(change.status, "changed"),
            "additions": change.additions,
            "deletions": change.deletions,
            "changes": change.additions + change.deletions,
            "blob_url": self.urls.repo_web(repo, f"/blob/{sha}/{name}"),
            "raw_url": self.urls.repo_web(repo, f"/raw/{sha}/{name}"),
            "contents_url": self.urls.repo_api(repo, f"/contents/{name}?ref={sha}"),
        }

    def short_branch(self, repo: Repo, name: str, sha: str) -> Json:
        """short-branch."""
        return {
            "name": name,
            "commit": {"sha": sha, "url": self.urls.repo_api(repo, f"/commits/{sha}")},
            "protected": False,
            "protection_url": self.urls.repo_api(repo, f"/branches/{q(name)}/protection"),
        }

    def branch(self, repo: Repo, name: str, info: CommitInfo) -> Json:
        """branch-with-protection."""
        return {
            "name": name,
            "commit": self.commit(repo, info),
            "_links": {
                "html": self.urls.repo_web(repo, f"/tree/{q(name)}"),
                "self": self.urls.repo_api(repo, f"/branches/{q(name)}"),
            },
            "protected": False,
            "protection": {"enabled": False},
            "protection_url": self.urls.repo_api(repo, f"/branches/{q(name)}/protection"),
        }

    # -- pull requests and issues --------------------------------------------------------
    def label(self, repo: Repo, label: Label, *, description_required: bool = False) -> Json:
        """label (pull-request-simple's labels want a string description: `description_required`)."""
        description = label.description
        if description is None and description_required:
            description = ""
        return {
            "id": label.id,
            "node_id": f"LA_{label.id}",
            "url": self.urls.repo_api(repo, f"/labels/{quote(label.name, safe='')}"),
            "name": label.name,
            "description": description,
            "color": label.color,
            "default": label.default,
        }

    def _pull_end(self, repo: Repo, ref: str, sha: str) -> Json:
        return {
            "label": f"{repo.owner.login}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": self.user(repo.owner),
            "repo": self.repository(repo),
        }

    def pull_simple(self, pull: Pull, base_sha: str) -> Json:
        """pull-request-simple."""
        repo = pull.repo
        api = self.urls.repo_api(repo, f"/pulls/{pull.number}")
        issue = self.urls.repo_api(repo, f"/issues/{pull.number}")
        html = self.urls.repo_web(repo, f"/pull/{pull.number}")
        links = {
            "self": api,
            "html": html,
            "issue": issue,
            "comments": f"{issue}/comments",
            "review_comments": f"{api}/comments",
            "review_comment": self.urls.repo_api(repo, "/pulls/comments{/number}"),
            "commits": f"{api}/commits",
            "statuses": self.urls.repo_api(repo, f"/statuses/{pull.head_sha}"),
        }
        return {
            "url": api,
            "id": pull.id,
            "node_id": f"PR_{pull.id}",
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": issue,
            "commits_url": links["commits"],
            "review_comments_url": links["review_comments"],
            "review_comment_url": links["review_comment"],
            "comments_url": links["comments"],
            "statuses_url": links["statuses"],
            "number": pull.number,
            "state": pull.state,
            "locked": False,
            "title": pull.title,
            "user": self.user(pull.user),
            **self.bodies(pull.body),
            "labels": [self.label(repo, repo.labels[n], description_required=True) for n in pull.labels],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": iso(pull.created_at),
            "updated_at": iso(pull.updated_at),
            "closed_at": iso(pull.closed_at) if pull.closed_at else None,
            "merged_at": iso(pull.merged_at) if pull.merged_at else None,
            "merge_commit_sha": pull.merge_commit_sha,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [self.user(account) for account in pull.requested_reviewers],
            "requested_teams": [],
            "head": self._pull_end(pull.head_repo, pull.head_ref, pull.head_sha),
            "base": self._pull_end(repo, pull.base_ref, base_sha),
            "_links": {name: {"href": href} for name, href in links.items()},
            "author_association": self.association(pull.user, repo),
            "auto_merge": None,
            "draft": pull.draft,
        }

    def pull(self, pull: Pull, base_sha: str, stats: dict[str, int], mergeable: bool | None) -> Json:
        """pull-request: the simple form plus merge state and counts."""
        state = ("clean" if mergeable else "dirty") if pull.state == "open" else "unknown"
        return {
            **self.pull_simple(pull, base_sha),
            "merged": pull.merged_at is not None,
            "mergeable": mergeable,
            "rebaseable": mergeable,
            "mergeable_state": state,
            "merged_by": self.user_or_none(pull.merged_by),
            "comments": len(self.state.comments_of(pull.repo, pull.number)),
            "review_comments": 0,
            "maintainer_can_modify": pull.maintainer_can_modify,
            **stats,
        }

    def issue(self, issue: Pull | Issue) -> Json:
        """issue: a standalone issue, or the issue side of a pull request (with `pull_request` and `draft`)."""
        repo = issue.repo
        pull = issue if isinstance(issue, Pull) else None
        api = self.urls.repo_api(repo, f"/issues/{issue.number}")
        html = self.urls.repo_web(repo, f"/{'pull' if pull else 'issues'}/{issue.number}")
        out = {
            "id": pull.issue_id if pull else issue.id,
            "node_id": f"PR_{pull.id}" if pull else f"I_{issue.id}",
            "url": api,
            "repository_url": self.urls.repo_api(repo),
            "labels_url": f"{api}/labels{{/name}}",
            "comments_url": f"{api}/comments",
            "events_url": f"{api}/events",
            "html_url": html,
            "number": issue.number,
            "state": issue.state,
            "state_reason": None if pull else issue.state_reason,
            "title": issue.title,
            **self.bodies(issue.body),
            "user": self.user(issue.user),
            "labels": [self.label(repo, repo.labels[name]) for name in issue.labels],
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "locked": False,
            "active_lock_reason": None,
            "comments": len(self.state.comments_of(repo, issue.number)),
        }
        if pull:
            out["pull_request"] = {
                "url": self.urls.repo_api(repo, f"/pulls/{pull.number}"),
                "html_url": html,
                "diff_url": f"{html}.diff",
                "patch_url": f"{html}.patch",
                "merged_at": iso(pull.merged_at) if pull.merged_at else None,
            }
        out.update(
            {
                "closed_at": iso(issue.closed_at) if issue.closed_at else None,
                "closed_by": self.user_or_none(issue.closed_by),
                "created_at": iso(issue.created_at),
                "updated_at": iso(issue.updated_at),
            }
        )
        if pull:
            out["draft"] = pull.draft
        out["author_association"] = self.association(issue.user, repo)
        out["timeline_url"] = f"{api}/timeline"
        return out

    def comment(self, comment: Comment) -> Json:
        """issue-comment."""
        repo = comment.repo
        page = "pull" if (repo.full_name, comment.number) in self.state.pulls else "issues"
        return {
            "id": comment.id,
            "node_id": f"IC_{comment.id}",
            "url": self.urls.repo_api(repo, f"/issues/comments/{comment.id}"),
            "html_url": self.urls.repo_web(repo, f"/{page}/{comment.number}#issuecomment-{comment.id}"),
            **self.bodies(comment.body),
            "user": self.user(comment.user),
            "created_at": iso(comment.created_at),
            "updated_at": iso(comment.updated_at),
            "issue_url": self.urls.repo_api(repo, f"/issues/{comment.number}"),
            "author_association": self.association(comment.user, repo),
        }

    @staticmethod
    def association(account: Account, repo: Repo) -> str:
        if account is repo.owner:
            return "OWNER"
        if account.login in repo.owner.members:
            return "MEMBER"
        return "CONTRIBUTOR"

    def status(self, status: Status) -> Json:
        """status."""
        creator = self.user_or_none(status.creator)
        return {
            "url": self.urls.repo_api(status.repo, f"/statuses/{status.sha}"),
            "avatar_url": creator["avatar_url"] if creator else None,
            "id": status.id,
            "node_id": f"SC_{status.id}",
            "state": status.state,
            "description": status.description,
            "target_url": status.target_url,
            "context": status.context,
            "created_at": iso(status.created_at),
            "updated_at": iso(status.created_at),
            "creator": creator,
        }

    def check_run(self, run: CheckRun, pulls: list[tuple[Pull, str]]) -> Json:
        """check-run; `pulls` are the open pull requests (and their base sha) with this head."""
        api = self.urls.repo_api(run.repo, f"/check-runs/{run.id}")
        output = run.output
        return {
            "id": run.id,
            "head_sha": run.head_sha,
            "node_id": f"CR_{run.id}",
            "external_id": run.external_id,
            "url": api,
            "html_url": self.urls.repo_web(run.repo, f"/runs/{run.id}"),
            "details_url": run.details_url or self.urls.web(f"/apps/{run.app.slug}"),
            "status": run.status,
            "conclusion": run.conclusion,
            "started_at": iso(run.started_at) if run.started_at else None,
            "completed_at": iso(run.completed_at) if run.completed_at else None,
            "output": {
                "title": output.get("title"),
                "summary": output.get("summary"),
                "text": output.get("text"),
                "annotations_count": len(output.get("annotations", [])),
                "annotations_url": f"{api}/annotations",
            },
            "name": run.name,
            "check_suite": {"id": run.suite_id},
            "app": self.app(run.app),
            "pull_requests": [self._pull_minimal(pull, base_sha) for pull, base_sha in pulls],
        }

    def _pull_minimal(self, pull: Pull, base_sha: str) -> Json:
        def end(repo: Repo, ref: str, sha: str) -> Json:
            return {"ref": ref, "sha": sha, "repo": {"id": repo.id, "url": self.urls.repo_api(repo), "name": repo.name}}

        return {
            "id": pull.id,
            "number": pull.number,
            "url": self.urls.repo_api(pull.repo, f"/pulls/{pull.number}"),
            "head": end(pull.head_repo, pull.head_ref, pull.head_sha),
            "base": end(pull.repo, pull.base_ref, base_sha),
        }

    # -- security advisories -------------------------------------------------------------
    def advisory(self, advisory: Advisory) -> Json:
        """repository-advisory: authored and published by the repository's owner, nothing vulnerable listed."""
        repo = advisory.repo
        identifiers = [{"value": advisory.ghsa_id, "type": "GHSA"}]
        if advisory.cve_id:
            identifiers.append({"value": advisory.cve_id, "type": "CVE"})
        return {
            "ghsa_id": advisory.ghsa_id,
            "cve_id": advisory.cve_id,
            "url": self.urls.repo_api(repo, f"/security-advisories/{advisory.ghsa_id}"),
            "html_url": self.urls.repo_web(repo, f"/security/advisories/{advisory.ghsa_id}"),
            "summary": advisory.summary,
            "description": advisory.description,
            "severity": advisory.severity,
            "author": self.user(repo.owner),
            "publisher": self.user(repo.owner) if advisory.published_at else None,
            "identifiers": identifiers,
            "state": advisory.state,
            "created_at": iso(advisory.created_at),
            "updated_at": iso(advisory.updated_at),
            "published_at": iso(advisory.published_at) if advisory.published_at else None,
            "closed_at": iso(advisory.closed_at) if advisory.closed_at else None,
            "withdrawn_at": iso(advisory.withdrawn_at) if advisory.withdrawn_at else None,
            "submission": None,
            "vulnerabilities": [],
            "cvss": None,
            "cvss_severities": None,
            "cwes": [],
            "cwe_ids": [],
            "credits": [],
            "credits_detailed": [],
            "collaborating_users": [],
            "collaborating_teams": [],
            "private_fork": None,
        }

    # -- apps ----------------------------------------------------------------------------
    def app(self, app: App) -> Json:
        """integration."""
        return {
            "id": app.id,
            "slug": app.slug,
            "node_id": f"A_{app.id}",
            "client_id": f"Iv1.{app.id:016x}",
            "owner": self.user(app.owner),
            "name": app.name,
            "description": None,
            "external_url": self.urls.web(f"/apps/{q(app.slug)}"),
            "html_url": self.urls.web(f"/apps/{q(app.slug)}"),
            "created_at": iso(app.created_at),
            "updated_at": iso(app.created_at),
            "permissions": dict(APP_PERMISSIONS),
            "events": [],
            "installations_count": 1,
        }

    def installation(self, installation: Installation) -> Json:
        """installation."""
        app = installation.app
        account = installation.account
        return {
            "id": installation.id,
            "account": self.user_or_none(account),
            "repository_selection": "all" if installation.repositories is None else "selected",
            "access_tokens_url": self.urls.api(f"/app/installations/{installation.id}/access_tokens"),
            "repositories_url": self.urls.api("/installation/repositories"),
            "html_url": self.urls.web(f"/settings/installations/{installation.id}"),
            "app_id": app.id,
            "client_id": f"Iv1.{app.id:016x}",
            "target_id": account.id if account else app.owner.id,
            "target_type": account.type if account else app.owner.type,
            "permissions": dict(APP_PERMISSIONS),
            "events": [],
            "created_at": iso(installation.created_at),
            "updated_at": iso(installation.created_at),
            "single_file_name": None,
            "has_multiple_single_files": False,
            "single_file_paths": [],
            "app_slug": app.slug,
            "suspended_by": None,
            "suspended_at": None,
        }

    def installation_token(self, installation: Installation) -> Json:
        """installation-token: expires in an hour of real time (github3.py checks it)."""
        expires = iso(int(time.time()) + 3600)
        return {
            "token": installation.token,
            "expires_at": expires,
            "permissions": dict(APP_PERMISSIONS),
            "repository_selection": "all" if installation.repositories is None else "selected",
        }
