"""Editing forkflow.toml as text, so its comments, order and layout stay as the people wrote them.

Each edit touches only the lines it must: a new ``[[node]]`` table is appended, a field of one
node's table is replaced in place (or added after its ``name`` line).  Every value is written
as TOML (a string escaped as TOML wants, whatever it holds), and the result is checked as a
manifest before anything is written, so a bad edit never reaches the file.
"""

from __future__ import annotations

import itertools
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path

from forkflow.errors import ManifestError
from forkflow.manifest.spec import Manifest, load_manifest, parse_manifest
from forkflow.wholefile import replace_whole

_HEADER = re.compile(r"^\s*\[")
_NAME = re.compile(r"^\s*name\s*=")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return toml_string(str(value))


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string: quotes, backslashes and control characters escaped, the rest as is.

    (JSON's escapes are not TOML's: JSON writes an emoji as two surrogate escapes, which TOML
    refuses, and leaves DEL unescaped, which TOML also refuses.)  A lone surrogate, which no
    UTF-8 file can hold, is escaped too, so the check before writing refuses it.
    """
    out = []
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def append_node(text: str, fields: Mapping[str, object], comment: str | None = None) -> str:
    lines = ["", *([f"# {comment}"] if comment else []), "[[node]]"]
    lines += [f"{key} = {toml_value(value)}" for key, value in fields.items() if value is not None]
    return text.rstrip("\n") + "\n" + "\n".join(lines) + "\n"


def set_node_field(text: str, node: str, key: str, value: object) -> str:
    """``key = value`` in the table of ``node``: replaced where it is, or added after the name."""
    lines = text.split("\n")
    start, end = _node_span(lines, node)
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for index in range(start, end):
        if pattern.match(lines[index]):
            comment = lines[index].split("#", 1)[1] if "#" in lines[index].split("=", 1)[1] else None
            lines[index] = f"{key} = {toml_value(value)}" + (f"  #{comment}" if comment else "")
            return "\n".join(lines)
    name_line = next(i for i in range(start, end) if _NAME.match(lines[i]))
    lines.insert(name_line + 1, f"{key} = {toml_value(value)}")
    return "\n".join(lines)


def _node_span(lines: list[str], node: str) -> tuple[int, int]:
    """The lines of the ``[[node]]`` table whose name is ``node``: [start, end)."""
    tables = [i for i, line in enumerate(lines) if _HEADER.match(line)] + [len(lines)]
    for start, end in itertools.pairwise(tables):
        if lines[start].strip() != "[[node]]":
            continue
        for index in range(start, end):
            if _NAME.match(lines[index]) and _name_of(lines[index]) == node:
                return start, end
    raise ManifestError("forkflow.toml", f"no [[node]] table is named {node!r}")


def _name_of(line: str) -> object:
    """The value of a ``name = ...`` line, read as TOML reads it (escapes and all)."""
    try:
        return tomllib.loads(line.strip()).get("name")
    except tomllib.TOMLDecodeError:
        return None


def write_manifest(path: Path, text: str) -> Manifest:
    """Check ``text`` as the manifest at ``path``, then replace the file with it in one rename.

    A text that is not a valid manifest raises :class:`ManifestError` and leaves the file as it
    was; so does a failure to write (a full disk), and an interruption leaves the old file or the
    new one, never half of one.  The file keeps its permissions.
    """
    check_manifest_text(path, text)
    try:
        replace_whole(path, text.encode("utf-8"), mode_of(path), prefix=".forkflow-", suffix=".toml")
    except OSError as err:
        raise ManifestError(str(path), f"cannot be written: {err}; the file was left as it was") from err
    return load_manifest(path)


def check_manifest_text(path: Path, text: str) -> Manifest:
    """``text`` read as the manifest at ``path``; :class:`ManifestError` naming ``path`` when it is not one."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ManifestError(str(path), f"the edit is not valid TOML ({err}); the file was left as it was") from err
    return parse_manifest(raw, path)


def mode_of(path: Path) -> int:
    """The file's permissions, or a new file's (what the umask leaves of rw-rw-rw-)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
