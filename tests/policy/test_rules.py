"""Policies: strict parsing, errors that name the file and the field, every shipped file valid."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from forkflow.errors import PolicyError
from forkflow.manifest.spec import load_manifest
from forkflow.policy.rules import find_policy, load_policy, policy_schema, shipped_policies

ROOT = Path(__file__).resolve().parents[2]


def test_default_is_shipped_and_valid() -> None:
    policy = load_policy(find_policy("default"))
    assert policy.source == "policies/default.toml"
    assert policy.bubble_up.min_nodes == 2
    assert policy.similarity.threshold == 0.15


@pytest.mark.parametrize("path", sorted((ROOT / "policies").glob("*.toml")), ids=lambda p: p.name)
def test_every_policy_file_validates_against_model_and_schema(path: Path) -> None:
    import tomllib

    load_policy(path)
    jsonschema.validate(tomllib.loads(path.read_text()), policy_schema())


@pytest.mark.parametrize("path", sorted((ROOT / "examples").rglob("forkflow.toml")), ids=lambda p: p.parent.name)
def test_every_example_names_a_policy_that_loads(path: Path) -> None:
    manifest = load_manifest(path)
    load_policy(find_policy(manifest.network.policy, path.parent))


def test_every_problem_is_one_line_with_file_and_dotted_field(tmp_path: Path) -> None:
    bad = tmp_path / "site.toml"
    bad.write_text(
        'protected_paths = "src/**"\n[bubble_up]\nmin_nodes = 1\nmax_proposal = 3\n[similarity]\nthreshold = 1.5\n'
    )
    with pytest.raises(PolicyError) as caught:
        load_policy(bad)
    assert str(caught.value).splitlines() == [
        f"{bad}: field 'protected_paths': Input should be a valid tuple",
        f"{bad}: field 'bubble_up.min_nodes': Input should be greater than or equal to 2",
        f"{bad}: field 'bubble_up.max_proposal': unknown field (check its spelling against the policy format in the README)",
        f"{bad}: field 'similarity.threshold': Input should be less than or equal to 1",
    ]


def test_unreadable_policies_are_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[bubble_up\n")
    with pytest.raises(PolicyError, match=r"broken.toml: is not valid TOML"):
        load_policy(broken)
    with pytest.raises(PolicyError, match=r"missing.toml: no such policy file"):
        load_policy(tmp_path / "missing.toml")
    with pytest.raises(PolicyError, match=r"'strictest' is not a shipped policy \(shipped: default, open, strict\)"):
        find_policy("strictest")


def test_a_policy_path_is_relative_to_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "ours.toml").write_text("[bubble_up]\nmin_nodes = 3\n")
    assert load_policy(find_policy("ours.toml", tmp_path)).bubble_up.min_nodes == 3


def test_protected_globs() -> None:
    policy = load_policy(find_policy("default")).model_copy(
        update={"protected_paths": ("deploy/*.sh", "docs/**/secret.md", "**/*.pem")}
    )
    paths = [
        "deploy/run.sh",
        "deploy/sub/run.sh",
        "docs/secret.md",
        "docs/a/b/secret.md",
        "keys/x.pem",
        "x.pem",
        "app.py",
    ]
    assert policy.protected(paths) == ["deploy/run.sh", "docs/secret.md", "docs/a/b/secret.md", "keys/x.pem", "x.pem"]


def test_the_published_schema_is_current() -> None:
    published = json.loads((ROOT / "docs" / "policy.schema.json").read_text())
    assert published == policy_schema()


def test_shipped_names() -> None:
    assert "default" in shipped_policies()


def test_the_built_in_defaults_are_the_default_policy() -> None:
    from forkflow.policy.rules import Policy

    assert load_policy(find_policy("default")).model_dump() == Policy().model_dump()


def test_tier_and_override_errors_name_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "tiers.toml"
    bad.write_text(
        '[tiers.central]\nsync = "rsync"\nlocal_changes = false\n\n[overrides]\nallowed = ["protected_paths"]\n'
    )
    with pytest.raises(PolicyError) as caught:
        load_policy(bad)
    assert str(caught.value).splitlines() == [
        f"{bad}: field 'tiers.central.sync': Input should be 'fast-forward', 'pull-request' or 'none'",
        f"{bad}: field 'overrides.allowed': protected_paths cannot be overridden; choose among "
        "divergence.max_behind, divergence.max_age_days, bubble_up.min_nodes, similarity.threshold",
    ]
