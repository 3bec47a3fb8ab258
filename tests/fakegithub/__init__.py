"""A local, stateful fake of GitHub's REST API, validated against GitHub's OpenAPI description.

Use the `fake_github` fixture (import it, or list `tests.fakegithub.fixture` in `pytest_plugins`
of a root conftest), or `FakeGitHub(root)` as a context manager.
"""

from tests.fakegithub.fixture import fake_github_fixture
from tests.fakegithub.handlers import ApiError, Request, Response
from tests.fakegithub.schema import OpenAPISpec, load_spec
from tests.fakegithub.server import FakeGitHub, RequestRecord
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
)

__all__ = [
    "Account",
    "Advisory",
    "ApiError",
    "App",
    "CheckRun",
    "Comment",
    "FakeGitHub",
    "Installation",
    "Issue",
    "Label",
    "OpenAPISpec",
    "Pull",
    "Repo",
    "Request",
    "RequestRecord",
    "Response",
    "State",
    "Status",
    "fake_github_fixture",
    "load_spec",
]
