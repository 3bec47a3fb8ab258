"""Editing forkflow.toml as text, so its comments, order and layout stay as the people wrote them.

Each edit touches only the lines it must: a new ``[[node]]`` table is appended, a field of one
node's table is replaced in place (or added after its ``name`` line).  The result is parsed
again before it is written, so a bad edit never reaches the file.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

from forkflow.errors import ManifestError
from forkflow.manifest import Manifest, load_manifest

_HEADER = re.compile(r"^\s*\[")
_NAME = re.compile(r'^\s*name\s*=\s*"([^"]*)"')


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return json.dumps(str(value))  # a TOML basic string


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
            match = _NAME.match(lines[index])
            if match and match.group(1) == node:
                return start, end
    raise ManifestError("forkflow.toml", f"no [[node]] table is named {node!r}")


def write_manifest(path: Path, text: str) -> Manifest:
    """Check ``text`` as a manifest, then replace the file with it in one rename (nothing half-written)."""
    handle, temporary = tempfile.mkstemp(prefix=".forkflow-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        load_manifest(temporary)  # refuses a bad edit before the real file changes
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return load_manifest(path)
