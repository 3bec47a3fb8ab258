"""A local, stateful fake of GitLab's REST API v4, validated against GitLab's API description.

Use the `fake_gitlab` fixture (import it from `tests.fakegitlab.fixture`), or
`FakeGitLab(root)` as a context manager. Its Python API mirrors the fake GitHub's:

    with FakeGitLab(tmp_path) as fake:                    # fake.url is GITLAB_URL; API at fake.api_url
        fake.add_user("alice", token="alice-token")       # a personal access token (PRIVATE-TOKEN or Bearer)
        fake.add_group("uni", members=("alice",))         # add_org is the same
        fake.add_project("uni", "central", source_path=work_tree)      # add_repo is the same
        fake.add_project("alice", "central", fork_of="uni/central")     # import already finished
        fake.add_job_token("job-token", "uni/central", user="alice")    # CI_JOB_TOKEN (JOB-TOKEN header)
        gl = fake.gitlab("alice-token")                   # a python-gitlab client for the fake
        fake.merge_request("uni/central", 1)              # the record (fake.pull is the same)

- git over HTTP: `fake.clone_url("uni/central")` (`http_url_to_repo`) is served by `git http-backend`;
  a push needs HTTP Basic with a token as password, and its user's write access (`deny_pushes`
  refuses it with 403).
- forks made through the API (`POST /projects/:id/fork`) start `import_status: scheduled` and are
  `finished` after `options.import_reads` reads of `GET /projects/:id` (`started` in between).
- faults: `fail_next(method, path_regex, status)` (the regex is searched in the path after
  `/api/v4`, as sent, so a path is `%2F`-encoded), `rate_limit(times, retry_after)` (429,
  `Retry-After`), `delay_next`, `malformed_next` (bytes after validation), `corrupt_next` (spoils
  the JSON before validation: the fixture then fails), `unreachable("ns/path")` (503 for the project).
- every answer carries `RateLimit-Limit/Observed/Remaining/Reset/ResetTime`; lists carry `X-Page`,
  `X-Per-Page`, `X-Next-Page`, `X-Prev-Page`, `X-Total`, `X-Total-Pages` and `Link`.
- a CI job token is refused (403, GitLab's `{"message"}`) what `JOB_TOKEN_REFUSES` lists.
- `requests` records `(method, path, status, query, auth)` of every API answer.

Which operations are checked against GitLab's own description and which against schemas written
from its REST documentation: `tests/fakegitlab/README.md`.
"""

from tests.fakegitlab.fixture import fake_gitlab_fixture
from tests.fakegitlab.handlers import JOB_TOKEN_REFUSES, ApiError, Request, Response
from tests.fakegitlab.schema import SwaggerSpec, load_spec
from tests.fakegitlab.server import FakeGitLab, Options, RequestRecord
from tests.fakegitlab.state import CommitStatus, Group, Identity, Issue, Label, MergeRequest, Note, Project, State, User

__all__ = [
    "JOB_TOKEN_REFUSES",
    "ApiError",
    "CommitStatus",
    "FakeGitLab",
    "Group",
    "Identity",
    "Issue",
    "Label",
    "MergeRequest",
    "Note",
    "Options",
    "Project",
    "Request",
    "RequestRecord",
    "Response",
    "State",
    "SwaggerSpec",
    "User",
    "fake_gitlab_fixture",
    "load_spec",
]
