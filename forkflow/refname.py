"""Rules for names that become one component of a git ref (``git check-ref-format``)."""

from __future__ import annotations

_FORBIDDEN = set(" ~^:?*[\\\x7f")


def ref_component_problem(name: str) -> str | None:
    """Say why ``name`` cannot be one ref component, or return None when it can.

    A node's name becomes ``refs/forkflow/nodes/<name>``, so it follows the rules of
    ``git check-ref-format`` for a single component (and has no ``/``).
    """
    if not name:
        return "is empty"
    if "/" in name:
        return "contains '/' (a node name is one ref component)"
    bad = _bad_characters(name)
    if bad:
        return bad
    if name.startswith("."):
        return "starts with '.'"
    if ".." in name:
        return "contains '..'"
    if name.endswith(".lock"):
        return "ends with '.lock'"
    if name.endswith("."):
        return "ends with '.'"
    if "@{" in name:
        return "contains '@{'"
    return None


def branch_problem(name: str) -> str | None:
    """Say why ``name`` cannot be a branch (``git check-ref-format --branch``), or return None when it can.

    Unlike a node name, a branch may have several ``/``-separated components.
    """
    if not name:
        return "is empty"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8 text"
    bad = _bad_characters(name)
    if bad:
        return bad
    if name.startswith("-"):
        return "starts with '-'"
    if name == "HEAD":
        return "is 'HEAD', which git keeps for itself"
    parts = name.split("/")
    if any(not part for part in parts):
        return "has an empty component (a leading, trailing or doubled '/')"
    if any(part.startswith(".") for part in parts):
        return "has a component that starts with '.'"
    if any(part.endswith(".lock") for part in parts):
        return "has a component that ends with '.lock'"
    for sequence in ("..", "@{"):
        if sequence in name:
            return f"contains {sequence!r}"
    if name.endswith("."):
        return "ends with '.'"
    return None


def _bad_characters(name: str) -> str | None:
    bad = sorted({c for c in name if c in _FORBIDDEN or ord(c) < 0x20})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return f"contains characters git does not allow in a ref name: {shown}"
    return None
