"""A step that fails on its own is a problem and the run goes on; a full store or a rate limit ends it."""

from __future__ import annotations

import pytest

from forkflow.errors import ForgeError, RateLimited, StoreError
from forkflow.problems import StepProblem, step


def test_a_forge_error_is_a_problem_of_its_step_and_the_run_goes_on() -> None:
    problems: list[StepProblem] = []
    with step(problems, "propose", node="law", item="exact-1"):
        raise ForgeError("403: forbidden\nby the forge")
    assert problems == [StepProblem(node="law", step="propose", item="exact-1", reason="403: forbidden by the forge")]
    assert str(problems[0]) == "law: propose exact-1: 403: forbidden by the forge"


@pytest.mark.parametrize("error", [StoreError("store.sqlite: no space left"), RateLimited("rate limited")])
def test_a_store_that_cannot_be_written_or_a_rate_limit_ends_the_run(error: Exception) -> None:
    problems: list[StepProblem] = []
    with pytest.raises(type(error)), step(problems, "propose", node="law", item="exact-1"):
        raise error
    assert problems == []
