"""The files forkflow ships beside its code: the example networks, the policies and the hooks."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def shipped_dirs(kind: str) -> list[Path]:
    """Where the shipped folder ``kind`` (``examples``, ``policies``, ``hooks``) may be: inside the
    installed package (``forkflow/_data``, see pyproject.toml), then at the root of a source checkout."""
    package = Path(str(files("forkflow")))
    return [package / "_data" / kind, package.parent / kind]
