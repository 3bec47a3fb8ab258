"""A step of a run that failed on its own: the node, the step, the reason; the rest of the run went on.

A run (``forkflow bot``, ``sync``, ``propose``) is many small steps: fetch a node, list a
repository's pull requests, push a branch, open a pull request, sync a node.  A step that
fails with a :class:`~forkflow.errors.ForkflowError` (a refused push, a forge that answers
403, a pull request whose metadata cannot be read) is a :class:`StepProblem` for that item,
and the other steps go on; the command's exit code then says that something failed.  Three
things still stop a run: :class:`~forkflow.errors.RateLimited` (every further call would fail
too), :class:`~forkflow.errors.StoreError` (a full disk, a store that cannot be written: every
further write would fail too, and the store must stay as it was) and an exception that is not a
ForkflowError (a bug: the traceback goes to the crash log).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from pydantic import BaseModel, ConfigDict

from forkflow.budget import SECTION_BUDGET, capped
from forkflow.errors import ForkflowError, RateLimited, StoreError


class PlanError(ForkflowError):
    """One item of a plan could not be planned (objects missing, say); the reason says why."""


class StepProblem(BaseModel):
    """One step that failed: where (the node, and the item: a change, a pull request), which step, why."""

    model_config = ConfigDict(frozen=True)

    node: str | None = None
    step: str
    item: str | None = None
    reason: str

    def __str__(self) -> str:
        where = f"{self.node}: " if self.node else ""
        what = f"{self.step} {self.item}" if self.item else self.step
        return f"{where}{what}: {self.reason}"


@contextmanager
def step(
    problems: list[StepProblem] | None, name: str, node: str | None = None, item: str | None = None
) -> Iterator[None]:
    """Run one step; a ForkflowError becomes a problem in ``problems`` (with None, it is raised).

    RateLimited and StoreError are always raised: they end the run.
    """
    try:
        yield
    except (RateLimited, StoreError):
        raise
    except ForkflowError as err:
        if problems is None:
            raise
        problems.append(StepProblem(node=node, step=name, item=item, reason=one_line(str(err))))


def one_line(text: str) -> str:
    """A reason on one line (a message from a forge may hold several)."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip()) or "(no reason given)"


def unique(problems: Iterable[StepProblem]) -> list[StepProblem]:
    """Each problem once, in the order first met (a repository listed twice fails twice)."""
    return list(dict.fromkeys(problems))


def problems_markdown(problems: list[StepProblem]) -> str:
    """The problems as a Markdown section of the bot's step summary (empty when there are none)."""
    if not problems:
        return ""
    rows = [
        "## Problems",
        "",
        f"{len(problems)} step(s) failed; the rest of the run went on, and the exit code is 1.",
        "",
        "| node | step | reason |",
        "| --- | --- | --- |",
    ]
    lines = []
    for problem in problems:
        step_name = f"{problem.step} {problem.item}" if problem.item else problem.step
        lines.append(f"| {_cell(problem.node or '')} | {_cell(step_name)} | {_cell(problem.reason)} |")
    rows += capped(lines, SECTION_BUDGET, "\n... and {count} more (every one is on stderr, in the run's log).")
    return "\n".join(rows) + "\n"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")
