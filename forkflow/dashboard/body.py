"""The dashboard's body: written in full each run, and read back for the boxes a person ticked.

The body comes back from the forge, where anyone who may edit the issue can type anything in
it, so reading it looks only for the lines forkflow wrote: a box followed by the hidden
``forkflow:action`` marker and an id of the expected shape.  Everything else is ignored, and
replaced by the next run's body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forkflow.dashboard.held import ACTION_ID, Held, one_line
from forkflow.forge import Proposal

MARKER = "forkflow:dashboard"
SHOWN = 30
"""At most this many lines a section (five sections of them stay under the 65,536 characters GitHub allows a body)."""
LONGEST = 300
"""At most this many characters of a line's text (a commit's summary can be long)."""
ACTION_MARKER = "forkflow:action"
_BOX = re.compile(rf"^\s*[-*] \[([ xX])\] <!-- {ACTION_MARKER} ({ACTION_ID}) -->")


def marker_line(network: str) -> str:
    """The hidden first line that finds the network's dashboard again."""
    return f"<!-- {MARKER} network={one_line(network).replace('-->', '')} -->"


def dashboard_title(network: str) -> str:
    return f"forkflow dashboard: {one_line(network)}"


def ticked_ids(body: str) -> list[str]:
    """The ids of the ticked boxes forkflow wrote, in the body's order, each once."""
    found: list[str] = []
    for line in body.splitlines():
        match = _BOX.match(line)
        if match and match.group(1) in "xX" and match.group(2) not in found:
            found.append(match.group(2))
    return found


@dataclass
class View:
    """What the dashboard shows."""

    network: str
    percent: float
    previous: float | None
    attention: list[tuple[str, str]] = field(default_factory=list)
    waiting: list[Proposal] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    ticked: list[str] = field(default_factory=list)
    """Held actions that stay ticked: a dry run would carry them out, a real run has not yet."""
    done: list[Held] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stamp: str = ""


def render(view: View) -> str:
    """The whole body, Markdown."""
    lines = [marker_line(view.network), f"# {dashboard_title(view.network)}", "", _headline(view), ""]
    lines += ["## Nodes needing attention", ""]
    lines += _first([f"- `{_clip(node)}`: {_clip(text)}" for node, text in view.attention]) or ["None."]
    lines += ["", f"## Proposals waiting ({len(view.waiting)})", ""]
    lines += _first([_waiting(p) for p in view.waiting]) or ["None."]
    lines += ["", "## Held for a person", ""]
    if view.held:
        lines += [
            "Tick a box: the next run (or this issue's edit, where the workflow listens to it) carries it out.",
            "",
        ]
        lines += _first([_box(h, h.id in view.ticked) for h in view.held], "the others appear as these are done")
    else:
        lines.append("Nothing: the policy holds no action back.")
    if view.done:
        lines += ["", "## Done this run", ""]
        lines += _first([f"- [x] ~~{_clip(h.text)}~~ (`{h.id}`)" for h in view.done])
    if view.notes:
        lines += ["", "## Not carried out", ""]
        lines += _first([f"- {_clip(note)}" for note in view.notes])
    lines += ["", f"_Written by forkflow at {view.stamp}. Only the boxes above are read; the rest is rewritten._"]
    return "\n".join(lines) + "\n"


def _first(lines: list[str], then: str = "") -> list[str]:
    """The first :data:`SHOWN` lines, and how many more there are."""
    if len(lines) <= SHOWN:
        return lines
    return [*lines[:SHOWN], f"- ... and {len(lines) - SHOWN} more" + (f": {then}" if then else "")]


def _clip(text: str) -> str:
    line = one_line(text)
    return line if len(line) <= LONGEST else line[: LONGEST - 3] + "..."


def _headline(view: View) -> str:
    figure = f"**Unmet needs: {view.percent:.1f}%**"
    if view.previous is None:
        return f"{figure} (the first scan recorded)"
    change = round(view.percent - view.previous, 1)
    if change == 0:
        return f"{figure} (unchanged since the previous scan)"
    way = "down" if change < 0 else "up"
    return f"{figure} ({way} {abs(change):.1f} points since the previous scan, {view.previous:.1f}%)"


def _waiting(proposal: Proposal) -> str:
    title = _clip(proposal.title)
    url = proposal.url or ""
    linked = 0 < len(url) <= LONGEST and re.fullmatch(r"https?://[^\s()<>]+", url) is not None  # the forge's answer
    where = f"[#{proposal.number}]({url})" if linked else f"#{proposal.number}"
    return f"- {where} {title} -> `{proposal.target}`"


def _box(held: Held, ticked: bool) -> str:
    return f"- [{'x' if ticked else ' '}] <!-- {ACTION_MARKER} {held.id} --> {_clip(held.text)}"
