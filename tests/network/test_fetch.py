"""`forkflow fetch`: url-nodes land in refs/forkflow/nodes/<name>; failures do not stop the rest."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from forkflow.cli import main
from tests.gitcli import Git
from tests.httpgit import serve_git


def make_forge(root: Path) -> dict[str, str]:
    """central plus two forks, each a bare repository as a forge would hold it."""
    work = Git.init(root / "build")
    heads = {"central": work.commit("product", {"app.py": "print('hi')\n"})}
    work.checkout("-b", "eng")
    heads["eng"] = work.commit("eng change", {"eng.txt": "eng\n"})
    work.checkout("-b", "agri", "main")
    heads["agri"] = work.commit("agri change", {"agri.txt": "agri\n"})
    for name, branch in (("central", "main"), ("eng", "eng"), ("agri", "agri")):
        bare = Git.init(root / "forge" / f"{name}.git", bare=True)
        work("push", "-q", str(bare.path), f"{branch}:refs/heads/{'trunk' if name == 'agri' else 'main'}")
        if name == "agri":
            bare("symbolic-ref", "HEAD", "refs/heads/trunk")
    return heads


def updated(heads: dict[str, str]) -> list[str]:
    """What fetch prints for the three forge nodes fetched for the first time."""
    return [f"{name}: updated at {heads[name][:12]}" for name in ("central", "eng", "agri")]


MANIFEST = """\
[network]
name = "forge"

[[node]]
name = "central"
url = "../forge/central.git"
branch = "main"

[[node]]
name = "eng"
parent = "central"
tier = "decentralized"
url = "../forge/eng.git"
branch = "main"

[[node]]
name = "agri"
parent = "central"
tier = "developer"
url = "../forge/agri.git"   # no branch: its default branch (trunk)
"""


def setup(tmp_path: Path, extra: str = "") -> tuple[Path, dict[str, str]]:
    heads = make_forge(tmp_path)
    work = Git.init(tmp_path / "work")
    work.commit("manifest", {"forkflow.toml": MANIFEST + extra})
    return tmp_path / "work", heads


def test_fetch_brings_every_url_node(tmp_path: Path) -> None:
    work, heads = setup(tmp_path)
    result = CliRunner().invoke(main, ["fetch", "--repo", str(work)])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"central: updated at {heads['central'][:12]}\n"
        f"eng: updated at {heads['eng'][:12]}\n"
        f"agri: updated at {heads['agri'][:12]}\n"
        "fetched 3 of 3 node(s)\n"
    )
    git = Git(work)
    for name, head in heads.items():
        assert git.head(f"refs/forkflow/nodes/{name}") == head
    again = CliRunner().invoke(main, ["fetch", "--repo", str(work)])
    assert again.stderr.splitlines()[0] == f"central: up to date at {heads['central'][:12]}"


def test_unreachable_and_missing_branch_are_reported_and_the_rest_goes_on(tmp_path: Path) -> None:
    extra = (
        '\n[[node]]\nname = "gone"\nparent = "central"\nurl = "../forge/gone.git"\n'
        '\n[[node]]\nname = "nobranch"\nparent = "central"\nurl = "../forge/eng.git"\nbranch = "release"\n'
    )
    work, heads = setup(tmp_path, extra)
    result = CliRunner().invoke(main, ["fetch", "--repo", str(work)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    manifest = work / "forkflow.toml"
    assert lines[:3] == updated(heads)
    assert lines[3].startswith(
        f"error: {manifest}: node 'gone': field 'url': cannot reach {tmp_path / 'forge' / 'gone.git'}: "
    )
    assert lines[4] == (
        f"error: {manifest}: node 'nobranch': field 'url': {tmp_path / 'forge' / 'eng.git'} has no branch "
        "'release' (it has: main)"
    )
    assert lines[5] == "fetched 3 of 5 node(s); 2 failed"
    assert Git(work).head("refs/forkflow/nodes/agri") == heads["agri"]


def test_dry_run_fetches_nothing(tmp_path: Path) -> None:
    work, _ = setup(tmp_path)
    result = CliRunner().invoke(main, ["fetch", "--repo", str(work), "--dry-run", "--node", "eng"])
    assert result.exit_code == 0
    assert result.output == (
        f"would fetch eng: {tmp_path / 'forge' / 'eng.git'} main -> refs/forkflow/nodes/eng\n"
        "1 node(s) to fetch; nothing was fetched (--dry-run)\n"
    )
    assert Git(work)("for-each-ref", "refs/forkflow/") == ""


def test_unknown_node_is_a_usage_problem(tmp_path: Path) -> None:
    work, _ = setup(tmp_path)
    result = CliRunner().invoke(main, ["fetch", "--repo", str(work), "--node", "nope"])
    assert result.exit_code == 2
    assert result.output == (
        "Usage: main fetch [OPTIONS]\nTry 'main fetch --help' for help.\n\n"
        f"Error: Invalid value for '--node': no node named 'nope' in {work / 'forkflow.toml'}\n"
    )


def test_scan_after_fetch(tmp_path: Path) -> None:
    work, heads = setup(tmp_path)
    CliRunner().invoke(main, ["fetch", "--repo", str(work)])
    result = CliRunner().invoke(main, ["scan", "--repo", str(work), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    eng = next(node for node in report["nodes"] if node["name"] == "eng")
    assert (eng["head"], eng["ahead"], eng["behind"], eng["carried"]) == (heads["eng"], 1, 0, [heads["eng"]])


def test_file_urls_and_remote_tracking_refs(tmp_path: Path) -> None:
    """An ordinary clone with one remote per fork, nodes named by ref; and a file:// url."""
    heads = make_forge(tmp_path)
    work = Git.init(tmp_path / "clone")
    for name in ("central", "eng", "agri"):
        work("remote", "add", name, str(tmp_path / "forge" / f"{name}.git"))
    work("fetch", "-q", "--all")
    work("update-ref", "refs/pull/12/head", heads["eng"])
    manifest = (
        '[network]\nname = "clone"\n\n[[node]]\nname = "central"\nref = "refs/remotes/central/main"\n'
        '\n[[node]]\nname = "eng"\nparent = "central"\ntier = "decentralized"\nref = "refs/remotes/eng/main"\n'
        '\n[[node]]\nname = "pr12"\nparent = "central"\ntier = "developer"\nref = "refs/pull/12/head"\n'
        f'\n[[node]]\nname = "agri"\nparent = "central"\ntier = "developer"\nurl = "file://{tmp_path}/forge/agri.git"\n'
    )
    (tmp_path / "forkflow.toml").write_text(manifest)
    fetched = CliRunner().invoke(
        main, ["fetch", "--repo", str(work.path), "--manifest", str(tmp_path / "forkflow.toml")]
    )
    assert fetched.exit_code == 0, fetched.output
    assert fetched.stderr.splitlines() == [f"agri: updated at {heads['agri'][:12]}", "fetched 1 of 1 node(s)"]
    result = CliRunner().invoke(
        main, ["scan", "--repo", str(work.path), "--manifest", str(tmp_path / "forkflow.toml"), "--json"]
    )
    assert result.exit_code == 0, result.output
    nodes = {node["name"]: node for node in json.loads(result.stdout)["nodes"]}
    assert nodes["eng"]["carried"] == nodes["pr12"]["carried"] == [heads["eng"]]
    assert nodes["agri"]["carried"] == [heads["agri"]]


def test_fetch_over_http(tmp_path: Path) -> None:
    """Remote URLs: libgit2's smart-HTTP client against git's own server on loopback."""
    heads = make_forge(tmp_path)
    with serve_git(tmp_path / "forge") as base:
        manifest = MANIFEST.replace("../forge/", f"{base}/")
        work = Git.init(tmp_path / "work")
        work.commit(
            "manifest",
            {"forkflow.toml": manifest + f'\n[[node]]\nname = "gone"\nparent = "central"\nurl = "{base}/gone.git"\n'},
        )
        result = CliRunner().invoke(main, ["fetch", "--repo", str(work.path)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[:3] == updated(heads)
    assert lines[3].startswith(
        f"error: {work.path / 'forkflow.toml'}: node 'gone': field 'url': cannot reach {base}/gone.git"
    )
    assert lines[4] == "fetched 3 of 4 node(s); 1 failed"
    assert Git(work.path).head("refs/forkflow/nodes/agri") == heads["agri"]
