"""When a search's time budget ends: one clock for every process of a search.

A `Deadline` is a point on the wall clock (`time.time()`), so the driver and
its worker processes, on this machine or a Ray cluster's other machines, read
the same moment: it travels in a worker's job as it is.

Example:
    >>> Deadline.after(None) is None
    True
    >>> Deadline.after(60).left() > 59
    True
"""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["Deadline"]


@dataclass(frozen=True)
class Deadline:
    """The moment no new trial starts and a running one stops.

    Attributes:
        at: Seconds since the epoch (`time.time()`).
    """

    at: float

    @classmethod
    def after(cls, seconds: float | None) -> Deadline | None:
        """`seconds` from now, or `None` (no budget) for `None`."""
        return None if seconds is None else cls(time.time() + seconds)

    def left(self) -> float:
        """Seconds until it, 0 once it has passed."""
        return max(self.at - time.time(), 0.0)

    def passed(self) -> bool:
        return time.time() >= self.at
