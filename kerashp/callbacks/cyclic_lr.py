"""`CyclicLR`: Smith's cyclical learning rates (triangular, triangular2, exp_range)."""

from __future__ import annotations

import math

from kerashp._checks import check_number, check_one_of
from kerashp.callbacks._base import ScheduleCallback, pick_horizon
from kerashp.exceptions import ArgumentError


class CyclicLR(ScheduleCallback):
    """Cycles the rate between `base_lr` and `max_lr`, set every batch.

    With half-cycle `s` steps and step `t`: `cycle = floor(1 + t / (2 s))`,
    `x = |t / s - 2 cycle + 1|`, and the rate is
    `base_lr + (max_lr - base_lr) * max(0, 1 - x) * amplitude`, where the
    amplitude is 1 (`"triangular"`), `1 / 2 ** (cycle - 1)` (`"triangular2"`)
    or `gamma ** t` (`"exp_range"`).

    Args:
        base_lr: Lower bound. Defaults to the optimizer's compiled rate.
        max_lr: Upper bound (required), greater than `base_lr`.
        step_size_epochs: Half a cycle, in epochs (may be fractional).
        step_size_steps: Half a cycle, in steps. Exactly one of the two is required.
        mode: "triangular", "triangular2" or "exp_range". Defaults to "triangular".
        gamma: Per-step decay of the amplitude in "exp_range", in (0, 1].

    Example:
        >>> import kerashp as khp
        >>> clr = khp.callbacks.CyclicLR(1e-4, 1e-2, step_size_epochs=2, mode="triangular2")
        >>> # model.fit(x, y, epochs=12, callbacks=[clr])
    """

    def __init__(
        self,
        base_lr=None,
        max_lr=None,
        step_size_epochs=None,
        step_size_steps=None,
        mode="triangular",
        gamma=1.0,
    ):
        super().__init__(base_lr)
        if max_lr is None:
            raise ArgumentError("Argument `max_lr` is required. Received: max_lr=None")
        check_number("max_lr", max_lr, low=0, low_open=True)
        if base_lr is not None and base_lr >= max_lr:
            raise ArgumentError(
                "Argument `base_lr` must be < `max_lr`. "
                f"Received: base_lr={base_lr}, max_lr={max_lr}"
            )
        pick_horizon(
            "step_size_epochs", step_size_epochs, "step_size_steps", step_size_steps, required=True
        )
        check_one_of("mode", mode, ("triangular", "triangular2", "exp_range"))
        check_number("gamma", gamma, low=0, low_open=True, high=1)
        self.base_lr = base_lr
        self.max_lr = max_lr
        self.step_size_epochs = step_size_epochs
        self.step_size_steps = step_size_steps
        self.mode = mode
        self.gamma = gamma

    def _resolve(self):
        self._half = max(
            1, self._to_steps("step_size_epochs", self.step_size_epochs, self.step_size_steps)
        )
        if self._peak >= self.max_lr:
            raise ArgumentError(
                f"CyclicLR: the base rate ({self._peak}, from the optimizer) must be "
                f"< max_lr={self.max_lr}; pass `base_lr`."
            )

    def _base_lr(self, step):
        cycle = math.floor(1 + step / (2 * self._half))
        x = abs(step / self._half - 2 * cycle + 1)
        if self.mode == "triangular":
            amplitude = 1.0
        elif self.mode == "triangular2":
            amplitude = 1.0 / 2 ** (cycle - 1)
        else:
            amplitude = self.gamma**step
        return self._peak + (self.max_lr - self._peak) * max(0.0, 1.0 - x) * amplitude

    def get_config(self):
        return {
            "base_lr": self.base_lr,
            "max_lr": self.max_lr,
            "step_size_epochs": self.step_size_epochs,
            "step_size_steps": self.step_size_steps,
            "mode": self.mode,
            "gamma": self.gamma,
        }
