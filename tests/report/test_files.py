"""Report files written whole: a re-run replaces them, nothing partial is left, a failure names the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from forkflow.errors import OutputError
from forkflow.report.files import write_folder, write_whole


def test_a_folder_is_made_and_a_rewrite_replaces_each_file(tmp_path: Path) -> None:
    folder = tmp_path / "out" / "forkflow-report"
    assert write_folder(folder, {"a.md": b"one\n", "b.json": b"{}\n"}) == [folder / "a.md", folder / "b.json"]
    write_folder(folder, {"a.md": b"two\n"})
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == {"a.md": b"two\n", "b.json": b"{}\n"}
    assert (folder / "a.md").stat().st_mode & 0o777 == 0o644


def test_a_file_that_cannot_be_written_is_named_and_the_old_one_kept(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_bytes(b"old\n")
    (tmp_path / "report.html.d").mkdir()
    with pytest.raises(OutputError) as raised:
        write_whole(tmp_path / "report.html.d", b"new\n")  # a folder stands where the file goes
    assert str(raised.value).startswith(f"{tmp_path / 'report.html.d'}: the report cannot be written (")
    assert target.read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.html.d"]  # no partial file left


def test_a_report_folder_where_a_file_stands_is_named(tmp_path: Path) -> None:
    (tmp_path / "forkflow-report").write_text("")
    with pytest.raises(OutputError, match=r"forkflow-report: the report folder cannot be made \("):
        write_folder(tmp_path / "forkflow-report", {"a.md": b""})
