"""`forkflow discover` against the fake GitHub (real github3.py over HTTP): what GitHub says is untrusted.

Owners, repository names and default branches with quotes, backslashes, newlines, `]]` and
unicode must end up in forkflow.toml exactly as GitHub gave them (or as a valid node name),
or be left out with a reason; the file is checked before it is replaced, in one rename.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from forkflow.cli import main
from forkflow.manifest.edit import set_node_field, toml_string, write_manifest
from forkflow.manifest.forks import node_name
from forkflow.manifest.refname import branch_problem, ref_component_problem
from forkflow.manifest.spec import NodeSpec, load_manifest
from forkflow.types import Tier
from tests.fakegithub.fixture import fake_github_fixture  # noqa: F401 (the fixture)
from tests.fakegithub.render import q
from tests.fakegithub.server import FakeGitHub
from tests.gitcli import Git, git_env

TOKEN = "ghp_discovertesttoken0123456789"
HAND_WRITTEN = '# our network, by hand\n[network]\nname = "video"  # the product\n'
INJECTED = 'main"\n[[node]]\nname = "evil"\nurl = "file:///etc"\nbranch = "x'


@pytest.fixture
def forks(fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:
    """central uni/video and forks whose owners, names and default branches are odd."""
    source = Git.init(tmp_path / "src")
    source.commit("Initial", {"app.py": "A = 1\n"})
    fake_github.add_user("robot", TOKEN)
    fake_github.add_org("uni")
    fake_github.add_repo("uni", "video", source_path=source.path)
    fake_github.add_repo('we"ird', "video", fork_of="uni/video", default_branch='say-"hi"')
    fake_github.add_repo("back\\slash", "video", fork_of="uni/video", default_branch="a]]b")
    fake_github.add_repo("new\nline", "video", fork_of="uni/video")
    fake_github.add_repo('x]]\n[[node]]\nname = "evil"', "video", fork_of="uni/video")
    fake_github.add_repo("josé", "vidéo", fork_of="uni/video", default_branch="fonctionnalité/été-😀")
    # GitHub itself would not report these branches; a hostile or broken server could.
    fake_github.add_repo("injector", "video", fork_of="uni/video")
    fake_github.add_repo("injector-dept", "video", fork_of="injector/video")
    fake_github.add_repo("slashy", "video", fork_of="uni/video")
    fake_github.repo("injector", "video").default_branch = INJECTED
    fake_github.repo("slashy", "video").default_branch = "bad\\branch"
    monkeypatch.setenv("GITHUB_API_URL", fake_github.url)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    return fake_github


def discover(manifest: Path, *more: str) -> Result:
    return CliRunner().invoke(main, ["discover", "--central", "uni/video", "--manifest", str(manifest), *more])


def web(fake: FakeGitHub, full_name: str) -> str:
    return f"{fake.url}/{q(full_name)}"


def expected_nodes(fake: FakeGitHub) -> tuple[NodeSpec, ...]:
    """What the manifest must say: every fork GitHub listed but the three that cannot be written."""

    def fork(name: str, full_name: str, branch: str) -> NodeSpec:
        return NodeSpec(name=name, parent="uni", tier=Tier.DECENTRALIZED, url=web(fake, full_name), branch=branch)

    return (
        NodeSpec(name="uni", url=web(fake, "uni/video"), branch="main"),
        fork("back-slash", "back\\slash/video", "a]]b"),
        fork("jos", "josé/vidéo", "fonctionnalité/été-😀"),
        fork("new-line", "new\nline/video", "main"),
        fork("we-ird", 'we"ird/video', 'say-"hi"'),
        fork("x-node-name-evil", 'x]]\n[[node]]\nname = "evil"/video', "main"),
    )


REFUSED = [  # in the order GitHub listed them: breadth first, the forks of each by name
    "error: repository 'injector/video': its default branch "
    '\'main"\\n[[node]]\\nname = "evil"\\nurl = "file:///etc"\\nbranch = "x\' contains characters git does '
    "not allow in a ref name: '\\n', ' ', ':', '['; it was not added",
    "error: repository 'slashy/video': its default branch 'bad\\\\branch' contains characters git does not allow "
    "in a ref name: '\\\\'; it was not added",
    "error: repository 'injector-dept/video': its parent 'injector/video' was left out; it was not added",
]


def test_odd_names_and_branches_are_written_as_github_gave_them(forks: FakeGitHub, tmp_path: Path) -> None:
    manifest = tmp_path / "forkflow.toml"
    manifest.write_text(HAND_WRITTEN)
    result = discover(manifest, "--write")
    assert (result.exit_code, result.stdout) == (1, f"6 node(s) added to {manifest}\n")  # 1: some were left out
    assert result.stderr.splitlines() == REFUSED
    text = manifest.read_text(encoding="utf-8")
    assert text.startswith(HAND_WRITTEN)  # the file's own lines, comments and all, as they were
    assert load_manifest(manifest).nodes == expected_nodes(forks)
    assert "evil" not in {spec.name for spec in load_manifest(manifest).nodes}
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".forkflow-")] == []
    again = discover(manifest, "--write")
    assert (again.exit_code, again.stdout) == (1, f"0 node(s) added to {manifest}\n")
    assert again.stderr.splitlines() == REFUSED
    assert manifest.read_text(encoding="utf-8") == text
    assert TOKEN not in result.output + again.output


def test_without_write_the_tables_are_printed_and_read_back_the_same(forks: FakeGitHub, tmp_path: Path) -> None:
    manifest = tmp_path / "forkflow.toml"
    manifest.write_text(HAND_WRITTEN)
    shown = discover(manifest)
    assert shown.exit_code == 1 and shown.stderr.splitlines() == REFUSED
    assert shown.stdout.startswith('\n[[node]]\nname = "uni"\nurl = ') and shown.stdout.count("[[node]]") == 6
    (tmp_path / "printed.toml").write_text(HAND_WRITTEN + shown.stdout, encoding="utf-8")
    assert load_manifest(tmp_path / "printed.toml").nodes == expected_nodes(forks)
    assert manifest.read_text() == HAND_WRITTEN  # printing writes nothing


def test_a_repository_already_in_the_manifest_is_left_alone_whatever_github_says(
    forks: FakeGitHub, tmp_path: Path
) -> None:
    manifest = tmp_path / "forkflow.toml"
    ours = (
        f'[[node]]\nname = "central"\nurl = "{web(forks, "uni/video")}"\n\n'
        f'[[node]]\nname = "slashy"\nparent = "central"\nurl = "{web(forks, "slashy/video")}.git"\nbranch = "main"\n'
    )
    manifest.write_text(ours)
    result = discover(manifest, "--write")
    assert result.stderr.splitlines() == [line for line in REFUSED if "slashy" not in line]
    written = load_manifest(manifest)
    assert written.node("slashy").branch == "main"
    assert {spec.name: spec.parent for spec in written.nodes}["we-ird"] == "central"


def test_a_new_manifest_escapes_the_network_name(fake_github: FakeGitHub, tmp_path: Path) -> None:
    source = Git.init(tmp_path / "src")
    source.commit("Initial", {"app.py": "A = 1\n"})
    fake_github.add_user("robot", TOKEN)
    fake_github.add_repo("uni", 'vid"éo\\', source_path=source.path, default_branch="main")
    env = {"GITHUB_API_URL": fake_github.url, "GITHUB_TOKEN": TOKEN}
    manifest = tmp_path / "forkflow.toml"
    args = ["discover", "--central", 'uni/vid"éo\\', "--manifest", str(manifest), "--write"]
    result = CliRunner(env=env).invoke(main, args)
    assert (result.exit_code, result.output) == (0, f"1 node(s) added to {manifest}\n")
    written = load_manifest(manifest)
    assert written.network.name == 'vid"éo\\'
    assert written.nodes == (NodeSpec(name="uni", url=web(fake_github, 'uni/vid"éo\\'), branch="main"),)


def test_a_manifest_that_fails_its_check_is_left_as_it_was(forks: FakeGitHub, tmp_path: Path) -> None:
    """Central is listed by a path here, so GitHub's central looks new: a second root, which the check refuses."""
    manifest = tmp_path / "forkflow.toml"
    manifest.write_bytes(b'# ours\n[network]\nname = "video"\n\n[[node]]\nname = "central"\nurl = "/srv/video.git"\n')
    manifest.chmod(0o640)
    before = manifest.read_bytes()
    result = discover(manifest, "--write")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"error: {manifest}: node 'uni': field 'parent': the network has 2 roots ('central', 'uni'); "
        "exactly one node (central) has no parent"
    )
    assert manifest.read_bytes() == before
    assert stat.S_IMODE(manifest.stat().st_mode) == 0o640
    assert sorted(path.name for path in tmp_path.iterdir()) == ["forkflow.toml", "src"]  # no temporary file left


def test_write_manifest_keeps_the_file_mode_and_refuses_text_that_is_no_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "forkflow.toml"
    manifest.write_text('[[node]]\nname = "central"\nref = "refs/heads/main"\n')
    manifest.chmod(0o644)
    write_manifest(
        manifest, manifest.read_text() + '\n[[node]]\nname = "a"\nparent = "central"\nref = "refs/heads/a"\n'
    )
    assert stat.S_IMODE(manifest.stat().st_mode) == 0o644
    before = manifest.read_bytes()
    with pytest.raises(Exception, match=rf"^{manifest}: the edit is not valid TOML .*; the file was left as it was$"):
        write_manifest(manifest, 'name = "\\ud800"\n')
    assert manifest.read_bytes() == before


ODD = ['a"b', "c\\d", "e\nf\r\tg", "]]\n[[node]]", "été 😀", "\x7f\x00\x1b[31m", "'single'", '"""', "\\u0041"]


@pytest.mark.parametrize("text", ODD)
def test_toml_strings_read_back_as_they_were(text: str, tmp_path: Path) -> None:
    manifest = tmp_path / "forkflow.toml"
    written = write_manifest(manifest, f'[network]\nname = {toml_string(text)}\n\n[[node]]\nname = "c"\nref = "HEAD"\n')
    assert written.network.name == text


def test_a_field_is_set_in_the_table_of_a_node_whose_name_needs_escaping(tmp_path: Path) -> None:
    manifest = tmp_path / "forkflow.toml"
    name = 'q"uote'
    assert ref_component_problem(name) is None  # git allows a quote in a ref
    text = f'[[node]]\nname = "central"\nref = "HEAD"\n\n[[node]]\nname = {toml_string(name)}\nparent = "central"\n'
    write_manifest(manifest, text + 'ref = "refs/heads/q"\n')
    done = write_manifest(manifest, set_node_field(manifest.read_text(), name, "retired", True))
    assert done.node(name).retired


@pytest.mark.parametrize(
    "owner", ["a..b", "x.lock", ".hidden", "日本", "--", "a@{b", "UPPER", "tab\there", "end.", "node", "a/b"]
)
def test_node_names_made_from_owners_are_valid_and_unique(owner: str) -> None:
    taken = {"node"}
    name = node_name(f"{owner}/repo", taken)
    assert ref_component_problem(name) is None, name
    assert name in taken and name != "node"


BRANCHES = [
    "main",
    "feature/x",
    'say-"hi"',
    "a]]b",
    "fonctionnalité/été-😀",
    "a./b",
    "bad\\branch",
    "new\nline",
    "with space",
    "-dash",
    "a..b",
    "a/.hidden",
    "x.lock",
    "a/x.lock/b",
    "trailing/",
    "/leading",
    "double//slash",
    "end.",
    "a@{b",
    "@",
    "ti~lde",
    "car^et",
    "co:lon",
    "qu?estion",
    "st*ar",
    "br[acket",
    "del\x7f",
    "HEAD",
]


@pytest.mark.parametrize("branch", BRANCHES)
def test_branch_names_are_judged_as_git_judges_them(branch: str, tmp_path: Path) -> None:
    git = subprocess.run(
        ["git", "check-ref-format", "--branch", branch],
        cwd=tmp_path,
        env={**git_env(), "GIT_DIR": os.devnull},
        capture_output=True,
        check=False,
    )
    assert (branch_problem(branch) is None) == (git.returncode == 0), (branch, branch_problem(branch), git.stderr)
