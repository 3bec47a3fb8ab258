"""The fake forges' deterministic clock."""

from __future__ import annotations

from dataclasses import dataclass

EPOCH = 1_700_000_000  # 2023-11-14T22:13:20Z, the start of the fake's clock


@dataclass
class Clock:
    """The fake's deterministic clock: every event happens one minute after the previous one."""

    now: int = EPOCH

    def tick(self) -> int:
        self.now += 60
        return self.now
