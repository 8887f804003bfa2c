"""`ReduceLROnPlateau` that composes with schedules."""

from __future__ import annotations

from kerashp._checks import check_number, check_one_of
from kerashp.callbacks._base import (
    get_optimizer,
    has_keras_schedule,
    has_variable_lr,
    lr_state,
    read_lr,
    write_lr,
)
from kerashp.callbacks._monitor import MonitorCallback
from kerashp.callbacks.scaled_schedule import ScaledSchedule
from kerashp.exceptions import ArgumentError


class ReduceLROnPlateau(MonitorCallback):
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
        mode: "auto", "min" or "max"; "auto" infers it from the monitor's name,
            else from the compiled model's metric of that name.
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

    _missing = "nothing was reduced"

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
        super().__init__(monitor=monitor, mode=mode, min_delta=min_delta)
        check_number("factor", factor, low=0, low_open=True)
        if factor >= 1.0:
            raise ArgumentError(f"Argument `factor` must be < 1. Received: factor={factor}")
        check_number("patience", patience, low=0, integer=True)
        check_number("cooldown", cooldown, low=0, integer=True)
        check_number("min_lr", min_lr, low=0)
        check_one_of("verbose", verbose, (0, 1, 2))
        self.factor = factor
        self.patience = patience
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
            raise ArgumentError(
                "ReduceLROnPlateau cannot scale a learning rate given as a plain callable "
                f"({optimizer._learning_rate!r}); compile the optimizer with a float or a "
                "`keras.optimizers.schedules.LearningRateSchedule`."
            )
        self._state = lr_state(optimizer)
        self._state.scale = 1.0
        self.scale = 1.0
        super().on_train_begin(logs)

    def _reset(self):
        super()._reset()
        self.wait = 0
        self.cooldown_counter = 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizer = get_optimizer(self.model)
        current = self._monitored(logs)
        if current is not None:
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
