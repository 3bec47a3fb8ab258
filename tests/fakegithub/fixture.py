"""The `fake_github` pytest fixture: a started `FakeGitHub` whose responses all had to validate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakegithub.server import FakeGitHub


@pytest.fixture(name="fake_github")
def fake_github_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeGitHub]:
    """A fake GitHub on a free loopback port; at teardown, no response may have failed validation."""
    with FakeGitHub(tmp_path_factory.mktemp("fakegithub")) as fake:
        yield fake
    assert fake.internal_errors == [], "the fake GitHub crashed:\n" + "\n".join(fake.internal_errors)
    assert fake.validation_errors == [], "responses that do not match GitHub's OpenAPI description:\n" + "\n".join(
        fake.validation_errors
    )
