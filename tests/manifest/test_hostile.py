"""Hostile manifests (issue 14's fault suite): each gets a clear refusal that names the node and
the field, or works; nothing runs a command, reads outside a repository into refs, or hangs.

Before forkflow refused them, libgit2 read ``ext::sh -c ...`` as the SSH address of a host
named ``ext`` (it looked the name up; it has no remote helpers, so no command ran), made
``--upload-pack=...`` a path below the manifest's folder, and put a url's newline into the
error line.  git itself refuses ``ext::`` unless told otherwise (protocol.allow), and runs the
command when told; these urls are refused before any git sees them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from forkflow.cli import main
from forkflow.errors import FetchError, GitError
from forkflow.gitrepo import GitRepo
from forkflow.gitrepo.remote import fetch_branch, push_refs
from forkflow.manifest.refname import branch_problem, ref_name_problem
from tests.gitcli import Git

HEAD = '[network]\nname = "t"\n\n[[node]]\nname = "central"\nref = "refs/heads/main"\n'
USE = "use an https://, http:// or ssh:// url (or user@host:path), or a local path"


def node(name: str, **fields: str) -> str:
    body = f'\n[[node]]\nname = "{name}"\nparent = "central"\n'
    for key, value in fields.items():
        body += f"{key} = {json.dumps(value)}\n"  # a TOML basic string: JSON's escapes are TOML's
    return body


REFUSED = {
    "ext helper": (
        node("x", url="ext::sh -c touch% /tmp/pwned"),
        "node 'x': field 'url': 'ext::sh -c touch% /tmp/pwned' is refused: it uses git's remote helper 'ext' "
        f"(ext::...), which runs a command; {USE}",
    ),
    "another helper": (
        node("x", url="fd::17"),
        "node 'x': field 'url': 'fd::17' is refused: it uses git's remote helper 'fd' (fd::...), which hands "
        f"the url to another program; {USE}",
    ),
    "option": (
        node("x", url="--upload-pack=touch /tmp/x"),
        "node 'x': field 'url': '--upload-pack=touch /tmp/x' is refused: it starts with '-', which git would "
        "read as an option (such as --upload-pack); give a url or a path",
    ),
    "ssh option host": (
        node("x", url="ssh://-oProxyCommand=touch%20pwned/video"),
        "node 'x': field 'url': 'ssh://-oProxyCommand=touch%20pwned/video' is refused: it has a host that "
        "starts with '-', which git or ssh would read as an option",
    ),
    "scp option host": (
        node("x", url="git@-oProxyCommand=touch:video"),
        "node 'x': field 'url': 'git@-oProxyCommand=touch:video' is refused: it has a host that starts "
        "with '-', which git or ssh would read as an option",
    ),
    "newline": (
        node("x", url="https://git.example/x\nhost=github.com"),
        "node 'x': field 'url': 'https://git.example/x\\nhost=github.com' is refused: it contains characters "
        "that cannot be shown (U+000A), such as a newline; write the url on one line",
    ),
    "nul": (
        node("x", url="/srv/git/x\u0000y"),
        "node 'x': field 'url': '/srv/git/x\\x00y' is refused: it contains characters that cannot be shown "
        "(U+0000), such as a newline; write the url on one line",
    ),
    "git protocol": (
        node("x", url="git://github.com/acme/video"),
        "node 'x': field 'url': 'git://github.com/acme/video' is refused: it uses git://, which is neither "
        "encrypted nor authenticated (GitHub no longer serves it); use https://",
    ),
    "ftp": (
        node("x", url="ftp://files.example/video.git"),
        f"node 'x': field 'url': 'ftp://files.example/video.git' is refused: it uses ftp://, which forkflow does "
        f"not fetch from; {USE}",
    ),
    "password": (
        node("x", url="https://bot:hunter2@git.example/video.git"),
        "node 'x': field 'url': 'https://bot:hunter2@git.example/video.git' is refused: it has a password; the "
        "manifest is committed, so give it to git's credential helper instead",
    ),
    "two hosts": (
        node("x", url="https://evil.example\\@github.com/video"),
        "node 'x': field 'url': 'https://evil.example\\\\@github.com/video' is refused: it is not a valid "
        "https:// url: write https://[user@]host[:port]/path, the host in ASCII",
    ),
    "option branch": (
        node("x", url="../x.git", branch="--upload-pack=touch /tmp/x"),
        "node 'x': field 'branch': '--upload-pack=touch /tmp/x' is not a valid branch name: it starts with "
        "'-', which git would read as an option",
    ),
    "refspec branch": (
        node("x", url="../x.git", branch="main:refs/forkflow/nodes/central"),
        "node 'x': field 'branch': 'main:refs/forkflow/nodes/central' is not a valid branch name: it contains "
        "characters git does not allow in a ref name: ':'",
    ),
    "dots branch": (
        node("x", url="../x.git", branch="a..b"),
        "node 'x': field 'branch': 'a..b' is not a valid branch name: it contains '..'",
    ),
    "head branch": (
        node("x", url="../x.git", branch="HEAD"),
        "node 'x': field 'branch': 'HEAD' is not a valid branch name: it is HEAD, which is not a branch; leave "
        "branch out to fetch the default branch",
    ),
    "dots ref": (
        node("x", ref="refs/heads/../../HEAD"),
        "node 'x': field 'ref': 'refs/heads/../../HEAD' is not a valid ref name: it contains '..'",
    ),
    "long name": (
        node("n" * 251, url="../x.git"),
        f"node '{'n' * 251}': field 'name': '{'n' * 251}' is not a valid node name: it is 251 bytes long; git keeps "
        "a ref in a file whose name, with '.lock' added while it is written, has at most 255 bytes: use at most 250",
    ),
    "turned name": (
        node("abc\u202egpj.exe", url="../x.git"),
        "node 'abc\\u202egpj.exe': field 'name': 'abc\\u202egpj.exe' is not a valid node name: it contains "
        "characters that cannot be shown: U+202E",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_hostile_manifest_is_refused_naming_the_node_and_field(tmp_path: Path, case: str) -> None:
    text, expected = REFUSED[case]
    Git.init(tmp_path).commit("root", {"a.txt": "a\n"})
    manifest = tmp_path / "forkflow.toml"
    manifest.write_text(HEAD + text, encoding="utf-8")
    for command in (["fetch"], ["scan"]):
        result = CliRunner().invoke(main, [*command, "--repo", str(tmp_path)])
        assert result.exit_code == 1
        assert result.output == f"error: {manifest}: {expected}\n"
    assert not Path("/tmp/pwned").exists() and not Path("/tmp/x").exists()


def test_git_agrees_with_the_ref_rules() -> None:
    """forkflow's branch and ref rules say no exactly where `git check-ref-format` does, and a little more."""
    names = ["main", "feature/x", "café", "a.b", "a./b", "a/.b", "a..b", "a b", "a:b", "a~1", "a^", "a?", "a*",
             "a[", "a\\b", "a.lock", "a.lock/b", "a/", "/a", "a//b", "a.", "@", "a@{1}", "a@b", "-a", "x" * 300]  # fmt: skip
    for name in names:
        full = f"refs/heads/{name}"
        git = subprocess.run(["git", "check-ref-format", full], capture_output=True, check=False).returncode == 0
        assert (ref_name_problem(full) is None) == git, name
        branch = subprocess.run(["git", "check-ref-format", "--branch", name], capture_output=True, check=False)
        assert (branch_problem(name) is None) == (branch.returncode == 0), name


def fetch_process(work: Path, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "1000"}
    return subprocess.run(
        [sys.executable, "-m", "forkflow", "fetch"],
        check=False,
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_local_paths_that_are_not_repositories_fail_cleanly(tmp_path: Path) -> None:
    """file:///etc is a local path: its fetch fails, nothing of /etc lands in a ref, and the others go on."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    head = Git.init(tmp_path / "source").commit("root", {"a.txt": "a\n"})
    work = Git.init(tmp_path / "work")
    urls = {
        "etc": "file:///etc",
        "zero": "/dev/zero",
        "stdin": "file:///dev/stdin",
        "fifo": str(fifo),
        "ok": "../source",
    }
    work.commit("manifest", {"forkflow.toml": HEAD + "".join(node(n, url=u, branch="main") for n, u in urls.items())})
    done = fetch_process(work.path)
    manifest = work.path / "forkflow.toml"
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: {manifest}: node 'etc': field 'url': cannot reach file:///etc: could not find repository at '/etc'",
        f"error: {manifest}: node 'zero': field 'url': cannot reach /dev/zero: unsupported URL protocol",
        f"error: {manifest}: node 'stdin': field 'url': cannot reach file:///dev/stdin: could not find repository "
        "at '/dev/stdin'",
        f"error: {manifest}: node 'fifo': field 'url': cannot reach {fifo}: unsupported URL protocol",
        f"ok: updated at {head[:12]}",
        "fetched 1 of 5 node(s); 4 failed",
    ]
    refs = Git(work.path)("for-each-ref", "--format=%(refname)").split()
    assert refs == ["refs/forkflow/nodes/ok", "refs/heads/main"]


def test_odd_and_unicode_names_and_long_branches_work(tmp_path: Path) -> None:
    source = Git.init(tmp_path / "source")
    source.commit("root", {"a.txt": "a\n"})
    long_branch = "/".join(["päth" * 10] * 5)  # 204 characters, 254 bytes: parts a file system takes
    source.checkout("-q", "-b", long_branch)
    carried = source.commit("carried", {"b.txt": "b\n"})
    source.checkout("-q", "main")
    names = ["café-ñandú", "日本語", "x" * 250, "a.b_c-d+e=f,g@h"]
    work = Git.init(tmp_path / "work")
    text = HEAD.replace('ref = "refs/heads/main"', 'url = "../source"\nbranch = "main"')
    text += "".join(node(name, url="../source", branch=long_branch, tier="developer") for name in names)
    work.commit("manifest", {"forkflow.toml": text})
    done = fetch_process(work.path)
    assert done.returncode == 0, done.stderr
    scan = CliRunner().invoke(main, ["scan", "--repo", str(work.path), "--json"])
    assert scan.exit_code == 0, scan.output
    nodes = {entry["name"]: entry for entry in json.loads(scan.stdout)["nodes"]}
    assert sorted(nodes) == sorted(["central", *names])
    assert all(nodes[name]["carried"] == [carried] for name in names)


def test_a_manifest_of_100000_nodes_loads(tmp_path: Path) -> None:
    """It loads and plans within a bounded time (the subprocess' timeout), with nothing fetched."""
    Git.init(tmp_path).commit("root", {"a.txt": "a\n"})
    tables = [HEAD] + [node(f"n{i}", url=f"https://github.com/o{i}/video", branch="main") for i in range(100_000)]
    (tmp_path / "forkflow.toml").write_text("".join(tables))
    done = subprocess.run(
        [sys.executable, "-m", "forkflow", "fetch", "--dry-run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 100_001
    assert lines[-2] == "would fetch n99999: https://github.com/o99999/video main -> refs/forkflow/nodes/n99999"
    assert lines[-1] == "100000 node(s) to fetch; nothing was fetched (--dry-run)"


def test_git_is_never_handed_a_hostile_url(tmp_path: Path) -> None:
    """A url from elsewhere than the manifest (a forge's clone_url) is checked again where git is called."""
    repo = GitRepo(Git.init(tmp_path / "work").path)
    marker = tmp_path / "pwned"
    hostile = f"ext::sh -c touch% {marker}"
    with pytest.raises(FetchError, match="is not fetched: it uses git's remote helper 'ext'"):
        fetch_branch(repo, hostile, "main", "refs/forkflow/nodes/x")
    with pytest.raises(GitError, match="is not pushed to: it starts with '-'"):
        push_refs(repo, "--receive-pack=touch pwned", ["refs/heads/main:refs/heads/main"])
    assert not marker.exists()
