"""`WarmupCosine`: linear warmup, then cosine decay to a floor."""

from __future__ import annotations

import math

from kerashp._checks import check_number
from kerashp.callbacks._base import ScheduleCallback, pick_horizon


class WarmupCosine(ScheduleCallback):
    """Linear warmup to a peak rate, then cosine decay to `min_lr`, set every batch.

    With `W` warmup steps, `T` total steps, peak rate `lr` and step index `t`
    (0-based, counted from the start of the schedule):

    * `t < W`: `lr * (t + 1) / W` (the last warmup step is at the peak);
    * `W <= t`: `min_lr + (lr - min_lr) * (1 + cos(pi * p)) / 2` with
      `p = min(1, (t - W) / (T - 1 - W))`, so the last step is at `min_lr`.

    Args:
        learning_rate: Peak rate. Defaults to the optimizer's compiled rate.
        warmup_epochs: Warmup length in epochs (may be fractional).
        warmup_steps: Warmup length in steps. Give at most one of the two;
            neither means no warmup.
        total_epochs: Length of the whole schedule in epochs.
        total_steps: Length in steps. Neither means the whole `fit`.
        min_lr: The floor the cosine reaches. Defaults to 0.

    Example:
        >>> import kerashp as khp
        >>> schedule = khp.callbacks.WarmupCosine(1e-3, warmup_epochs=1, min_lr=1e-5)
        >>> # model.fit(x, y, epochs=10, callbacks=[schedule])
    """

    def __init__(
        self,
        learning_rate=None,
        warmup_epochs=None,
        warmup_steps=None,
        total_epochs=None,
        total_steps=None,
        min_lr=0.0,
    ):
        super().__init__(learning_rate)
        pick_horizon("warmup_epochs", warmup_epochs, "warmup_steps", warmup_steps, allow_zero=True)
        pick_horizon("total_epochs", total_epochs, "total_steps", total_steps)
        check_number("min_lr", min_lr, low=0)
        if learning_rate is not None and min_lr > learning_rate:
            raise ValueError(
                "Argument `min_lr` must be <= `learning_rate`. "
                f"Received: min_lr={min_lr}, learning_rate={learning_rate}"
            )
        self.warmup_epochs = warmup_epochs
        self.warmup_steps = warmup_steps
        self.total_epochs = total_epochs
        self.total_steps = total_steps
        self.min_lr = min_lr

    def _resolve(self):
        self._total = self._to_steps("total_epochs", self.total_epochs, self.total_steps)
        if self.warmup_epochs is None and self.warmup_steps is None:
            self._warmup = 0
        else:
            self._warmup = self._to_steps("warmup_epochs", self.warmup_epochs, self.warmup_steps)
        if self._warmup > self._total:
            raise ValueError(
                f"WarmupCosine: the warmup ({self._warmup} steps) is longer than the "
                f"whole schedule ({self._total} steps)."
            )

    def _base_lr(self, step):
        peak, floor, warmup = self._peak, self.min_lr, self._warmup
        if step < warmup:
            return peak * (step + 1) / warmup
        span = self._total - 1 - warmup
        progress = 1.0 if span <= 0 else min(1.0, (step - warmup) / span)
        return floor + (peak - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))

    def get_config(self):
        return {
            "learning_rate": self.learning_rate,
            "warmup_epochs": self.warmup_epochs,
            "warmup_steps": self.warmup_steps,
            "total_epochs": self.total_epochs,
            "total_steps": self.total_steps,
            "min_lr": self.min_lr,
        }
