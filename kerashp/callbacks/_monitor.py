"""`MonitorCallback`: the base of callbacks that watch one metric for improvement."""

from __future__ import annotations

import warnings

from kerashp._checks import check_number
from kerashp._direction import check_mode, is_improvement, resolve_direction
from kerashp.callbacks._base import KerashpCallback
from kerashp.exceptions import ArgumentError


class MonitorCallback(KerashpCallback):
    """Watches `monitor` in the epoch logs and tells whether a value improves on `best`.

    The direction ("min" or "max") is `mode` when given, else it is inferred by
    `kerashp._direction.resolve_direction` (from the name, then from the
    compiled model's metrics) on the first call to `_improved` in each fit;
    an improvement is Keras's rule, `kerashp._direction.is_improvement`.

    Subclassing contract:

    * call `super().__init__(monitor=..., mode=..., min_delta=...)`;
    * `on_train_begin` calls `_reset()`, which sets `best` and `direction` to
      None. Extend `_reset` (calling `super()._reset()`) for the subclass's
      own per-fit state; a subclass overriding `on_train_begin` calls
      `super().on_train_begin(logs)`;
    * in `on_epoch_end`, `value = self._monitored(logs)` is the monitored
      value as a float, or None (after a warning) when it is not in the logs;
    * `self._improved(value)` compares with `best` (True while `best` is
      None) but does not update it: the subclass sets `self.best = value`.
      `self._beats(value, reference)` compares with any other reference
      (a baseline);
    * `_missing` is what the missing-metric warning says happens instead.

    Example:
        >>> class BestWeights(MonitorCallback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         value = self._monitored(logs)
        ...         if value is not None and self._improved(value):
        ...             self.best, self.weights = value, self.model.get_weights()
        >>> BestWeights(monitor="val_accuracy", mode="max").best is None
        True
    """

    _missing = "it is ignored"

    def __init__(self, monitor="val_loss", mode="auto", min_delta=0.0):
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise ArgumentError(
                f"Argument `monitor` must be a metric name. Received: monitor={monitor!r}"
            )
        check_mode("mode", mode)
        check_number("min_delta", min_delta, low=0)
        self.monitor = monitor
        self.mode = mode
        self.min_delta = min_delta
        self._reset()

    def _reset(self):
        """Per-fit state; `direction` is resolved again on first use."""
        self.best = None
        self.direction = None

    def on_train_begin(self, logs=None):
        self._reset()

    def _monitored(self, logs):
        """The monitored value as a float; None, with a warning, when it is not in `logs`."""
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(
                f"{type(self).__name__}: `{self.monitor}` is not in the logs (available: "
                f"{sorted(logs or {})}); {self._missing}.",
                # Attributed to kerashp (not Keras's CallbackList) so filters on kerashp see it.
                stacklevel=1,
            )
            return None
        return float(value)

    def _beats(self, value, reference):
        """Whether `value` improves on `reference` by more than `min_delta` (True for None)."""
        if self.direction is None:
            self.direction = resolve_direction(self.monitor, self.mode, self.model)
        return is_improvement(self.direction, value, reference, self.min_delta)

    def _improved(self, value) -> bool:
        """Whether `value` improves on `best`."""
        return self._beats(value, self.best)
