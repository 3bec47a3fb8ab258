"""The `fake_gitlab` pytest fixture: a started `FakeGitLab` whose answers all had to validate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakegitlab.server import FakeGitLab


@pytest.fixture(name="fake_gitlab")
def fake_gitlab_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeGitLab]:
    """A fake GitLab on a free loopback port; at teardown, no answer may have failed validation."""
    with FakeGitLab(tmp_path_factory.mktemp("fakegitlab")) as fake:
        yield fake
    assert fake.internal_errors == [], "the fake GitLab crashed:\n" + "\n".join(fake.internal_errors)
    assert fake.validation_errors == [], "answers that do not match GitLab's API description:\n" + "\n".join(
        fake.validation_errors
    )
