"""`forkflow init` from the remotes of a real clone: the whole output, the whole file, a scan right after."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from forkflow.cli import main
from forkflow.manifest.spec import load_manifest
from tests.gitcli import Git

JAN_2026 = "1767225600"  # 2026-01-01T00:00:00Z


@pytest.fixture(autouse=True)
def _fixed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", JAN_2026)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)


def bare_copy(source: Git, path: Path) -> Path:
    source("clone", "-q", "--bare", str(source.path), str(path))
    return path


@pytest.fixture
def clone(tmp_path: Path) -> Git:
    return build_clone(tmp_path)


def build_clone(tmp_path: Path) -> Git:
    """In ``tmp_path``: a clone (``work``) whose remotes are central (upstream), eng (two commits of its own) and Team/Med.School (none).

    eng is added by a relative path and its HEAD is known; Team/Med.School's HEAD is not (only its main was fetched).
    """
    src = Git.init(tmp_path / "src")
    src.commit("Initial product", {"app.py": "A = 1\n"})
    central = bare_copy(src, tmp_path / "central.git")
    src.checkout("-b", "eng")
    src.commit("Eng page", {"eng.md": "eng\n"})
    src.commit("Eng fix", {"app.py": "A = 2\n"})
    eng = bare_copy(src, tmp_path / "eng.git")
    Git(eng)("symbolic-ref", "HEAD", "refs/heads/eng")
    med = bare_copy(src, tmp_path / "med.git")
    work = Git(tmp_path / "work", src.clock)
    src("clone", "-q", "-o", "upstream", str(central), str(work.path))
    work("remote", "add", "eng", "../eng.git")
    work("remote", "add", "Team/Med.School", str(med))
    work("fetch", "-q", "eng")
    work("remote", "set-head", "eng", "--auto")
    work("fetch", "-q", "Team/Med.School", "main")
    work("update-ref", "refs/remotes/Team/Med.School/main", "FETCH_HEAD")
    work("remote", "set-head", "Team/Med.School", "--delete", check=False)  # git 2.48 and later may have set it
    return work


def expected_text(tmp_path: Path) -> str:
    return f"""\
# forkflow.toml, first written by forkflow init from the remotes of {tmp_path / "work"}.
# Lines marked "guessed" are guesses: check them (tiers: central, decentralized, developer), then commit.

[network]
name = "central"
policy = "default"

# remote 'upstream'
[[node]]
name = "upstream"
url = "{tmp_path / "central.git"}"
branch = "main"

# remote 'Team/Med.School'
[[node]]
name = "team-med.school"
parent = "upstream"
tier = "central"  # guessed: no commits of its own yet (all in upstream/main); if it will carry changes, decentralized
url = "{tmp_path / "med.git"}"
branch = "main"  # guessed: refs/remotes/Team/Med.School/HEAD is not set here; Team/Med.School/main was fetched

# remote 'eng'
[[node]]
name = "eng"
parent = "upstream"
tier = "decentralized"  # guessed: it has commits of its own; if it only takes upstream's updates, central
url = "{tmp_path / "eng.git"}"
branch = "eng"
"""


def init(work: Git, *more: str) -> Result:
    return CliRunner().invoke(main, ["init", "--repo", str(work.path), *more])


def test_init_writes_the_remotes_as_nodes_and_scans_at_once(clone: Git, tmp_path: Path) -> None:
    result = init(clone)
    manifest = clone.path / "forkflow.toml"
    assert (result.exit_code, result.stdout.splitlines()) == (
        0,
        [
            f"wrote {manifest}: 3 node(s), central 'upstream' and 2 under it; check the lines marked 'guessed'",
            "No node needs attention.",
            "",
            "Unmet needs: 100.0% (2 of 2 needs the parents do not ship yet; 0 local change(s) not counted)",
            "  by tier: central 0.0%, decentralized 100.0%",
            "Shared changes (carried by several nodes): 0",
            "forkflow scan shows every node's figures",
        ],
    )
    eng, central = clone.head("refs/remotes/eng/eng"), clone.head("refs/remotes/upstream/main")
    assert result.stderr.splitlines() == [
        f"upstream: updated at {central[:12]}",
        f"team-med.school: updated at {central[:12]}",
        f"eng: updated at {eng[:12]}",
        "fetched 3 of 3 node(s)",
    ]
    assert manifest.read_text(encoding="utf-8") == expected_text(tmp_path)
    assert [spec.name for spec in load_manifest(manifest).nodes] == ["upstream", "team-med.school", "eng"]
    assert clone.head("refs/forkflow/nodes/eng") == eng
    scanned = CliRunner().invoke(main, ["scan", "--repo", str(clone.path), "--json"])
    assert scanned.exit_code == 0, scanned.output
    assert '"ahead": 2' in scanned.stdout and '"network": "central"' in scanned.stdout


def test_a_dry_run_prints_exactly_the_file_and_writes_nothing(clone: Git, tmp_path: Path) -> None:
    refs_before = clone("for-each-ref")
    result = init(clone, "--dry-run")
    assert (result.exit_code, result.stdout) == (0, expected_text(tmp_path))
    manifest = clone.path / "forkflow.toml"
    assert result.stderr == f"dry run: nothing was written ({manifest} would hold the above)\n"
    assert not manifest.exists()
    assert not (clone.path / ".git" / "forkflow").exists() and not (clone.path / ".forkflow").exists()
    assert sorted(path.name for path in clone.path.iterdir()) == [".git", "app.py"]
    assert clone("for-each-ref") == refs_before  # no node fetched, nothing recorded


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()
    }


def test_a_dry_run_leaves_an_existing_store_as_it_was(clone: Git, tmp_path: Path) -> None:
    assert init(clone).exit_code == 0  # fetched and scanned: the store holds the scan
    (clone.path / "forkflow.toml").rename(tmp_path / "kept.toml")
    before, refs = snapshot(clone.path / ".forkflow"), clone("for-each-ref")
    assert any(name.startswith("store.sqlite") for name in before)
    result = init(clone, "--dry-run")
    assert (result.exit_code, result.stdout) == (0, expected_text(tmp_path))
    assert snapshot(clone.path / ".forkflow") == before
    assert clone("for-each-ref") == refs
    assert not (clone.path / "forkflow.toml").exists()


def test_an_existing_manifest_is_never_replaced(clone: Git) -> None:
    manifest = clone.path / "forkflow.toml"
    manifest.write_text("# ours\n", encoding="utf-8")
    for more in ((), ("--dry-run",), ("--no-scan",)):
        result = init(clone, *more)
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr == (
            f"error: {manifest}: already exists; forkflow init never replaces a manifest "
            "(edit it, or move it away first)\n"
        )
    assert manifest.read_text(encoding="utf-8") == "# ours\n"
    assert sorted(path.name for path in clone.path.iterdir()) == [".git", "app.py", "forkflow.toml"]


def test_a_manifest_elsewhere_and_no_scan(clone: Git, tmp_path: Path) -> None:
    manifest = tmp_path / "conf" / "network.toml"
    manifest.parent.mkdir()
    result = init(clone, "--manifest", str(manifest), "--no-scan")
    assert (result.exit_code, result.output) == (
        0,
        f"wrote {manifest}: 3 node(s), central 'upstream' and 2 under it; check the lines marked 'guessed'\n",
    )
    assert manifest.read_text(encoding="utf-8") == expected_text(tmp_path)
    assert clone("for-each-ref", "refs/forkflow") == ""  # nothing fetched
    assert sorted(path.name for path in manifest.parent.iterdir()) == ["network.toml"]  # no temporary file left


def test_a_clone_without_remotes(tmp_path: Path) -> None:
    work = Git.init(tmp_path / "lonely")
    work.commit("Initial", {"a.txt": "a\n"})
    result = init(work)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {work.path}: this clone has no remotes; add the forks with `git remote add NAME URL` and "
        "`git fetch --all`, or start from GitHub: forkflow init --from github:OWNER/NAME\n"
    )
    assert not (work.path / "forkflow.toml").exists()


def test_the_central_remote_must_be_there(clone: Git) -> None:
    missing = init(clone, "--central", "origin")
    assert (missing.exit_code, missing.stdout) == (1, "")
    assert missing.stderr == (
        f"error: {clone.path}: no remote is named 'origin' (the remotes: 'Team/Med.School', 'eng', 'upstream'); "
        "name the central one with --central REMOTE\n"
    )
    clone("remote", "rename", "upstream", "main-repo")
    neither = init(clone)
    assert (neither.exit_code, neither.stdout) == (1, "")
    assert neither.stderr == (
        f"error: {clone.path}: neither 'upstream' nor 'origin' is a remote (the remotes: 'Team/Med.School', 'eng', "
        "'main-repo'); name the central one with --central REMOTE\n"
    )
    assert not (clone.path / "forkflow.toml").exists()


def test_another_central_makes_the_others_its_children(clone: Git, tmp_path: Path) -> None:
    result = init(clone, "--central", "eng", "--skip", "Team/Med.School", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.split("# remote 'eng'\n", 1)[1] == (
        f'[[node]]\nname = "eng"\nurl = "{tmp_path / "eng.git"}"\nbranch = "eng"\n\n'
        f'# remote \'upstream\'\n[[node]]\nname = "upstream"\nparent = "eng"\n'
        'tier = "central"  # guessed: no commits of its own yet (all in eng/eng); '
        "if it will carry changes, decentralized\n"
        f'url = "{tmp_path / "central.git"}"\nbranch = "main"\n'
    )


def test_a_remote_whose_default_branch_is_unknown(clone: Git, tmp_path: Path) -> None:
    clone("remote", "add", "vet", str(tmp_path / "med.git"))  # never fetched: nothing here says its branch
    result = init(clone)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: remote 'vet': its default branch is not known in this clone (no refs/remotes/vet/HEAD, "
        "no vet/main or vet/master); run `git remote set-head vet --auto` (or `git fetch vet`), "
        "or leave it out with --skip vet\n"
    )
    assert not (clone.path / "forkflow.toml").exists()
    typo = init(clone, "--skip", "vte")
    assert (typo.exit_code, typo.stdout) == (1, "")
    assert typo.stderr == (
        f"error: {clone.path}: --skip vte: no remote has that name "
        "(the remotes: 'Team/Med.School', 'eng', 'upstream', 'vet')\n"
    )
    skipped = init(clone, "--skip", "vet", "--no-scan")
    assert skipped.exit_code == 0, skipped.output
    assert (clone.path / "forkflow.toml").read_text(encoding="utf-8") == expected_text(tmp_path)


def test_credentials_in_a_url_are_left_out_and_the_owner_guessed(clone: Git) -> None:
    token = "ghp_initsecret0123456789abcdef"
    clone("remote", "add", "agri", f"https://robot:{token}@github.com/Agri-Dept/video.git")
    clone("update-ref", "refs/remotes/agri/main", "refs/remotes/upstream/main")
    result = init(clone, "--dry-run")
    assert result.exit_code == 0, result.output
    assert token not in result.output and "robot" not in result.output
    assert result.stderr.splitlines()[0] == (
        "warning: remote 'agri': its url holds credentials; the manifest has it without them "
        "(forkflow gives the forge's host GITHUB_TOKEN when it fetches)"
    )
    table = result.stdout.split("# remote 'agri'\n", 1)[1].split("\n\n", 1)[0]
    assert table.splitlines() == [
        "[[node]]",
        'name = "agri"',
        'parent = "upstream"',
        'tier = "central"  # guessed: no commits of its own yet (all in upstream/main); '
        "if it will carry changes, decentralized",
        'url = "https://github.com/Agri-Dept/video.git"',
        'branch = "main"  # guessed: refs/remotes/agri/HEAD is not set here; agri/main was fetched',
        'owners = ["@Agri-Dept"]  # guessed: the owner in the url',
    ]


def test_a_refused_url_writes_nothing(clone: Git) -> None:
    clone("config", "remote.evil.url", "ext::sh -c touch% /tmp/pwned")
    clone("update-ref", "refs/remotes/evil/main", "refs/remotes/upstream/main")
    result = init(clone)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith("error: remote 'evil': its url is refused: it ")
    assert result.stderr.endswith("; leave it out with --skip evil\n")
    assert not (clone.path / "forkflow.toml").exists()


def test_a_bare_repository_needs_a_manifest_path(clone: Git, tmp_path: Path) -> None:
    bare = Git(tmp_path / "bare.git")
    clone("clone", "-q", "--bare", str(clone.path), str(bare.path))
    result = init(bare)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.endswith(
        f"Error: {bare.path} is a bare repository: say where the manifest goes with --manifest FILE\n"
    )


def test_options_that_do_not_go_together() -> None:
    for args, message in (
        (["--org", "uni"], "Error: --org goes with --from github:OWNER/NAME"),
        (["--from", "github:uni/video", "--central", "eng"], "Error: --central and --skip choose among the remotes"),
        (["--from", "gitlab:uni/video"], "Error: Invalid value for '--from': takes github:OWNER/NAME"),
        (["--from", "github:uni"], "Error: Invalid value for '--from': takes github:OWNER/NAME"),
    ):
        result = CliRunner().invoke(main, ["init", *args])
        assert result.exit_code == 2 and message in result.stderr, (args, result.output)
