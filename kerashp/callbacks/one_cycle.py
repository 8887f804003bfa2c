"""`OneCycle`: Smith's 1cycle policy for the learning rate and momentum."""

from __future__ import annotations

import math

import keras

from kerashp._checks import check_number, check_one_of
from kerashp.callbacks._base import ScheduleCallback, get_optimizer, pick_horizon
from kerashp.exceptions import ArgumentError


def _anneal(start, end, progress, how):
    if how == "cos":
        return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * progress))
    return start + (end - start) * progress


class OneCycle(ScheduleCallback):
    """The 1cycle policy: the rate rises then falls far below its start; momentum mirrors it.

    With `T` total steps, the rise ending at step `u = pct_start * T - 1` and
    step `t` (0-based, counted from the start of the cycle):

    * `t <= u`: with `pct = t / u`, the rate anneals from `max_lr / div_factor`
      to `max_lr` and momentum from `max_momentum` to `base_momentum`;
    * `t > u`: with `pct = (t - u) / (T - 1 - u)`, the rate anneals from
      `max_lr` to `max_lr / (div_factor * final_div_factor)` (the final
      annihilation, reached at step `T - 1`) and momentum back to `max_momentum`.
      Past step `T - 1` both stay where they ended.

    "Anneals" is cosine (`anneal="cos"`): from `a` to `b`,
    `b + (a - b) * (1 + cos(pi * pct)) / 2`; or linear (`anneal="linear"`):
    `a + (b - a) * pct`. This is PyTorch's
    `torch.optim.lr_scheduler.OneCycleLR(three_phase=False)` step for step: the
    rate set before batch `t` is the one that scheduler holds after `t` calls of
    its `step()`. Where PyTorch has no value OneCycle picks one: past step
    `T - 1` (PyTorch raises, or turns back up), and `u = 0` (PyTorch divides
    by zero; OneCycle starts at `max_lr`).

    Momentum is the optimizer's `beta_1` (Adam, AdamW, Nadam, Adamax, ...).
    Those keep it as a Python float that a compiled train step would freeze,
    so for the duration of the fit OneCycle replaces it by a variable and
    re-traces the train step once; at the end of the fit the float is put back
    with its last value. An optimizer whose momentum is called `momentum`
    (SGD, RMSprop) branches on it in Python, which cannot be made a variable:
    its momentum is cycled only when the model runs eagerly
    (`compile(run_eagerly=True)`). With `cycle_momentum=None` (default)
    momentum is cycled wherever it can be and left alone elsewhere; `True`
    raises where it cannot be; `False` never touches it.

    Args:
        max_lr: Peak rate. Defaults to the optimizer's compiled rate.
        total_epochs: Length of the cycle in epochs.
        total_steps: Length in steps. Neither means the whole `fit`.
        pct_start: Fraction of the cycle spent rising. Defaults to 0.3.
        div_factor: Start rate is `max_lr / div_factor`. Defaults to 25.
        final_div_factor: End rate is start rate / `final_div_factor`. Defaults to 1e4.
        anneal: "cos" or "linear". Defaults to "cos".
        cycle_momentum: `None` (where possible), `True` or `False`.
        base_momentum: Momentum at the peak rate. Defaults to 0.85.
        max_momentum: Momentum at both ends. Defaults to 0.95.

    Example:
        >>> import keras, kerashp as khp
        >>> # model.compile(keras.optimizers.Adam(), "mse")
        >>> one_cycle = khp.callbacks.OneCycle(max_lr=1e-2)
        >>> # model.fit(x, y, epochs=5, callbacks=[one_cycle])
    """

    def __init__(
        self,
        max_lr=None,
        total_epochs=None,
        total_steps=None,
        pct_start=0.3,
        div_factor=25.0,
        final_div_factor=1e4,
        anneal="cos",
        cycle_momentum=None,
        base_momentum=0.85,
        max_momentum=0.95,
    ):
        if max_lr is not None:
            check_number("max_lr", max_lr, low=0, low_open=True)
        super().__init__(max_lr)
        pick_horizon("total_epochs", total_epochs, "total_steps", total_steps)
        check_number("pct_start", pct_start, low=0, high=1)
        check_number("div_factor", div_factor, low=1)
        check_number("final_div_factor", final_div_factor, low=1)
        check_one_of("anneal", anneal, ("cos", "linear"))
        check_one_of("cycle_momentum", cycle_momentum, (None, True, False))
        check_number("base_momentum", base_momentum, low=0, high=1)
        check_number("max_momentum", max_momentum, low=0, high=1)
        if base_momentum > max_momentum:
            raise ArgumentError(
                "Argument `base_momentum` must be <= `max_momentum`. "
                f"Received: base_momentum={base_momentum}, max_momentum={max_momentum}"
            )
        self.max_lr = max_lr
        self.total_epochs = total_epochs
        self.total_steps = total_steps
        self.pct_start = pct_start
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        self.anneal = anneal
        self.cycle_momentum = cycle_momentum
        self.base_momentum = base_momentum
        self.max_momentum = max_momentum
        self._momentum = None  # (optimizer, attribute name, variable or None) during a fit

    def _resolve(self):
        self._total = self._to_steps("total_epochs", self.total_epochs, self.total_steps)
        self._up = self.pct_start * self._total - 1  # the step where the rise ends
        self._last = self._total - 1
        self._last_momentum = None
        self._momentum = self._setup_momentum() if self.cycle_momentum is not False else None

    def _setup_momentum(self):
        optimizer = get_optimizer(self.model)
        if hasattr(optimizer, "beta_1"):
            return self._install_variable(optimizer, "beta_1")
        eager = bool(getattr(self.model, "run_eagerly", False))
        has_momentum = isinstance(getattr(optimizer, "momentum", None), float)
        if has_momentum and optimizer.momentum > 0 and eager:
            return (optimizer, "momentum", None)
        if self.cycle_momentum:
            raise ArgumentError(
                f"OneCycle(cycle_momentum=True) cannot cycle the momentum of "
                f"{type(optimizer).__name__} here: it needs an optimizer with `beta_1` "
                "(Adam, AdamW, Nadam, ...), or one with `momentum > 0` (SGD, RMSprop) "
                "in a model compiled with `run_eagerly=True`. Pass "
                "`cycle_momentum=False` to cycle only the learning rate."
            )
        return None

    def _install_variable(self, optimizer, name):
        current = getattr(optimizer, name)
        if isinstance(current, keras.Variable):
            return (optimizer, name, current)
        variable = getattr(optimizer, "_kerashp_momentum_variable", None)
        created = variable is None
        if created:
            variable = keras.Variable(float(current), trainable=False, name="kerashp_" + name)
            # Not through Keras's __setattr__: the variable must not join the
            # optimizer's saved variables.
            object.__setattr__(optimizer, "_kerashp_momentum_variable", variable)
        object.__setattr__(optimizer, name, variable)
        if created and not getattr(self.model, "run_eagerly", False):
            # The train step already traced (or about to) would freeze the float.
            self.model.make_train_function(force=True)
        return (optimizer, name, variable)

    def _phase(self, step):
        """`(rising, pct)`: the phase step `step` is in and how far through it."""
        if step <= self._up:
            return True, (step / self._up if self._up > 0 else 1.0)
        span = self._last - self._up
        return False, (min(1.0, (step - self._up) / span) if span > 0 else 1.0)

    def momentum_at(self, step):
        """The momentum the policy gives step `step`."""
        rising, pct = self._phase(step)
        if rising:
            return _anneal(self.max_momentum, self.base_momentum, pct, self.anneal)
        return _anneal(self.base_momentum, self.max_momentum, pct, self.anneal)

    def _base_lr(self, step):
        start = self._peak / self.div_factor
        rising, pct = self._phase(step)
        if rising:
            return _anneal(start, self._peak, pct, self.anneal)
        return _anneal(self._peak, start / self.final_div_factor, pct, self.anneal)

    def _after_lr(self, step):
        if self._momentum is None:
            return
        optimizer, name, variable = self._momentum
        value = self.momentum_at(step)
        if variable is not None:
            variable.assign(value)
        else:
            setattr(optimizer, name, value)
        self._last_momentum = value

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if logs is not None and self._momentum is not None:
            logs["momentum"] = self._last_momentum

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if logs is not None and self._momentum is not None:
            logs["momentum"] = self._last_momentum

    def on_train_end(self, logs=None):
        if self._momentum is not None and self._momentum[2] is not None:
            optimizer, name, variable = self._momentum
            # Put the float back so the optimizer's config stays serializable.
            object.__setattr__(optimizer, name, float(variable))
        self._momentum = None

    def get_config(self):
        return {
            "max_lr": self.max_lr,
            "total_epochs": self.total_epochs,
            "total_steps": self.total_steps,
            "pct_start": self.pct_start,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
            "anneal": self.anneal,
            "cycle_momentum": self.cycle_momentum,
            "base_momentum": self.base_momentum,
            "max_momentum": self.max_momentum,
        }
