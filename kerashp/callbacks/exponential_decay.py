"""`ExponentialDecay`: the learning rate decays by a constant rate per interval."""

from __future__ import annotations

from kerashp._checks import check_number
from kerashp.callbacks._base import ScheduleCallback, pick_horizon
from kerashp.exceptions import ArgumentError


class ExponentialDecay(ScheduleCallback):
    """Sets `max(min_lr, lr * decay_rate ** (t / k))` at step `t`, every batch.

    `k` is the decay interval in steps; with `staircase=True` the exponent is
    `t // k`, so the rate changes only at whole intervals.

    Args:
        learning_rate: Starting rate. Defaults to the optimizer's compiled rate.
        decay_rate: Multiplier per interval, in (0, 1]. Defaults to 0.9.
        decay_epochs: Interval in epochs (may be fractional).
        decay_steps: Interval in steps. Neither means one epoch.
        staircase: Whether to decay in whole intervals. Defaults to False.
        min_lr: Floor. Defaults to 0.

    Example:
        >>> import kerashp as khp
        >>> decay = khp.callbacks.ExponentialDecay(1e-3, decay_rate=0.9)
        >>> # model.fit(x, y, epochs=20, callbacks=[decay])
    """

    def __init__(
        self,
        learning_rate=None,
        decay_rate=0.9,
        decay_epochs=None,
        decay_steps=None,
        staircase=False,
        min_lr=0.0,
    ):
        super().__init__(learning_rate)
        check_number("decay_rate", decay_rate, low=0, low_open=True, high=1)
        pick_horizon("decay_epochs", decay_epochs, "decay_steps", decay_steps)
        if not isinstance(staircase, bool):
            raise ArgumentError(
                f"Argument `staircase` must be a bool. Received: staircase={staircase!r}"
            )
        check_number("min_lr", min_lr, low=0)
        self.decay_rate = decay_rate
        self.decay_epochs = decay_epochs
        self.decay_steps = decay_steps
        self.staircase = staircase
        self.min_lr = min_lr

    def _resolve(self):
        epochs = 1 if self.decay_epochs is None and self.decay_steps is None else self.decay_epochs
        self._interval = max(1, self._to_steps("decay_epochs", epochs, self.decay_steps))

    def _base_lr(self, step):
        exponent = step / self._interval
        if self.staircase:
            exponent = step // self._interval
        return max(self.min_lr, self._peak * self.decay_rate**exponent)

    def get_config(self):
        return {
            "learning_rate": self.learning_rate,
            "decay_rate": self.decay_rate,
            "decay_epochs": self.decay_epochs,
            "decay_steps": self.decay_steps,
            "staircase": self.staircase,
            "min_lr": self.min_lr,
        }
