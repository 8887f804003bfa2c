"""`ReduceLROnPlateau` that composes with schedules."""

from __future__ import annotations

import warnings

from kerashp.callbacks._base import (
    KerashpCallback,
    check_number,
    check_one_of,
    get_optimizer,
    has_keras_schedule,
    has_variable_lr,
    infer_mode,
    lr_state,
    read_lr,
    write_lr,
)
from kerashp.callbacks.scaled_schedule import ScaledSchedule


class ReduceLROnPlateau(KerashpCallback):
    """Multiplies the learning rate by `factor` when a metric stops improving.

    Keras's semantics (monitor, factor, patience, mode, min_delta, cooldown,
    min_lr), but it composes with schedules instead of fighting them:

    * with a kerashp schedule callback in the same fit, it scales the schedule:
      the schedule writes `base(step) * scale` and a plateau multiplies `scale`
      by `factor` (see `kerashp.callbacks._base`). `min_lr` holds at the moment
      of each reduction; the schedule itself may later go lower;
    * alone, it multiplies the optimizer's current rate, like Keras's;
    * when the optimizer was compiled with a Keras `LearningRateSchedule`
      (where Keras's callback raises `TypeError`), the schedule is wrapped
      once in `ScaledSchedule(schedule)`, whose scale variable the plateau
      reduces; the train step is re-traced once so it reads the wrapper. The
      wrapper stays on the optimizer and saves with it (import
      `kerashp.callbacks` before loading such a model: that registers it).

    `scale` is the cumulative multiplier of the current fit (1.0 at its start).

    Args:
        monitor: Quantity to watch. Defaults to "val_loss".
        factor: Multiplier on a plateau, in (0, 1). Defaults to 0.1.
        patience: Epochs without improvement before reducing. Defaults to 10.
        mode: "auto", "min" or "max"; "auto" infers it from the monitor's name.
        min_delta: Smallest change counted as an improvement. Defaults to 1e-4.
        cooldown: Epochs to wait after a reduction before counting again.
        min_lr: Lower bound on the rate. Defaults to 0.
        verbose: 0 (quiet) or 1 (print reductions).

    Example:
        >>> import kerashp as khp
        >>> callbacks = [khp.callbacks.WarmupCosine(1e-3, warmup_epochs=1),
        ...              khp.callbacks.ReduceLROnPlateau(factor=0.5, patience=2)]
        >>> # model.fit(x, y, validation_split=0.2, epochs=20, callbacks=callbacks)
    """

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
        verbose=0,
    ):
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(
                f"Argument `monitor` must be a metric name. Received: monitor={monitor!r}"
            )
        check_number("factor", factor, low=0, low_open=True)
        if factor >= 1.0:
            raise ValueError(f"Argument `factor` must be < 1. Received: factor={factor}")
        check_number("patience", patience, low=0, integer=True)
        check_one_of("mode", mode, ("auto", "min", "max"))
        check_number("min_delta", min_delta, low=0)
        check_number("cooldown", cooldown, low=0, integer=True)
        check_number("min_lr", min_lr, low=0)
        check_one_of("verbose", verbose, (0, 1, 2))
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.mode = mode
        self.min_delta = min_delta
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.verbose = verbose
        self.scale = 1.0
        self._state = None

    def on_train_begin(self, logs=None):
        optimizer = get_optimizer(self.model)
        self._wrapper = None
        if has_keras_schedule(optimizer):
            self._wrapper = optimizer._learning_rate
            if not isinstance(self._wrapper, ScaledSchedule):
                self._wrapper = ScaledSchedule(optimizer._learning_rate)
                optimizer.learning_rate = self._wrapper
                if not getattr(self.model, "run_eagerly", False):
                    self.model.make_train_function(force=True)
            self._wrapper.scale.assign(1.0)
        elif not has_variable_lr(optimizer):
            raise ValueError(
                "ReduceLROnPlateau cannot scale a learning rate given as a plain callable "
                f"({optimizer._learning_rate!r}); compile the optimizer with a float or a "
                "`keras.optimizers.schedules.LearningRateSchedule`."
            )
        self._state = lr_state(optimizer)
        self._state.scale = 1.0
        self.scale = 1.0
        self._resolved_mode = None
        self.best = None
        self.wait = 0
        self.cooldown_counter = 0

    def _improved(self, current):
        if self.best is None:
            return True
        if self._resolved_mode == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizer = get_optimizer(self.model)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"ReduceLROnPlateau: `{self.monitor}` is not in the logs (available: "
                f"{sorted(logs)}); nothing was reduced.",
                # Attributed to kerashp (not Keras's CallbackList) so filters on kerashp see it.
                stacklevel=1,
            )
        else:
            if self._resolved_mode is None:
                self._resolved_mode = infer_mode(self.monitor, self.mode, self.model)
            current = float(current)
            if self.cooldown_counter > 0:
                self.cooldown_counter -= 1
                self.wait = 0
            if self._improved(current):
                self.best = current
                self.wait = 0
            elif self.cooldown_counter <= 0:
                self.wait += 1
                if self.wait >= self.patience:
                    self._reduce(optimizer, epoch)
                    self.cooldown_counter = self.cooldown
                    self.wait = 0
        logs["learning_rate"] = read_lr(optimizer)

    def _reduce(self, optimizer, epoch):
        old_lr = read_lr(optimizer)
        if old_lr <= self.min_lr:
            return
        new_lr = max(old_lr * self.factor, self.min_lr)
        ratio = new_lr / old_lr
        self.scale *= ratio
        self._state.scale = self.scale
        if self._wrapper is not None:
            self._wrapper.scale.assign(self.scale)
        else:
            # Alone, this is the reduction. With a schedule running, the schedule
            # writes base * scale from the next batch on; this shows it right away.
            write_lr(optimizer, new_lr)
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr:.4g}.")

    def get_config(self):
        return {
            "monitor": self.monitor,
            "factor": self.factor,
            "patience": self.patience,
            "mode": self.mode,
            "min_delta": self.min_delta,
            "cooldown": self.cooldown,
            "min_lr": self.min_lr,
            "verbose": self.verbose,
        }
