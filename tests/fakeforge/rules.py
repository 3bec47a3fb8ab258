"""Rules that match the next requests (method and path regex) and are spent one use at a time."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Delay:
    """Answer the matching requests only after `seconds`."""

    method: str
    pattern: re.Pattern[str]
    seconds: float
    remaining: int


@dataclass
class Malformed:
    """Replace the matching answers' bytes by what `spoil` makes of the JSON."""

    method: str
    pattern: re.Pattern[str]
    spoil: Callable[[Any], bytes]
    remaining: int


def take(rules: list[Any], method: str, path: str) -> Any:
    """The first rule for this request (one use of it spent), or None."""
    for rule in rules:
        if rule.method in ("*", method) and rule.pattern.search(path):
            rule.remaining -= 1
            if rule.remaining <= 0:
                rules.remove(rule)
            return rule
    return None


def spoiler(body: bytes | Callable[[Any], Any]) -> Callable[[Any], bytes]:
    """`body` itself (bytes), or the JSON of what `body` makes of the original answer."""

    def spoil(original: Any) -> bytes:
        if isinstance(body, bytes):
            return body
        return json.dumps(body(original)).encode()

    return spoil
