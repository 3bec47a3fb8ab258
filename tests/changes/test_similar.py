"""Fingerprints and the grouping of similar changes, on hand-made diffs."""

from __future__ import annotations

import random

from forkflow.changes.fingerprint import LINE_ADDED, LINE_REMOVED, PATH, WORD_ADDED, fingerprint, kind, pack, unpack
from forkflow.changes.overlap import candidate_overlaps
from forkflow.changes.similar import Unit, Weights, _Scorer, find_similar, similarity


def diff(path: str, removed: list[str], added: list[str]) -> list[bytes]:
    lines = [f"diff --git a/{path} b/{path}\n", f"--- a/{path}\n", f"+++ b/{path}\n", "@@ -1,3 +1,3 @@\n"]
    lines += [f"-{line}\n" for line in removed] + [f"+{line}\n" for line in added]
    return [line.encode() for line in lines]


def unit(key: str, node: str, lines: list[bytes], position: int = 0, message: str = "") -> Unit:
    return Unit(key, frozenset([node]), (key,), frozenset(fingerprint(lines)), message, (node, position))


def test_the_same_line_typed_differently_is_the_same_token() -> None:
    a = fingerprint(diff("app.py", [], ["    limit = int(config['max_mb']) * 1024  # bytes"]))
    b = fingerprint(diff("app.py", [], ['    limit = int( config["max_mb"] )*1024']))
    assert a == b
    assert sorted({kind(token) for token in a}) == [LINE_ADDED, WORD_ADDED, PATH]


def test_a_line_only_reindented_or_requoted_is_no_change() -> None:
    tokens = fingerprint(diff("app.py", ["x = f('a')"], ['x = f("a")']))
    assert {kind(token) for token in tokens} == {PATH}


def test_comments_and_brackets_say_nothing() -> None:
    tokens = fingerprint(diff("app.js", [], ["  // explain the fix", "  }", "", "  # another note"]))
    assert {kind(token) for token in tokens} == {PATH}


def test_removed_lines_have_their_own_kind() -> None:
    tokens = fingerprint(diff("app.py", ["return compute(value)"], []))
    assert LINE_REMOVED in {kind(token) for token in tokens}


def test_fingerprints_survive_the_store() -> None:
    tokens = fingerprint(diff("a.py", ["old_value = 1"], ["new_value = 2"]))
    assert unpack(pack(tokens)) == tokens


def test_similarity_is_one_for_the_same_tokens_zero_for_none_and_symmetric() -> None:
    units = [
        unit("a", "n1", diff("a.py", [], ["guard_empty(upload)", "raise EmptyUpload(name)"])),
        unit("b", "n2", diff("a.py", [], ["guard_empty(upload)", "raise EmptyUpload(name)"])),
        unit("c", "n3", diff("b.py", [], ["totally_different(thing)"])),
    ]
    weights = Weights(units)
    assert similarity(units[0].tokens, units[1].tokens, weights) == 1.0
    assert similarity(units[0].tokens, units[2].tokens, weights) == 0.0
    half = similarity(units[0].tokens, units[0].tokens | units[2].tokens, weights)
    assert 0.0 < half < 1.0
    assert half == similarity(units[0].tokens | units[2].tokens, units[0].tokens, weights)


def test_weak_links_do_not_chain_unrelated_changes() -> None:
    shared_ab = ["check_quota(user)", "deny_upload(user)"]
    shared_bc = ["log_event(audit)", "notify_admin(audit)"]
    a = unit("a", "n1", diff("x.py", [], [*shared_ab, "only_in_a(one)"]))
    b = unit("b", "n2", diff("x.py", [], shared_ab + shared_bc))
    c = unit("c", "n3", diff("x.py", [], [*shared_bc, "only_in_c(three)"]))
    filler = [unit(f"f{i}", f"m{i}", diff(f"f{i}.py", [], [f"filler_{i}(value)"])) for i in range(20)]
    groups = find_similar([a, b, c, *filler], 0.3, messages=False)
    keys = sorted(sorted(u.key for u in group.units) for group in groups)
    assert keys in ([["a", "b"]], [["b", "c"]])  # a and c share nothing: they never end up together


def test_a_change_split_into_commits_matches_its_squashed_form() -> None:
    part1 = diff("t.py", [], ["if target.endswith('.mp4'):", "cmd += ['-movflags', '+faststart']"])
    part2 = diff("test_t.py", [], ["def test_mp4_gets_faststart():", "assert '+faststart' in command_for(mp4)"])
    squashed = part1 + part2
    units = [
        unit("p1", "split", part1, position=3),
        unit("p2", "split", part2, position=4),
        unit("sq", "squash", squashed),
        *[unit(f"f{i}", f"m{i}", diff(f"f{i}.py", [], [f"filler_{i}(value)"])) for i in range(10)],
    ]
    groups = find_similar(units, 0.5, messages=False)
    assert [sorted(c for u in g.units for c in u.commits) for g in groups] == [["p1", "p2", "sq"]]
    assert groups[0].score == 1.0


def test_parts_that_are_not_next_to_each_other_are_not_put_together() -> None:
    part1 = diff("t.py", [], ["if target.endswith('.mp4'):", "cmd += ['-movflags', '+faststart']"])
    part2 = diff("test_t.py", [], ["def test_mp4_gets_faststart():", "assert '+faststart' in command_for(mp4)"])
    units = [
        unit("p1", "split", part1, position=1),
        unit("p2", "split", part2, position=5),
        unit("sq", "other", part1 + part2),
    ]
    groups = find_similar(units, 0.9, messages=False)
    assert groups == []


def test_one_node_never_carries_two_members_of_a_group() -> None:
    same = diff("a.py", [], ["guard_empty(upload)"])
    groups = find_similar([unit("a", "n1", same), unit("b", "n1", same, 1), unit("c", "n2", same)], 0.5)
    assert len(groups) == 1 and sorted(u.key for u in groups[0].units) in (["a", "c"], ["b", "c"])


def test_every_candidate_pair_scored_at_once_scores_as_one_pair_does() -> None:
    """``score_all`` (the scan's loop over 200,000 pairs) gives :meth:`score`'s numbers, messages
    and all, and remembers them as it does."""
    draw = random.Random(7)
    words = [f"name_{n}" for n in range(60)]
    units = []
    for number in range(40):
        chosen = draw.sample(words, draw.randint(1, 8))
        lines = diff(f"src/{draw.choice('abc')}.py", chosen[:2], [f"{w} = {draw.randint(0, 3)}" for w in chosen])
        units.append(unit(f"u{number}", f"node{number % 9}", lines, message=f"Fix {draw.choice(words)} in {chosen[0]}"))
    weights = Weights(units)
    overlaps = candidate_overlaps(units, weights)
    assert len(overlaps) > 100
    for messages in (True, False):
        one, every = _Scorer(weights, messages), _Scorer(weights, messages)
        assert every.score_all(units, overlaps) == {
            (i, j): one.score(units[i], units[j], overlap) for (i, j), overlap in overlaps.items()
        }
        assert every._memo == one._memo
    assert any(score == 0.0 for score in _Scorer(weights, True).score_all(units, {(0, 1): (0, 5)}).values())
