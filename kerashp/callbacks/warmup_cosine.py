"""`WarmupCosine`: linear warmup, then cosine decay to a floor."""

from __future__ import annotations

import math

from kerashp._checks import check_number
from kerashp.callbacks._base import ScheduleCallback, pick_horizon
from kerashp.exceptions import ArgumentError


class WarmupCosine(ScheduleCallback):
    """Linear warmup to a peak rate, then cosine decay to `min_lr`, set every batch.

    With `W` warmup steps, `T` total steps, peak rate `lr`, start rate
    `lr0 = start_factor * lr` and step index `t` (0-based, counted from the
    start of the schedule):

    * `t < W`: `lr0 + (lr - lr0) * t / W` (step 0 at `lr0`; the peak is
      reached at step `W`, the first step of the decay);
    * `W <= t`: `min_lr + (lr - min_lr) * (1 + cos(pi * p)) / 2` with
      `p = min(1, (t - W) / (T - W))`: the floor is reached at step `T`, one
      past the last, and kept from there on.

    This is, step for step (the rate set before batch `t`):

    * Keras's `keras.optimizers.schedules.CosineDecay(lr0, decay_steps=T - W,
      alpha=min_lr / lr, warmup_target=lr, warmup_steps=W)` evaluated at `t`
      (with `W = 0`: `CosineDecay(lr, T, alpha=min_lr / lr)`);
    * PyTorch's `SequentialLR([LinearLR(start_factor=start_factor,
      total_iters=W), CosineAnnealingLR(T_max=T - W, eta_min=min_lr)],
      milestones=[W])` after `t` calls of `step()` (PyTorch wants
      `start_factor > 0`; past step `T - 1` its cosine turns back up, where
      WarmupCosine and Keras stay at `min_lr`).

    Args:
        learning_rate: Peak rate. Defaults to the optimizer's compiled rate.
        warmup_epochs: Warmup length in epochs (may be fractional).
        warmup_steps: Warmup length in steps. Give at most one of the two;
            neither means no warmup.
        total_epochs: Length of the whole schedule in epochs.
        total_steps: Length in steps. Neither means the whole `fit`.
        min_lr: The floor the cosine reaches. Defaults to 0.
        start_factor: The warmup starts at `start_factor * learning_rate`, in
            [0, 1]. Defaults to 0 (Keras's example, Hugging Face's
            `get_cosine_schedule_with_warmup`).

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
        *,
        start_factor=0.0,
    ):
        super().__init__(learning_rate)
        pick_horizon("warmup_epochs", warmup_epochs, "warmup_steps", warmup_steps, allow_zero=True)
        pick_horizon("total_epochs", total_epochs, "total_steps", total_steps)
        check_number("min_lr", min_lr, low=0)
        check_number("start_factor", start_factor, low=0, high=1)
        if learning_rate is not None and min_lr > learning_rate:
            raise ArgumentError(
                "Argument `min_lr` must be <= `learning_rate`. "
                f"Received: min_lr={min_lr}, learning_rate={learning_rate}"
            )
        self.warmup_epochs = warmup_epochs
        self.warmup_steps = warmup_steps
        self.total_epochs = total_epochs
        self.total_steps = total_steps
        self.min_lr = min_lr
        self.start_factor = start_factor

    def _resolve(self):
        self._total = self._to_steps("total_epochs", self.total_epochs, self.total_steps)
        if self.warmup_epochs is None and self.warmup_steps is None:
            self._warmup = 0
        else:
            self._warmup = self._to_steps("warmup_epochs", self.warmup_epochs, self.warmup_steps)
        if self._warmup > self._total:
            raise ArgumentError(
                f"WarmupCosine: the warmup ({self._warmup} steps) is longer than the "
                f"whole schedule ({self._total} steps)."
            )

    def _base_lr(self, step):
        peak, floor, warmup = self._peak, self.min_lr, self._warmup
        if step < warmup:
            start = self.start_factor * peak
            return start + (peak - start) * step / warmup
        span = self._total - warmup
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
            "start_factor": self.start_factor,
        }
