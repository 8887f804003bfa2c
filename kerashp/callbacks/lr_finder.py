"""`LRFinder`: the learning-rate range test."""

from __future__ import annotations

import math

import keras
import numpy as np

from kerashp._checks import check_number
from kerashp.callbacks._base import KerashpCallback, get_optimizer, has_variable_lr, write_lr
from kerashp.exceptions import ArgumentError


class LRFinder(KerashpCallback):
    """Sweeps the learning rate exponentially over a short run and records the loss.

    Step `i` of `num_steps` trains at `min_lr * (max_lr / min_lr) ** (i / (num_steps - 1))`.
    The sweep stops after `num_steps` batches, or as soon as the smoothed loss
    exceeds `divergence * best smoothed loss` (or is not finite). At the end of
    the fit the model's weights and the optimizer's variables (learning rate,
    iteration count, moments) are put back exactly as they were, so the finder
    can run on the model you are about to train.

    Give `fit` at least `num_steps` batches in total (e.g. enough `epochs`);
    training stops by itself when the sweep ends. The per-batch loss is read
    from the model's loss tracker (or from `logs["loss"]` in a custom loop).

    After the run, `lrs` and `losses` (raw) and `smoothed_losses` hold the
    curve, `suggestion()` returns the rate of steepest descent of the smoothed
    loss before its minimum and `plot()` draws it.

    Args:
        min_lr: Start of the sweep. Defaults to 1e-7.
        max_lr: End of the sweep. Defaults to 10.
        num_steps: Number of batches in the sweep, >= 2. Defaults to 100.
        smoothing: Factor of the exponential moving average of the loss
            (with bias correction), in [0, 1). Defaults to 0.9 (short sweeps lag
            behind the loss with larger values).
        divergence: Stop when the smoothed loss exceeds this multiple of its
            best, > 1. Defaults to 4.

    Example:
        >>> import kerashp as khp
        >>> finder = khp.callbacks.LRFinder(min_lr=1e-5, max_lr=1.0, num_steps=50)
        >>> # model.fit(x, y, epochs=10, callbacks=[finder]); finder.suggestion()
    """

    def __init__(self, min_lr=1e-7, max_lr=10.0, num_steps=100, smoothing=0.9, divergence=4.0):
        super().__init__()
        check_number("min_lr", min_lr, low=0, low_open=True)
        check_number("max_lr", max_lr, low=0, low_open=True)
        if max_lr <= min_lr:
            raise ArgumentError(
                f"Argument `max_lr` must be > `min_lr`. Received: max_lr={max_lr}, min_lr={min_lr}"
            )
        check_number("num_steps", num_steps, low=2, integer=True)
        check_number("smoothing", smoothing, low=0)
        if smoothing >= 1:
            raise ArgumentError(f"Argument `smoothing` must be < 1. Received: smoothing={smoothing}")
        check_number("divergence", divergence, low=1, low_open=True)
        self.min_lr = min_lr
        self.max_lr = max_lr
        self.num_steps = num_steps
        self.smoothing = smoothing
        self.divergence = divergence
        self._clear()

    def _clear(self):
        self.lrs, self.losses, self.smoothed_losses = [], [], []
        self.diverged = False
        self._saved = None

    def lr_at(self, i):
        """The rate of sweep step `i`."""
        return self.min_lr * (self.max_lr / self.min_lr) ** (i / (self.num_steps - 1))

    # -- Keras hooks ------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._clear()
        optimizer = get_optimizer(self.model)
        if not has_variable_lr(optimizer):
            raise ArgumentError(
                "LRFinder sets the learning rate itself; compile the optimizer with a "
                "float `learning_rate`, not a schedule."
            )
        self._saved = (
            [np.array(w) for w in self.model.get_weights()],
            [(v, np.array(v.numpy())) for v in optimizer.variables],
        )
        self._avg = 0.0
        self._best = math.inf
        self._tracked = self._tracker_state()

    def on_train_batch_begin(self, batch, logs=None):
        if len(self.lrs) < self.num_steps:
            write_lr(get_optimizer(self.model), self.lr_at(len(self.lrs)))

    def _tracker_state(self):
        tracker = getattr(self.model, "_loss_tracker", None)
        if tracker is None or not hasattr(tracker, "total"):
            return None
        return (
            float(tracker.total),
            float(tracker.count),
        )

    def _batch_loss(self, logs):
        now = self._tracker_state()
        before, self._tracked = self._tracked, now
        if now is not None and before is not None and now[1] > before[1]:
            return (now[0] - before[0]) / (now[1] - before[1])
        if now is not None and before is not None and now[1] < before[1]:  # tracker was reset
            if now[1] > 0:
                return now[0] / now[1]
        return float(logs["loss"]) if logs and "loss" in logs else None

    def on_train_batch_end(self, batch, logs=None):
        if len(self.lrs) >= self.num_steps:
            return
        loss = self._batch_loss(logs)
        if loss is None:
            raise ArgumentError("LRFinder needs the batch loss: put `loss` in the batch logs.")
        i = len(self.lrs)
        self.lrs.append(self.lr_at(i))
        self.losses.append(loss)
        self._avg = self.smoothing * self._avg + (1 - self.smoothing) * loss
        smoothed = self._avg / (1 - self.smoothing ** (i + 1))
        self.smoothed_losses.append(smoothed)
        self._best = min(self._best, smoothed)
        if not math.isfinite(smoothed) or (i > 0 and smoothed > self.divergence * self._best):
            self.diverged = True
            self.model.stop_training = True
        elif len(self.lrs) >= self.num_steps:
            self.model.stop_training = True

    def on_epoch_begin(self, epoch, logs=None):
        self._tracked = self._tracker_state()

    def on_train_end(self, logs=None):
        if self._saved is None:
            return
        weights, optimizer_values = self._saved
        self.model.set_weights(weights)
        saved = {id(v) for v, _ in optimizer_values}
        for variable, value in optimizer_values:
            variable.assign(value)
        for variable in get_optimizer(self.model).variables:
            if id(variable) not in saved:  # built during the sweep: back to its start
                variable.assign(keras.ops.zeros_like(variable))
        self._saved = None

    # -- results ----------------------------------------------------------
    def suggestion(self, skip_begin=None, skip_end=1):
        """The rate where the smoothed loss falls fastest (per unit of log rate)
        on its way down to its minimum.

        Only the part of the curve up to the lowest smoothed loss counts: a
        spike or the divergence after it can fall steeply too, but at rates
        that already train worse. The suggestion is always a rate below the
        one of the lowest loss.

        Args:
            skip_begin: Points to ignore at the start of the curve, where the
                average rests on few batches. Defaults to a tenth of the points.
            skip_end: Points to ignore at the end (the divergence). Defaults to 1.

        Raises:
            ValueError: Too few points before the lowest loss (the sweep
                starts too high, or is too short).

        Example:
            >>> import kerashp as khp
            >>> finder = khp.callbacks.LRFinder(min_lr=1e-5, max_lr=1.0, num_steps=60)
            >>> # model.fit(x, y, epochs=5, callbacks=[finder]); finder.suggestion()
        """
        n = len(self.lrs)
        if skip_begin is None:
            skip_begin = n // 10
        lrs = np.log10(np.asarray(self.lrs[skip_begin : n - skip_end], dtype="float64"))
        losses = np.asarray(self.smoothed_losses[skip_begin : n - skip_end], dtype="float64")
        if len(lrs) < 3:
            raise ArgumentError(
                f"LRFinder recorded {n} points; the suggestion needs at least "
                f"{3 + skip_begin + skip_end}. Run a longer sweep."
            )
        lowest = int(np.argmin(np.where(np.isfinite(losses), losses, np.inf)))
        if lowest < 2:
            raise ArgumentError(
                f"LRFinder: the smoothed loss is lowest at rate {10 ** lrs[lowest]:.3g}, "
                f"point {skip_begin + lowest} of {n}: no descent before it to take a slope "
                "from. Start the sweep lower (`min_lr`) or with more `num_steps`."
            )
        slopes = np.gradient(losses[: lowest + 1], lrs[: lowest + 1])[:lowest]
        return float(10 ** lrs[int(np.argmin(slopes))])

    def plot(self, ax=None, skip_begin=0, skip_end=1):
        """Plots the smoothed loss against the rate (log scale); returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        n = len(self.lrs)
        ax.plot(
            self.lrs[skip_begin : n - skip_end], self.smoothed_losses[skip_begin : n - skip_end]
        )
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss (smoothed)")
        try:
            best = self.suggestion()
        except ValueError:  # too few points for a suggestion: plot the curve alone
            best = None
        if best is not None:
            ax.axvline(best, linestyle="--", color="gray", label=f"suggestion {best:.2g}")
            ax.legend()
        return ax

    def get_config(self):
        return {
            "min_lr": self.min_lr,
            "max_lr": self.max_lr,
            "num_steps": self.num_steps,
            "smoothing": self.smoothing,
            "divergence": self.divergence,
        }
