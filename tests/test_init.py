"""The first manifest's plan: what a forge says is untrusted; what the remotes say is cleaned."""

from __future__ import annotations

from pathlib import Path

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
