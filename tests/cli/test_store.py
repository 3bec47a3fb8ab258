"""``forkflow store path``: where the store is, for a CI cache to keep between runs; it makes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from forkflow.cli import main
from tests.networks import build_small


def store_path(repo: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner(env=env).invoke(main, ["store", "path", "--repo", str(repo), *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_store_beside_the_repository_is_named_and_not_made(tmp_path: Path) -> None:
    small = build_small(tmp_path / "net")
    folder = small.git.path / ".forkflow"
    assert store_path(small.git.path) == (0, f"{folder / 'store.sqlite'}\n", "")
    assert store_path(small.git.path, "--json") == (
        0,
        json.dumps({"kind": "sqlite", "path": str(folder / "store.sqlite"), "exists": False}) + "\n",
        "",
    )
    assert not folder.exists()


def test_the_option_the_environment_and_the_manifest_name_other_stores(tmp_path: Path) -> None:
    small = build_small(tmp_path / "net")
    manifest = small.git.path / "forkflow.toml"
    manifest.write_text(manifest.read_text().replace('name = "small"', 'name = "small"\nstore = "state/s.sqlite"', 1))
    assert 'store = "state/s.sqlite"' in manifest.read_text()
    assert store_path(small.git.path) == (0, f"{small.git.path / 'state' / 's.sqlite'}\n", "")
    other = tmp_path / "elsewhere.sqlite"
    assert store_path(small.git.path, "--store", str(other)) == (0, f"{other}\n", "")
    assert store_path(small.git.path, env={"FORKFLOW_STORE": f"sqlite:///{other}"}) == (0, f"{other}\n", "")
    url = "postgresql://bot:s3cret@db.example.edu/forkflow"
    assert store_path(small.git.path, "--store", url) == (
        0,
        "",
        "the store is a PostgreSQL database (postgresql://bot:***@db.example.edu/forkflow): it keeps its state itself\n",
    )
    assert store_path(small.git.path, "--store", url, "--json") == (
        0,
        '{"kind": "postgresql", "location": "postgresql://bot:***@db.example.edu/forkflow"}\n',
        "",
    )


def test_a_broken_manifest_is_named(tmp_path: Path) -> None:
    small = build_small(tmp_path / "net")
    (small.git.path / "forkflow.toml").write_text("[network\n")
    code, out, err = store_path(small.git.path)
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {small.git.path / 'forkflow.toml'}: ")
