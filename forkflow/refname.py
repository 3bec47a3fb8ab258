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
    bad = sorted({c for c in name if c in _FORBIDDEN or ord(c) < 0x20})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return f"contains characters git does not allow in a ref name: {shown}"
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
