"""`Schedule`: a learning rate from a user function of (epoch, step)."""

from __future__ import annotations

import math

from kerashp.callbacks._base import ScheduleCallback
from kerashp.exceptions import ArgumentError


class Schedule(ScheduleCallback):
    """Sets the rate to `fn(epoch, step)` before every batch.

    `epoch` is the absolute epoch index (it starts at `fit`'s `initial_epoch`)
    and `step` the global step, `epoch * steps_per_epoch + batch`. The rate is
    still multiplied by a running `ReduceLROnPlateau`'s scale.

    Args:
        fn: A callable `(epoch: int, step: int) -> float` returning a finite rate >= 0.

    Example:
        >>> import kerashp as khp
        >>> halve_every_10 = khp.callbacks.Schedule(lambda epoch, step: 1e-2 * 0.5 ** (epoch // 10))
        >>> # model.fit(x, y, epochs=30, callbacks=[halve_every_10])
    """

    def __init__(self, fn):
        super().__init__()
        if not callable(fn):
            raise ArgumentError(f"Argument `fn` must be callable. Received: fn={fn!r}")
        self.fn = fn

    def _resolve(self):
        pass

    def _base_lr(self, step):
        raw = self.fn(self._epoch, step)
        try:
            value = float(raw)
        except (TypeError, ValueError):
            value = float("nan")
        if not math.isfinite(value) or value < 0:
            raise ArgumentError(
                f"Schedule: `fn({self._epoch}, {step})` must return a finite number >= 0. "
                f"Received: {raw!r}"
            )
        return value

    def get_config(self):
        return {"fn": self.fn}
