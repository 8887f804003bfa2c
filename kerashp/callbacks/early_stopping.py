"""`EarlyStopping` with Keras's semantics and best weights restored by default."""

from __future__ import annotations

from kerashp._checks import check_number, check_one_of
from kerashp.callbacks._monitor import MonitorCallback
from kerashp.exceptions import ArgumentError


class EarlyStopping(MonitorCallback):
    """Stops training when a monitored metric has stopped improving.

    The semantics of `keras.callbacks.EarlyStopping` (monitor, mode, min_delta,
    patience, baseline, start_from_epoch), except that `restore_best_weights`
    defaults to True: at the end of training the model holds the weights of
    its best epoch. State is reset at the start of each fit, so one instance
    can be reused.

    After training, `stopped_epoch` is the epoch index at which training was
    stopped (0 when it was not) and `best_epoch` the index of the best epoch.

    Args:
        monitor: Quantity to watch. Defaults to "val_loss".
        min_delta: Smallest change counted as an improvement. Defaults to 0.
        patience: Epochs without improvement before stopping. Defaults to 0.
        verbose: 0 (quiet) or 1 (print when stopping and restoring).
        mode: "auto", "min" or "max"; "auto" infers it from the monitor's name,
            else from the compiled model's metric of that name.
        baseline: A value the metric must beat; epochs that do not beat it
            count towards the patience.
        restore_best_weights: Restore the best epoch's weights at the end.
            Defaults to True.
        start_from_epoch: Epochs to wait before monitoring. Defaults to 0.

    Example:
        >>> import kerashp as khp
        >>> stop = khp.callbacks.EarlyStopping(patience=3)
        >>> # model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[stop])
        >>> # stop.stopped_epoch, stop.best_epoch
    """

    _missing = "it cannot stop training"

    def __init__(
        self,
        monitor="val_loss",
        min_delta=0.0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=True,
        start_from_epoch=0,
    ):
        super().__init__(monitor=monitor, mode=mode, min_delta=min_delta)
        check_number("patience", patience, low=0, integer=True)
        check_one_of("verbose", verbose, (0, 1, 2))
        if baseline is not None:
            check_number("baseline", baseline)
        if not isinstance(restore_best_weights, bool):
            raise ArgumentError(
                "Argument `restore_best_weights` must be a bool. "
                f"Received: restore_best_weights={restore_best_weights!r}"
            )
        check_number("start_from_epoch", start_from_epoch, low=0, integer=True)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch

    def _reset(self):
        super()._reset()
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = self._monitored(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._improved(current):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._beats(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(
                    f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)

    def get_config(self):
        return {
            "monitor": self.monitor,
            "min_delta": self.min_delta,
            "patience": self.patience,
            "verbose": self.verbose,
            "mode": self.mode,
            "baseline": self.baseline,
            "restore_best_weights": self.restore_best_weights,
            "start_from_epoch": self.start_from_epoch,
        }
