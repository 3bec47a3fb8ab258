"""Bad manifests get one clear line each: file, node, field, what is wrong; exit 1."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from forkflow.cli import main
from forkflow.codeid import code_id
from forkflow.errors import ManifestError
from forkflow.manifest.spec import load_manifest
from forkflow.network.tree import Network
from tests.gitcli import Git

HEAD = '[network]\nname = "t"\n\n[[node]]\nname = "central"\nref = "refs/heads/main"\n'


def node(name: str, parent: str = "central", **fields: str) -> str:
    body = f'\n[[node]]\nname = "{name}"\nparent = "{parent}"\n'
    for key, value in {"ref": f"refs/heads/{name}", **fields}.items():
        body += f'{key} = "{value}"\n'
    return body


CASES = {
    "cycle": (
        HEAD + node("a", "b") + node("b", "a"),
        "{m}: node 'a': field 'parent': the parents form a cycle: a -> b -> a",
    ),
    "two roots": (
        HEAD + '\n[[node]]\nname = "other"\nref = "refs/heads/other"\n',
        "{m}: node 'other': field 'parent': the network has 2 roots ('central', 'other'); "
        "exactly one node (central) has no parent",
    ),
    "unknown parent": (HEAD + node("a", "nowhere"), "{m}: node 'a': field 'parent': no node is named 'nowhere'"),
    "duplicate name": (
        HEAD + node("a") + node("a"),
        "{m}: node 'a': field 'name': the name is used by another node too",
    ),
    "unknown tier": (
        HEAD + node("a", tier="federal"),
        "{m}: node 'a': field 'tier': 'federal' is not a tier; use one of: central, decentralized, developer",
    ),
    "bad name": (
        HEAD + node("a b", ref="refs/heads/ab"),
        "{m}: node 'a b': field 'name': 'a b' is not a valid node name: it contains characters git "
        "does not allow in a ref name: ' '",
    ),
    "lock name": (
        HEAD + node("x.lock", ref="refs/heads/x"),
        "{m}: node 'x.lock': field 'name': 'x.lock' is not a valid node name: it ends with '.lock'",
    ),
    "unknown field": (
        HEAD + node("a", colour="red"),
        "{m}: node 'a': field 'colour': unknown field (check its spelling against the manifest format in the README)",
    ),
    "no location": (
        HEAD + '\n[[node]]\nname = "a"\nparent = "central"\n',
        "{m}: node 'a': field 'url': says neither where to fetch (url) nor which ref to read (ref)",
    ),
    "short ref": (
        HEAD + node("a", ref="main"),
        "{m}: node 'a': field 'ref': 'main' is not a full ref name; write it as refs/heads/... or refs/remotes/...",
    ),
    "store password": (
        HEAD.replace('name = "t"\n', 'name = "t"\nstore = "postgresql://bot:hunter2@db/forkflow"\n', 1),
        "{m}: field 'network.store': has a password; the manifest is committed, so give the password in "
        "PGPASSWORD or ~/.pgpass (or the whole URL in FORKFLOW_STORE) instead",
    ),
    "not toml": (
        HEAD + "[[node]\n",
        "{m}: is not valid TOML: Expected ']]' at the end of an array declaration (at line 7, column 7)",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_manifest_is_one_line_and_exit_1(tmp_path: Path, case: str) -> None:
    text, expected = CASES[case]
    Git.init(tmp_path).commit("root", {"a.txt": "a\n"})
    manifest = tmp_path / "forkflow.toml"
    manifest.write_text(text)
    result = CliRunner().invoke(main, ["scan", "--repo", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == "error: " + expected.format(m=manifest) + "\n"


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    manifest = tmp_path / "forkflow.toml"
    manifest.write_text(HEAD + node("a", "nowhere") + node("b", tier="federal"))
    with pytest.raises(ManifestError) as caught:
        load_manifest(manifest)
    assert str(caught.value).splitlines() == [
        f"{manifest}: node 'b': field 'tier': 'federal' is not a tier; use one of: central, decentralized, developer",
    ]
    manifest.write_text(HEAD + node("a", "nowhere") + node("b", "elsewhere"))
    with pytest.raises(ManifestError) as caught:
        load_manifest(manifest)
    assert [(p.node, p.field) for p in caught.value.problems] == [("a", "parent"), ("b", "parent")]


def test_missing_manifest_says_what_to_do(tmp_path: Path) -> None:
    Git.init(tmp_path).commit("root", {"a.txt": "a\n"})
    result = CliRunner().invoke(main, ["scan", "--repo", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == (
        f"error: {tmp_path / 'forkflow.toml'}: no such file; write a forkflow.toml "
        "(see README) or pass --manifest FILE\n"
    )


def test_a_missing_ref_names_node_and_field(tmp_path: Path) -> None:
    git = Git.init(tmp_path)
    git.commit("root", {"a.txt": "a\n"})
    (tmp_path / "forkflow.toml").write_text(HEAD + node("a", ref="refs/remotes/aero/main"))
    result = CliRunner().invoke(main, ["scan", "--repo", str(tmp_path), "--json"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {tmp_path / 'forkflow.toml'}: node 'a': field 'ref': refs/remotes/aero/main "
        f"does not exist in {tmp_path / '.git'}; fetch it or fix the ref\n"
    )


def test_node_names_follow_git_check_ref_format(tmp_path: Path) -> None:
    """Every name the manifest accepts, git accepts as a ref component, and the reverse."""
    names = [
        "ok",
        "with-dash",
        "dot.ted",
        ".hidden",
        "a..b",
        "x.lock",
        "end.",
        "at@{x",
        "@",
        "sp ace",
        "tab\tx",
        "q?",
        "star*",
        "col:on",
        "til~de",
        "car^et",
        "br[acket",
        "back\\slash",
        "uni-é",
    ]
    for name in names:
        check = subprocess.run(["git", "check-ref-format", f"refs/forkflow/nodes/{name}"], check=False)
        git_ok = check.returncode == 0
        text = HEAD + f'\n[[node]]\nname = "{name}"\nparent = "central"\nref = "refs/heads/x"\n'
        text = text.replace("\t", "\\t").replace("back\\slash", "back\\\\slash")
        (tmp_path / "m.toml").write_text(text)
        try:
            load_manifest(tmp_path / "m.toml")
            ours = True
        except ManifestError:
            ours = False
        assert ours == git_ok, name


def test_network_tree_order_and_depth(tmp_path: Path) -> None:
    (tmp_path / "m.toml").write_text(HEAD + node("b") + node("b1", "b") + node("a") + node("b2", "b") + node("a1", "a"))
    network = Network(load_manifest(tmp_path / "m.toml"))
    assert list(network.tree_order()) == ["central", "b", "b1", "b2", "a", "a1"]
    assert [network.depth(n) for n in network.tree_order()] == [0, 1, 2, 2, 1, 2]


def test_relative_urls_are_relative_to_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "m.toml").write_text(
        HEAD + '\n[[node]]\nname = "a"\nparent = "central"\nurl = "../forge/a.git"\n'
    )
    manifest = load_manifest(tmp_path / "sub" / "m.toml")
    assert manifest.resolve_url("../forge/a.git") == str(tmp_path / "forge" / "a.git")
    assert manifest.resolve_url("https://example.edu/a.git") == "https://example.edu/a.git"
    assert manifest.resolve_url("git@example.edu:a.git") == "git@example.edu:a.git"


def test_the_parsed_manifest_is_kept_by_its_text_and_never_served_stale(tmp_path: Path) -> None:
    import hashlib
    import json

    manifest, cache = tmp_path / "forkflow.toml", tmp_path / "cache" / "manifest.json"
    cache.parent.mkdir()
    text = HEAD + node("eng", "central")
    manifest.write_text(text)
    assert [spec.name for spec in load_manifest(manifest, cache=cache).nodes] == ["central", "eng"]
    kept = json.loads(cache.read_text())
    assert kept["sha256"] == hashlib.sha256(text.encode() + b"\0" + code_id().encode()).hexdigest()
    kept["data"]["node"][1]["name"] = "from-the-cache"  # what a read of the cache, not of the text, would show
    cache.write_text(json.dumps(kept))
    assert [spec.name for spec in load_manifest(manifest, cache=cache).nodes] == ["central", "from-the-cache"]
    kept["data"]["node"][1]["tier"] = "federal"
    cache.write_text(json.dumps(kept))
    with pytest.raises(ManifestError, match="field 'tier'"):  # what comes from the cache is checked all the same
        load_manifest(manifest, cache=cache)
    manifest.write_text(HEAD + node("agri", "central"))  # another text: parsed again, and kept
    assert [spec.name for spec in load_manifest(manifest, cache=cache).nodes] == ["central", "agri"]
    manifest.write_text(HEAD + "[[node]\n")
    with pytest.raises(ManifestError, match="is not valid TOML"):
        load_manifest(manifest, cache=cache)
    cache.write_text("{ half a cache")  # a damaged cache is only a cache
    manifest.write_text(text)
    assert [spec.name for spec in load_manifest(manifest, cache=cache).nodes] == ["central", "eng"]
    assert (
        json.loads(cache.read_text())["sha256"]
        == hashlib.sha256(text.encode() + b"\0" + code_id().encode()).hexdigest()
    )


def test_a_checkout_forkflow_cannot_write_to_still_reads_its_manifest(tmp_path: Path) -> None:
    from forkflow.workspace import open_workspace

    git = Git.init(tmp_path / "repo")
    git.commit("root", {"forkflow.toml": HEAD})
    (git.path / ".forkflow").write_text("a file where forkflow's folder would go")  # no cache can be kept
    store = tmp_path / "elsewhere.sqlite"
    space = open_workspace(git.path, store=str(store))
    assert [spec.name for spec in space.manifest.nodes] == ["central"]
    assert store.exists()
