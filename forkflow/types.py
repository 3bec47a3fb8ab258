"""Small value types shared by every layer."""

from __future__ import annotations

import enum
from typing import NewType

CommitId = NewType("CommitId", str)
"""A full 40-hex commit id."""

RefName = NewType("RefName", str)
"""A full ref name such as ``refs/heads/main``."""

PatchId = NewType("PatchId", str)
"""A stable patch-id, as ``git patch-id --stable`` prints it."""


class Tier(enum.StrEnum):
    """How the parent's updates reach a node."""

    CENTRAL = "central"
    DECENTRALIZED = "decentralized"
    DEVELOPER = "developer"
