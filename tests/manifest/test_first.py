"""A first manifest: rendered from plain data, read back as written, created whole and never over a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from forkflow.errors import ManifestError
from forkflow.manifest.first import FirstManifest, FirstNode, render, valid_name, write_new_manifest
from forkflow.manifest.spec import NodeSpec, load_manifest
from forkflow.types import Tier

ODD = 'x"]]\n[[node]]\nname = "evil"\\'


def odd_network() -> FirstManifest:
    central = FirstNode("central", f"remote {ODD!r}\nnext line", "https://example.edu/c.git", branch="main")
    child = FirstNode(
        "child",
        "GitHub a/b",
        "https://example.edu/d.git",
        parent="central",
        tier="developer",
        branch="été/😀",
        owners=("@a",),
        notes={"tier": f"because {ODD}", "owners": "the owner"},
    )
    return FirstManifest(ODD, f"the remotes of {ODD}", (central, child))


def test_whatever_the_names_say_the_file_reads_back_as_the_data() -> None:
    text = render(odd_network())
    assert "evil" not in [line.split("=")[-1].strip(' "') for line in text.splitlines() if line.startswith("name")]
    assert text.count("\n[[node]]\n") == 2  # the newline of a comment did not open a table
    path = Path("/nowhere/forkflow.toml")
    from forkflow.manifest.edit import check_manifest_text

    manifest = check_manifest_text(path, text)
    assert manifest.network.name == ODD
    assert manifest.nodes == (
        NodeSpec(name="central", url="https://example.edu/c.git", branch="main"),
        NodeSpec(
            name="child",
            parent="central",
            tier=Tier.DEVELOPER,
            url="https://example.edu/d.git",
            branch="été/😀",
            owners=("@a",),
        ),
    )
    assert 'tier = "developer"  # guessed: because x"]]?[[node]]?name = "evil"\\' in text.splitlines()


@pytest.mark.parametrize(
    ("text", "taken", "name"),
    [
        ("Eng", set(), "eng"),
        ("team/med.school", set(), "team-med.school"),
        ("a..b", set(), "a--b"),
        ("x.lock", set(), "x-lock"),
        ("eng", {"eng", "eng-2"}, "eng-3"),
        ("...", set(), "node"),
        ("josé", set(), "jos"),
    ],
)
def test_names_are_made_valid_and_unique(text: str, taken: set[str], name: str) -> None:
    assert valid_name(text, taken) == name
    assert name in taken


def test_the_file_is_created_whole(tmp_path: Path) -> None:
    path = tmp_path / "forkflow.toml"
    written = write_new_manifest(path, render(odd_network()))
    assert [spec.name for spec in written.nodes] == ["central", "child"]
    assert load_manifest(path).network.name == ODD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["forkflow.toml"]


def test_an_existing_file_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "forkflow.toml"
    path.write_text("# ours\n")
    with pytest.raises(ManifestError, match="already exists; forkflow init never replaces a manifest"):
        write_new_manifest(path, render(odd_network()))
    assert path.read_text() == "# ours\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["forkflow.toml"]
    dangling = tmp_path / "link.toml"
    dangling.symlink_to(tmp_path / "missing.toml")
    with pytest.raises(ManifestError, match="already exists"):
        write_new_manifest(dangling, render(odd_network()))


def test_a_text_that_is_no_manifest_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "forkflow.toml"
    bad = FirstManifest("n", "here", (FirstNode("central", "x", "ext::sh -c id"),))
    with pytest.raises(ManifestError, match="field 'url'"):
        write_new_manifest(path, render(bad))
    assert list(tmp_path.iterdir()) == []
