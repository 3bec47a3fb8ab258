"""Shards: N machines' partial scans, collected, give one machine's report byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from forkflow.cli import main
from forkflow.shard import Shard, parse_shard, shard_of
from tests.networks import build_random


def run(repo: Path, *args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("count", [1, 3, 4])
def test_n_shards_collected_equal_one_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    git, manifest = build_random(tmp_path / "net", seed=11, nodes=9, steps=90)
    (git.path / "forkflow.toml").write_text(manifest)
    one_machine = run(git.path, "scan", "--json", "--no-cache")
    for number in range(1, count + 1):
        assert run(git.path, "scan", "--shard", f"{number}/{count}").startswith(f"shard {number}/{count}: ")
    collected = run(git.path, "scan", "--json", "--collect")
    assert collected == one_machine


def test_collect_refuses_when_a_shard_is_missing(tmp_path: Path) -> None:
    git, manifest = build_random(tmp_path / "net", seed=12, nodes=6, steps=40)
    (git.path / "forkflow.toml").write_text(manifest)
    run(git.path, "scan", "--shard", "1/2")
    result = CliRunner().invoke(main, ["scan", "--collect", "--repo", str(git.path)])
    assert result.exit_code == 1
    assert "no shard has compared these nodes with their parents yet" in result.output


def test_shards_are_stable_and_cover_every_node() -> None:
    names = [f"college-{n}" for n in range(200)]
    shards = [Shard(k, 8) for k in range(1, 9)]
    assert all(sum(shard.holds(name) for shard in shards) == 1 for name in names)
    assert shard_of("college-7", 8) == shard_of("college-7", 8)
    assert parse_shard("3/8") == Shard(3, 8)
    with pytest.raises(Exception, match="write K/N"):
        parse_shard("9/8")
