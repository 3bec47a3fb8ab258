"""The GitLab forge's configuration, its credentials' hosts, and its client's answers to refusals.

The instance and the token come from the environment (GITLAB_URL, CI_SERVER_URL; GITLAB_TOKEN,
CI_JOB_TOKEN); the GitLab token goes to the instance's host only, GitHub's token never does.
The refusals are played over real HTTP by a loopback server that answers what GitLab answers
(403 to a job token, 429 with RateLimit-* headers, a 502 once), to the real python-gitlab.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pygit2
import pytest
from pygit2.enums import CredentialType

from forkflow.credential import Credential
from forkflow.errors import CredentialError, ForgeError, ManifestError, RateLimited
from forkflow.forge.choice import FORGES
from forkflow.forge.gitlab import GitLabClient, client_from_env, project_path
from forkflow.gitrepo.remote import _Callbacks
from forkflow.manifest.spec import load_manifest

TOKEN = "glpat-forkflowsecret0123456789"
JOB = "glcbt-64_jobsecret0123456789"
GITHUB = "ghp_forkflowsecrettoken0123456789abcdef"
USERPASS = CredentialType.USERPASS_PLAINTEXT


# -- the instance and the token -------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "url", "job"),
    [
        ({"GITLAB_TOKEN": TOKEN}, "https://gitlab.com", False),
        ({"GITLAB_URL": "https://git.uni.example/", "GITLAB_TOKEN": TOKEN}, "https://git.uni.example", False),
        ({"CI_SERVER_URL": "https://ci.uni.example", "CI_JOB_TOKEN": JOB}, "https://ci.uni.example", True),
        (
            {"GITLAB_URL": "https://a.example", "CI_SERVER_URL": "https://b.example", "GITLAB_TOKEN": TOKEN},
            "https://a.example",
            False,
        ),
        ({"CI_JOB_TOKEN": JOB, "GITLAB_TOKEN": TOKEN}, "https://gitlab.com", False),  # the access token wins
    ],
)
def test_the_instance_and_the_token_come_from_the_environment(environ: dict[str, str], url: str, job: bool) -> None:
    client = client_from_env(environ)
    assert (client.url, client.job_token, client.token) == (url, job, JOB if job else TOKEN)
    assert client.credential.user == ("gitlab-ci-token" if job else "oauth2")


def test_no_token_and_an_odd_instance_url_are_refused_with_the_variable_named() -> None:
    with pytest.raises(ForgeError, match=r"^no GitLab credentials: set GITLAB_TOKEN"):
        client_from_env({"GITHUB_TOKEN": GITHUB})  # GitHub's token is never taken for GitLab's
    with pytest.raises(CredentialError, match=r"^GITLAB_URL 'ext::sh' is not an https:// url"):
        client_from_env({"GITLAB_URL": "ext::sh", "GITLAB_TOKEN": TOKEN})
    with pytest.raises(CredentialError, match=r"^CI_SERVER_URL '/srv/gitlab' is not an https:// url"):
        client_from_env({"CI_SERVER_URL": "/srv/gitlab", "GITLAB_TOKEN": TOKEN})


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://git.uni.example/landgrant/central.git", "landgrant/central"),
        ("https://git.uni.example/landgrant/labs/soil", "landgrant/labs/soil"),
        ("git@git.uni.example:landgrant/labs/soil.git", "landgrant/labs/soil"),
        ("http://127.0.0.1:8080/uni/central.git/", "uni/central"),
    ],
)
def test_a_node_url_names_its_project_with_every_group(url: str, path: str) -> None:
    assert project_path(url) == path


@pytest.mark.parametrize("url", ["/srv/git/uni/central", "https://git.uni.example/central", "file:///x/uni/c"])
def test_a_url_that_is_no_project_is_refused(url: str) -> None:
    with pytest.raises(ForgeError, match="not a GitLab project url"):
        project_path(url)


# -- who gets which token ---------------------------------------------------------------------


def test_the_gitlab_token_goes_to_the_instance_and_github_s_to_github_only() -> None:
    environ = {"GITLAB_URL": "https://git.uni.example", "GITLAB_TOKEN": TOKEN, "GITHUB_TOKEN": GITHUB}
    gitlab = Credential.from_env(environ, GITHUB, forge="gitlab")  # --token is GitHub's: not used for GitLab
    github = Credential.from_env(environ, forge="github")
    assert (gitlab.token, gitlab.hosts, gitlab.user) == (TOKEN, frozenset({"git.uni.example"}), "oauth2")
    assert gitlab.token_for("https://git.uni.example/uni/central.git") == TOKEN
    assert gitlab.token_for("https://github.com/uni/central.git") is None
    assert gitlab.token_for("http://git.uni.example/uni/central.git") is None  # never in the clear
    assert github.token_for("https://github.com/uni/central.git") == GITHUB
    assert github.token_for("https://git.uni.example/uni/central.git") is None
    assert TOKEN not in repr(gitlab)


def test_git_is_given_the_job_token_with_gitlab_s_user_name_and_told_which_variable_was_refused() -> None:
    credential = Credential.from_env({"CI_SERVER_URL": "https://ci.uni.example", "CI_JOB_TOKEN": JOB}, forge="gitlab")
    callbacks = _Callbacks(credential=credential)
    url = "https://ci.uni.example/uni/central.git"
    answer = callbacks.credentials(url, None, USERPASS)
    assert isinstance(answer, pygit2.UserPass)
    assert answer.credential_tuple == ("gitlab-ci-token", JOB)
    with pytest.raises(CredentialError) as refused:  # asked again: the server refused it
        callbacks.credentials(url, None, USERPASS)
    assert (
        str(refused.value)
        == f"ci.uni.example refused the token for {url}; check that CI_JOB_TOKEN may read and write it"
    )


def test_the_client_gives_git_its_token_for_its_own_host_only() -> None:
    credential = GitLabClient("https://git.uni.example", TOKEN).credential
    assert credential.token_for("https://git.uni.example/uni/central.git") == TOKEN
    assert credential.token_for("https://gitlab.com/uni/central.git") is None


# -- the manifest and the command line -------------------------------------------------------


def test_the_manifest_and_the_command_line_name_the_gitlab_forge(tmp_path: Path) -> None:
    manifest = tmp_path / "forkflow.toml"
    node = '[[node]]\nname = "central"\nurl = "https://git.uni.example/uni/central.git"\n'
    manifest.write_text(f'[network]\nname = "landgrant"\nforge = "gitlab"\n\n{node}')
    assert load_manifest(manifest).network.forge == "gitlab"
    assert "gitlab" in FORGES
    manifest.write_text(f'[network]\nname = "landgrant"\nforge = "gitlub"\n\n{node}')
    with pytest.raises(ManifestError) as bad:
        load_manifest(manifest)
    assert "forge" in str(bad.value) and "forkflow.toml" in str(bad.value)


# -- refusals over HTTP ---------------------------------------------------------------------


class Answers(BaseHTTPRequestHandler):
    """Answers each request with the next of ``server.script`` (status, headers, body); records requests."""

    def do_GET(self) -> None:
        self.server.seen.append((self.path, dict(self.headers)))  # type: ignore[attr-defined]
        status, headers, body = self.server.script.pop(0)  # type: ignore[attr-defined]
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    httpd.script = []  # type: ignore[attr-defined]
    httpd.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def url_of(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


PROJECT = {"id": 7, "path_with_namespace": "uni/central", "default_branch": "main"}


def test_a_job_token_gitlab_refuses_is_told_the_permission_it_needs(server: ThreadingHTTPServer) -> None:
    server.script.append((403, {}, {"message": "403 Forbidden"}))  # type: ignore[attr-defined]
    client = client_from_env({"CI_SERVER_URL": url_of(server), "CI_JOB_TOKEN": JOB})
    with pytest.raises(ForgeError) as refused:
        client.call(lambda: client.gl.projects.get("uni/central"), "reading uni/central", needs="read access")
    assert str(refused.value) == (
        "reading uni/central: GitLab refused the CI job token (HTTP 403): this needs read access, which "
        "CI_JOB_TOKEN does not have; set GITLAB_TOKEN to a project access token with the api scope and the "
        "Developer role"
    )
    [(path, headers)] = server.seen  # type: ignore[attr-defined]
    assert path == "/api/v4/projects/uni%2Fcentral"
    assert headers["JOB-TOKEN"] == JOB and JOB not in path


def test_an_access_token_s_refusal_says_what_gitlab_said_without_the_token(server: ThreadingHTTPServer) -> None:
    server.script.append((403, {}, {"message": f"token {TOKEN} lacks the api scope"}))  # type: ignore[attr-defined]
    client = GitLabClient(url_of(server), TOKEN)
    with pytest.raises(ForgeError) as refused:
        client.call(lambda: client.gl.projects.get("uni/central"), "reading uni/central")
    assert str(refused.value) == "reading uni/central: HTTP 403: token *** lacks the api scope"
    assert refused.value.__cause__ is None and refused.value.__suppress_context__
    [(path, headers)] = server.seen  # type: ignore[attr-defined]
    assert headers["PRIVATE-TOKEN"] == TOKEN and "JOB-TOKEN" not in headers and TOKEN not in path


def test_an_exhausted_rate_limit_stops_the_run_and_says_until_when(server: ThreadingHTTPServer) -> None:
    limited = (429, {"Retry-After": "0", "RateLimit-Remaining": "0", "RateLimit-Reset": "1800000000"}, {})
    server.script.extend([limited] * 5)  # type: ignore[attr-defined]
    client = GitLabClient(url_of(server), TOKEN)
    with pytest.raises(RateLimited) as stopped:
        client.call(lambda: client.gl.projects.get("uni/central"), "reading uni/central")
    assert str(stopped.value) == (
        "reading uni/central: GitLab's rate limit is exhausted until 2027-01-15T08:00+00:00; run again then"
    )
    assert len(server.seen) == 5  # type: ignore[attr-defined]  # four retries, as on GitHub, then the stop


def test_a_passing_rate_limit_and_a_bad_gateway_are_waited_out(server: ThreadingHTTPServer) -> None:
    server.script.extend(  # type: ignore[attr-defined]
        [(429, {"Retry-After": "0", "RateLimit-Remaining": "3"}, {}), (502, {}, {}), (200, {}, PROJECT)]
    )
    client = GitLabClient(url_of(server), TOKEN)
    project = client.call(lambda: client.gl.projects.get("uni/central"), "reading uni/central")
    assert (project.id, project.path_with_namespace) == (7, "uni/central")
    assert len(server.seen) == 3  # type: ignore[attr-defined]


def test_a_missing_project_is_not_found(server: ThreadingHTTPServer) -> None:
    server.script.append((404, {}, {"message": "404 Project Not Found"}))  # type: ignore[attr-defined]
    client = GitLabClient(url_of(server), TOKEN)
    with pytest.raises(ForgeError, match=r"^reading uni/gone: not found \(or the token cannot see it\)$"):
        client.call(lambda: client.gl.projects.get("uni/gone"), "reading uni/gone")
