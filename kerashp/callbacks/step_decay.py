"""`StepDecay`: multiply the learning rate by a factor at regular boundaries."""

from __future__ import annotations

from kerashp._checks import check_number
from kerashp.callbacks._base import ScheduleCallback, pick_horizon


class StepDecay(ScheduleCallback):
    """Multiplies the rate by `factor` every `every_epochs` epochs (or `every_steps` steps).

    At step `t` with interval `k` steps: `max(min_lr, lr * factor ** (t // k))`.

    Args:
        learning_rate: Starting rate. Defaults to the optimizer's compiled rate.
        factor: Multiplier applied at each boundary, in (0, 1]. Defaults to 0.5.
        every_epochs: Interval between boundaries in epochs (may be fractional).
        every_steps: Interval in steps. Exactly one of the two is required.
        min_lr: Floor. Defaults to 0.

    Example:
        >>> import kerashp as khp
        >>> halve = khp.callbacks.StepDecay(1e-2, factor=0.5, every_epochs=10)
        >>> # model.fit(x, y, epochs=30, callbacks=[halve])
    """

    def __init__(
        self, learning_rate=None, factor=0.5, every_epochs=None, every_steps=None, min_lr=0.0
    ):
        super().__init__(learning_rate)
        check_number("factor", factor, low=0, low_open=True, high=1)
        pick_horizon("every_epochs", every_epochs, "every_steps", every_steps, required=True)
        check_number("min_lr", min_lr, low=0)
        self.factor = factor
        self.every_epochs = every_epochs
        self.every_steps = every_steps
        self.min_lr = min_lr

    def _resolve(self):
        self._every = max(1, self._to_steps("every_epochs", self.every_epochs, self.every_steps))

    def _base_lr(self, step):
        return max(self.min_lr, self._peak * self.factor ** (step // self._every))

    def get_config(self):
        return {
            "learning_rate": self.learning_rate,
            "factor": self.factor,
            "every_epochs": self.every_epochs,
            "every_steps": self.every_steps,
            "min_lr": self.min_lr,
        }
