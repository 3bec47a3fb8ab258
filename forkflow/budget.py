"""Text that stays within what its readers render.

GitHub drops a step summary over 1 MiB ("$GITHUB_STEP_SUMMARY upload aborted, supports content up
to a size of 1024k"), so each list that grows with the network gets a byte budget, and the whole
summary a last guard (:func:`within`) that cuts only between lines, never inside a code block.
"""

from __future__ import annotations

from collections.abc import Sequence

STEP_SUMMARY_LIMIT = 1024 * 1024  # bytes GitHub accepts in one step's summary
SUMMARY_BUDGET = 900 * 1024  # what the bot writes, with a margin for the workflow's own lines
SECTION_BUDGET = 150 * 1024  # bytes for one list that grows with the network
CELL_LIMIT = 300  # characters of one table cell taken from a commit or a forge


def capped(rows: Sequence[str], budget: int, more: str) -> list[str]:
    """As many of ``rows`` as fit in ``budget`` bytes (UTF-8, with newlines), then a line saying
    how many were left out: ``more`` with ``{count}`` in it."""
    out: list[str] = []
    used = 0
    for index, row in enumerate(rows):
        size = len(row.encode()) + 1
        if used + size > budget:
            return [*out, more.format(count=len(rows) - index)]
        out.append(row)
        used += size
    return out


def short(text: str, limit: int = CELL_LIMIT) -> str:
    """One line of at most ``limit`` characters (a commit subject or a forge's message can be long)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def within(markdown: str, limit: int = SUMMARY_BUDGET) -> str:
    """``markdown`` itself when it fits in ``limit`` bytes; else its first whole lines that do,
    outside any code block, and a line that says the rest was left out and where to find it."""
    if len(markdown.encode()) <= limit:
        return markdown
    note = (
        "\n_The rest of this summary was left out: it would pass GitHub's 1 MiB limit. "
        "`forkflow report --html FILE` and `forkflow report --json` have all of it._\n"
    )
    room = limit - len(note.encode())
    kept: list[str] = []
    safe = 0  # how many lines end outside a code block
    used = 0
    fenced = False
    for line in markdown.splitlines():
        used += len(line.encode()) + 1
        if used > room:
            break
        kept.append(line)
        if line.startswith("```"):
            fenced = not fenced
        if not fenced:
            safe = len(kept)
    return "\n".join(kept[:safe]) + "\n" + note
