"""A fingerprint reads at most a budget of lines: the smaller files' hunks, every file's path."""

from __future__ import annotations

from forkflow.changes import fingerprint as fingerprints
from forkflow.changes.fingerprint import LINE_BUDGET, PATH, fingerprint, kind, within_budget


def file_diff(path: str, added: list[str], *, index: bool = False) -> list[bytes]:
    lines = [f"diff --git a/{path} b/{path}\n"] + (["index 1234567..89abcde 100644\n"] if index else [])
    lines += [f"--- a/{path}\n", f"+++ b/{path}\n", f"@@ -1,0 +1,{len(added)} @@\n"]
    return [line.encode() for line in lines + [f"+{line}\n" for line in added]]


FIX = file_diff("src/upload.py", ["if not upload.size:", "    raise EmptyUpload(upload.name)"])
VENDORED = file_diff("vendor/lib.js", [f"var generated_{n} = load_part({n});" for n in range(LINE_BUDGET + 10)])


def test_a_file_too_big_for_the_budget_keeps_its_path_and_the_small_fix_beside_it_counts_whole() -> None:
    tokens = fingerprint(VENDORED + FIX)
    assert tokens == fingerprint(VENDORED[:3] + FIX)  # the vendored file's header, the fix whole
    assert set(fingerprint(FIX)) < set(tokens)
    assert {kind(token) for token in set(tokens) - set(fingerprint(FIX))} == {PATH}


def test_files_are_taken_smallest_first_while_they_fit() -> None:
    half = LINE_BUDGET // 2 + 1
    first = file_diff("a.py", [f"first_{n} = {n}" for n in range(half)])
    second = file_diff("b.py", [f"second_{n} = {n}" for n in range(half)])
    small = file_diff("c.py", ["tiny_change(value)"])
    kept = within_budget(first + second + small)
    assert kept == first + second[:3] + small  # c.py and a.py fit, b.py keeps its header


def test_the_budget_counts_hunks_so_index_lines_change_nothing() -> None:
    """git writes an ``index`` line for every file, forkflow's own diff only for binary ones."""
    plain = fingerprint(VENDORED + FIX)
    assert (
        fingerprint(file_diff("vendor/lib.js", [line[1:-1].decode() for line in VENDORED[5:]], index=True) + FIX)
        == plain
    )


def test_what_is_remembered_of_lines_gives_the_same_fingerprint_as_reading_them_afresh() -> None:
    diff = FIX + file_diff("src/b.py", ["x = compute('a')  # note", "  }", "# comment only"])
    remembered = fingerprint(diff)
    fingerprints._LINES.clear()
    fingerprints._TOKENS.clear()
    assert fingerprint(diff) == remembered
    assert fingerprint(diff) == remembered


def test_a_diff_read_as_text_splits_only_what_it_reads_and_gives_the_fingerprint_of_its_lines() -> None:
    binary = [b"diff --git a/logo.png b/logo.png\n", b"index 1234567..89abcde 100644\n"]
    binary.append(b"Binary files a/logo.png and b/logo.png differ\n")
    mode = [b"diff --git a/run.sh b/run.sh\n", b"old mode 100644\n", b"new mode 100755\n"]
    half = LINE_BUDGET // 2 + 1
    first = file_diff("a.py", [f"first_{n} = {n}" for n in range(half)])
    second = file_diff("b.py", [f"second_{n} = {n}" for n in range(half)])
    cases = [
        VENDORED + FIX,
        first + binary + second + mode + FIX,
        FIX + binary,
        mode + FIX[:-1] + [FIX[-1].rstrip(b"\n")],  # no newline at the very end
        [*VENDORED, b"diff --git a/win.txt b/win.txt\n", b"@@ -1 +1 @@\n", b"-a\r\n", b"+a \r\n"],  # CRLF
        FIX,
        [],
    ]
    for lines in cases:
        text = b"".join(lines)
        assert fingerprints.fingerprint_of_text(text) == fingerprint(text.splitlines(keepends=True))
    assert fingerprints.fingerprint_of_text(b"".join(VENDORED + FIX)) == fingerprint(VENDORED[:3] + FIX)
