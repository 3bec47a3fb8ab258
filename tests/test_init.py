"""The first manifest's plan: what a forge says is untrusted; what the remotes say is cleaned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from forkflow.errors import PlanError
from forkflow.gitrepo import open_repository
from forkflow.init import ForgeRepo, plan_from_forge, plan_from_remotes
from tests.gitcli import Git

WEB = "https://github.com"


def test_the_forge_is_untrusted() -> None:
    found = [
        ForgeRepo("uni/video", None, f"{WEB}/uni/video.git", "main", "uni"),
        ForgeRepo("local/video", "uni/video", "file:///etc/secret.git", "main", "local"),
        ForgeRepo("local-lab/video", "local/video", f"{WEB}/local-lab/video.git", "main", "local-lab"),
        ForgeRepo("spy/video", "uni/video", f"https://spy:pw@{WEB[8:]}/spy/video.git", "main", "spy"),
        ForgeRepo("Uni/video", "uni/video", f"{WEB}/Uni/video.git", None, "odd login!"),
        ForgeRepo("orphan/video", "nowhere/video", f"{WEB}/orphan/video.git", "main", "orphan"),
    ]
    first = plan_from_forge(found, "GitHub")
    assert [(n.name, n.parent, n.tier, n.branch, n.owners) for n in first.nodes] == [
        ("uni", None, None, "main", ("@uni",)),
        ("uni-2", "uni", "decentralized", None, ()),  # a login GitHub would not allow: no owner guessed
    ]
    assert first.warnings == (
        "GitHub repository 'local/video': its url 'file:///etc/secret.git' is not a web address (https://...); "
        "it was left out",
        "GitHub repository 'local-lab/video': its parent 'local/video' was left out; it was left out",
        "GitHub repository 'spy/video': its url holds credentials; it was left out",
        "GitHub repository 'orphan/video': its parent 'nowhere/video' was left out; it was left out",
    )
    assert first.network == "video"


def test_remote_urls_are_cleaned(tmp_path: Path) -> None:
    work = Git.init(tmp_path / "work")
    head = work.commit("Initial", {"a.txt": "a\n"})
    for name, url in (
        ("origin", "../central.git"),
        ("ssh", "ssh://git@github.com/Ssh-Team/video.git"),
        ("scp", "git@github.com:scp-team/video"),
        ("web", "https://token@example.edu/web/video.git"),
    ):
        work("remote", "add", name, url)
        work("update-ref", f"refs/remotes/{name}/main", head)
    first = plan_from_remotes(open_repository(work.path))
    assert [(n.name, n.url, n.owners) for n in first.nodes] == [
        ("origin", str(tmp_path / "central.git"), ()),
        ("scp", "git@github.com:scp-team/video", ("@scp-team",)),
        ("ssh", "ssh://git@github.com/Ssh-Team/video.git", ("@Ssh-Team",)),
        ("web", "https://example.edu/web/video.git", ()),
    ]
    assert first.warnings == (
        "remote 'web': its url holds credentials; the manifest has it without them "
        "(forkflow gives the forge's host GITHUB_TOKEN when it fetches)",
    )
    assert first.network == "central"


def test_a_central_that_cannot_be_written_stops_it() -> None:
    central = ForgeRepo("uni/video", None, "ext::sh -c id", "main", "uni")
    fork = ForgeRepo("eng/video", "uni/video", f"{WEB}/eng/video.git", "main", "eng")
    with pytest.raises(PlanError) as raised:
        plan_from_forge([central, fork], "GitHub")
    assert str(raised.value) == (
        "GitHub repository 'uni/video', central: its url 'ext::sh -c id' is not a web address (https://...); "
        "nothing was written"
    )


def test_what_is_not_text_is_left_out() -> None:
    """A hostile server's JSON may hold anything where github3.py reads a string."""
    none: Any = None
    seven: Any = 7
    listed: Any = ["x"]
    found = [
        ForgeRepo("uni/video", None, f"{WEB}/uni/video.git", "main", "uni"),
        ForgeRepo("o0/video", "uni/video", none, "main", "o0"),
        ForgeRepo("o1/video", "uni/video", f"{WEB}/o1/video.git", seven, "o1"),
        ForgeRepo("o2/video", "uni/video", f"{WEB}/o2/video.git", "main", listed),
    ]
    first = plan_from_forge(found, "GitHub")
    assert [node.name for node in first.nodes] == ["uni"]
    assert first.warnings == (
        "GitHub repository 'o0/video': its url or owner is not text; it was left out",
        "GitHub repository 'o1/video': its default branch 7 is not text; it was left out",
        "GitHub repository 'o2/video': its url or owner is not text; it was left out",
    )
