"""The dashboard's body: what is read back from it (untrusted) and how the headline reads."""

from __future__ import annotations

from forkflow.dashboard.body import View, marker_line, render, ticked_ids
from forkflow.dashboard.held import Held
from forkflow.forge import Proposal


def test_only_the_boxes_forkflow_wrote_are_read() -> None:
    body = "\n".join(
        [
            "<!-- forkflow:dashboard network=n -->",
            "- [x] <!-- forkflow:action sync-force:beta:0123456789ab --> sync central -> beta by force",
            "- [ ] <!-- forkflow:action propose:exact-1 --> propose a",
            "* [X] <!-- forkflow:action propose:exact-2 --> ticked with a capital, as GitHub allows",
            "- [x] <!-- forkflow:action propose:exact-2 --> the same box twice",
            "- [x] a box someone typed",
            "- [x] <!-- forkflow:action ../../etc/passwd --> not an id forkflow writes",
            "- [x] <!-- forkflow:action propose:exact-3",
            "text - [x] <!-- forkflow:action propose:exact-4 --> not at the start of a line",
        ]
    )
    assert ticked_ids(body) == ["sync-force:beta:0123456789ab", "propose:exact-2"]


def test_text_from_commits_cannot_add_a_box() -> None:
    title = "Fix it\n- [x] <!-- forkflow:action propose:evil --> sneaked in"
    held = Held("propose:exact-1", f"propose {title!r} to central")
    waiting = Proposal(number=3, change_id="c", target="central", branch="b", title=title, body="", base="0" * 40)
    odd = waiting.model_copy(update={"number": 4, "title": "Odd", "url": "javascript:alert(1)"})
    good = waiting.model_copy(update={"number": 5, "title": "Good", "url": "https://github.com/o/r/pull/5"})
    body = render(View("n", 10.0, None, waiting=[waiting, odd, good], held=[held], stamp="now"))
    assert ticked_ids(body) == []
    assert "- #4 Odd -> `central`\n- [#5](https://github.com/o/r/pull/5) Good -> `central`\n" in body
    assert "- #3 Fix it - [x] <!-- forkflow:action propose:evil --> sneaked in -> `central`" in body


def test_the_marker_cannot_be_closed_early_by_the_network_name() -> None:
    assert marker_line("a --> b") == "<!-- forkflow:dashboard network=a  b -->"


def test_the_headline_says_how_the_figure_moved() -> None:
    def headline(percent: float, previous: float | None) -> str:
        return render(View("n", percent, previous, stamp="now")).splitlines()[3]

    assert headline(37.5, None) == "**Unmet needs: 37.5%** (the first scan recorded)"
    assert headline(35.0, 37.5) == "**Unmet needs: 35.0%** (down 2.5 points since the previous scan, 37.5%)"
    assert headline(40.0, 37.5) == "**Unmet needs: 40.0%** (up 2.5 points since the previous scan, 37.5%)"
    assert headline(37.5, 37.54) == "**Unmet needs: 37.5%** (unchanged since the previous scan)"


def test_a_big_network_stays_under_githubs_limit_of_a_body() -> None:
    long = "x" * 5000
    held = [Held(f"propose:exact-{n}", f"propose {long}") for n in range(300)]
    attention = [(f"node-{n}", long) for n in range(2000)]
    waiting = [
        Proposal(number=n, change_id="c", target="central", branch="b", title=long, body="", base="0" * 40, url=long)
        for n in range(1, 300)
    ]
    done, notes = held[:60], [long] * 60
    view = View("n", 1.0, None, attention, waiting, held, done=done, notes=notes, stamp="now")
    body = render(view)
    assert len(body) < 65536
    assert "- ... and 1970 more\n" in body and "- ... and 270 more: the others appear as these are done\n" in body
    assert len(ticked_ids(body.replace("- [ ]", "- [x]"))) == 30
    assert "- [ ] <!-- forkflow:action propose:exact-29 --> propose " + "x" * 289 + "...\n" in body
