"""`TimeBudget`: stop training cleanly when a wall-clock budget is spent."""

from __future__ import annotations

import time

from kerashp._checks import check_number, check_one_of
from kerashp.callbacks._base import KerashpCallback


class TimeBudget(KerashpCallback):
    """Stops training once `seconds` of wall-clock time have passed since `on_train_begin`.

    The clock is checked after every batch and every epoch; when the budget is
    spent, `model.stop_training` is set, so Keras finishes the current batch,
    runs the epoch's end (validation, other callbacks) and returns normally.
    After training, `timed_out` says whether the budget stopped it and
    `elapsed` how many seconds the fit took up to the last check.

    Args:
        seconds: The budget in seconds, > 0.
        verbose: 0 (quiet) or 1 (print when stopping).

    Example:
        >>> import kerashp as khp
        >>> budget = khp.callbacks.TimeBudget(60)
        >>> # model.fit(x, y, epochs=1000, callbacks=[budget]); budget.timed_out
    """

    def __init__(self, seconds, verbose=0):
        super().__init__()
        check_number("seconds", seconds, low=0, low_open=True)
        check_one_of("verbose", verbose, (0, 1, 2))
        self.seconds = seconds
        self.verbose = verbose
        self.timed_out = False
        self.elapsed = 0.0
        self._start = None

    def on_train_begin(self, logs=None):
        self._start = time.monotonic()
        self.timed_out = False
        self.elapsed = 0.0

    def _check(self):
        if self._start is None:  # a custom loop that skipped on_train_begin
            self._start = time.monotonic()
        self.elapsed = time.monotonic() - self._start
        if self.elapsed >= self.seconds and not self.timed_out:
            self.timed_out = True
            self.model.stop_training = True
            if self.verbose:
                print(f"\nTimeBudget: {self.seconds:g} s spent; stopping training.")

    def on_train_batch_end(self, batch, logs=None):
        self._check()

    def on_epoch_end(self, epoch, logs=None):
        self._check()

    def get_config(self):
        return {"seconds": self.seconds, "verbose": self.verbose}
