"""The scheduled run on GitLab, end to end: merge requests opened once, found again from GitLab alone.

The fake GitLab is served over https here (a certificate authority made for the test), since
forkflow gives git its token only over https: the branches are pushed as they are to a real
instance, with the token as the password and only to the instance's own host.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pygit2
import pytest

from forkflow.bot import run_bot
from forkflow.credential import Credential
from forkflow.forge.gitlab import GitLabClient, GitLabForge
from forkflow.urls import authority
from forkflow.workspace import Workspace
from tests.fakegitlab.server import FakeGitLab
from tests.forge.test_gitlab import BOT, GROUP, NOW, TOKEN
from tests.forge.test_gitlab import host as hosted
from tests.tlscert import make_tls


class TLSFakeGitLab(FakeGitLab):
    """The fake GitLab behind TLS: the same state and answers, at https://127.0.0.1:PORT."""

    context: ssl.SSLContext

    def start(self) -> TLSFakeGitLab:
        super().start()
        assert self._server is not None
        self._server.socket = self.context.wrap_socket(self._server.socket, server_side=True)
        return self

    @property
    def root_url(self) -> str:
        return super().root_url.replace("http://", "https://", 1)


@pytest.fixture
def tls_gitlab(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitLab]:
    files = make_tls(tmp_path_factory.mktemp("tls"), addresses=("127.0.0.1",))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(files.authority))  # python-gitlab's requests
    trusted = pygit2.settings.ssl_cert_file, pygit2.settings.ssl_cert_dir
    pygit2.settings.set_ssl_cert_locations(str(files.authority), None)  # libgit2's pushes and fetches
    fake = TLSFakeGitLab(tmp_path_factory.mktemp("fakegitlab"))
    fake.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    fake.context.load_cert_chain(*files.pair)
    try:
        with fake:
            yield fake
    finally:  # the tests after this one trust what they trusted before
        pygit2.settings.set_ssl_cert_locations(*trusted)
    assert fake.internal_errors == [], "the fake GitLab crashed:\n" + "\n".join(fake.internal_errors)
    assert fake.validation_errors == [], "answers that do not match GitLab's API:\n" + "\n".join(fake.validation_errors)


def dev(node: str) -> str:
    return f"{node}-dev"


def lab(fake: FakeGitLab, node: str) -> tuple[str, str]:
    """A node's project in a group of its own, its developer a member: (namespace, owner)."""
    fake.add_user(dev(node))
    fake.add_group(f"{node}-lab", members=("robot", dev(node)))
    return f"{node}-lab", dev(node)


def host(fake: FakeGitLab, tmp_path: Path) -> tuple[Workspace, Credential]:
    """The shared network: central in the group, each node's project a fork in a group of its own."""
    credential = Credential.from_env({"GITLAB_URL": fake.url, "GITLAB_TOKEN": TOKEN}, forge="gitlab")
    assert credential.hosts == frozenset({authority(fake.url)})
    return hosted(fake, tmp_path, namespace=lab, credential=credential), credential


def merge_requests(fake: FakeGitLab, path: str) -> list[Any]:
    return fake.gitlab(TOKEN).projects.get(path).mergerequests.list(state="all", get_all=True)


def test_the_first_scheduled_run_opens_bubble_up_and_sync_merge_requests_and_the_second_none(
    tls_gitlab: FakeGitLab, tmp_path: Path
) -> None:
    space, credential = host(tls_gitlab, tmp_path)
    forge = GitLabForge(space.repo, space.manifest, GitLabClient(tls_gitlab.url, TOKEN))
    first = run_bot(space, forge, "schedule", {}, credential=credential, committer=BOT, now=NOW)
    assert first.problems == []
    central = merge_requests(tls_gitlab, f"{GROUP}/video")
    assert len(central) == 5  # the five shared changes, proposed to central
    for name in ("alpha", "beta", "gamma", "delta"):
        assert len(merge_requests(tls_gitlab, f"{name}-lab/video")) == 1  # one update proposal per node
    assert first.outputs["proposals-opened"] == "9"
    bubble = next(p for p in forge.proposals() if p.title == "Reject empty uploads")
    assert bubble.carriers == ["alpha", "beta", "gamma"] and "forkflow:bubble-up" in bubble.labels
    record = tls_gitlab.merge_request(f"{GROUP}/video", bubble.number)
    assert sorted(user.username for user in record.reviewers) == ["alpha-dev", "beta-dev", "gamma-dev"]
    again = GitLabForge(space.repo, space.manifest, GitLabClient(tls_gitlab.url, TOKEN))  # GitLab alone remembers
    second = run_bot(space, again, "schedule", {}, credential=credential, committer=BOT, now=NOW)
    assert second.outputs["proposals-opened"] == "0" and second.problems == []
    assert len(merge_requests(tls_gitlab, f"{GROUP}/video")) == 5
    assert TOKEN not in json.dumps(second.outputs) + second.summary + first.summary + first.work
    sent = tls_gitlab.requests
    assert sent and all(r.auth == "private" and TOKEN not in r.path + r.query for r in sent)  # a header, never a URL
