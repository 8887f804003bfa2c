"""Shared, unexported machinery of the kerashp callbacks.

How schedules and `ReduceLROnPlateau` compose
--------------------------------------------
Each optimizer a kerashp callback touches carries one `LRState` object, stored
as the attribute `optimizer._kerashp_lr_state` (a plain Python object; Keras
does not track or save it). It holds:

* `initial_lr`: the optimizer's learning rate the first time kerashp saw it.
  Schedules created without an explicit rate start from this value, so a
  second `fit` (or a Hyperband continuation on the same optimizer) starts from
  the compiled rate, not from wherever the previous fit left it.
* `scale`: a multiplier owned by `ReduceLROnPlateau`. It is reset to 1.0 when a
  `ReduceLROnPlateau` starts a fit and multiplied by `factor` on each plateau.

Every batch, a schedule computes its base rate `base(step)` and writes
`base(step) * scale` to the optimizer. On a plateau, `ReduceLROnPlateau`
multiplies `scale` by `factor` and also multiplies the optimizer's current
rate by `factor`: alone, that is the reduction; with a schedule running, the
schedule's next write (`base * scale`) carries it on.

Position in training
--------------------
A schedule's position is `epoch * steps_per_epoch + batch`, where `epoch` is
the absolute index Keras passes to `on_epoch_begin` (it starts at
`initial_epoch`) and `steps_per_epoch` is `self.params["steps"]`. A horizon
left unset means "the whole fit": `self.params["epochs"] * steps_per_epoch`.
So `fit(epochs=9, initial_epoch=3)` continues exactly where a 9-epoch run is
at epoch 3. When `fit` does not know its steps per epoch (a dataset of unknown
length), the position is a count of batches since `on_train_begin` and
horizons must be given in steps. With `steps_per_execution > 1`, Keras calls
the batch hooks once per execution, so the rate changes once per execution.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import keras
from keras.optimizers.schedules import LearningRateSchedule

from kerashp._checks import check_number
from kerashp.exceptions import ArgumentError

_STATE_ATTR = "_kerashp_lr_state"


def pick_horizon(epochs_name, epochs, steps_name, steps, *, required=False, allow_zero=False):
    """Validates an (epochs, steps) pair of which at most one may be given."""
    if epochs is not None and steps is not None:
        raise ArgumentError(
            f"Pass either `{epochs_name}` or `{steps_name}`, not both. "
            f"Received: {epochs_name}={epochs!r}, {steps_name}={steps!r}"
        )
    if required and epochs is None and steps is None:
        raise ArgumentError(f"One of `{epochs_name}` or `{steps_name}` is required.")
    if epochs is not None:
        check_number(epochs_name, epochs, low=0, low_open=not allow_zero)
    if steps is not None:
        check_number(steps_name, steps, low=0 if allow_zero else 1, integer=True)


class KerashpCallback(keras.callbacks.Callback):
    """Base of every kerashp callback: config round trip and safe deep copies."""

    # References into the model being trained: never deep-copied (set to None).
    _TRANSIENT = ("_model", "_state", "_momentum", "_wrapper", "_saved")

    def get_config(self) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __deepcopy__(self, memo):
        # keras-tuner deep-copies callbacks for every trial; never copy the model.
        new = self.__class__.__new__(self.__class__)
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            if key in self._TRANSIENT:
                new.__dict__[key] = None
            else:
                new.__dict__[key] = copy.deepcopy(value, memo)
        return new

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{self.__class__.__name__}({args})"


@dataclass
class LRState:
    initial_lr: float
    scale: float = 1.0


def get_optimizer(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ArgumentError("The model has no optimizer: compile it before training.")
    # LossScaleOptimizer (mixed precision) keeps the real one inside.
    return getattr(optimizer, "inner_optimizer", optimizer)


def has_keras_schedule(optimizer):
    return isinstance(getattr(optimizer, "_learning_rate", None), LearningRateSchedule)


def read_lr(optimizer) -> float:
    """The optimizer's learning rate now, as a Python float."""
    value = optimizer.learning_rate
    return float(value)


def has_variable_lr(optimizer):
    """Keras 3 turns a float `learning_rate` into a variable, which kerashp assigns."""
    return isinstance(getattr(optimizer, "_learning_rate", None), keras.Variable)


def write_lr(optimizer, value: float) -> None:
    optimizer._learning_rate.assign(value)


def lr_state(optimizer) -> LRState:
    """The optimizer's shared `LRState`, created on first use."""
    state = getattr(optimizer, _STATE_ATTR, None)
    if state is None:
        initial = float("nan") if has_keras_schedule(optimizer) else read_lr(optimizer)
        state = LRState(initial_lr=initial)
        object.__setattr__(optimizer, _STATE_ATTR, state)
    return state


class ScheduleCallback(KerashpCallback):
    """Base of the schedule callbacks: sets `base(step) * scale` every batch.

    Subclasses implement `_resolve(total_steps)` (turn horizons into steps,
    called at the start of each fit) and `_base_lr(step)`.
    """

    def __init__(self, learning_rate=None):
        super().__init__()
        if learning_rate is not None:
            check_number("learning_rate", learning_rate, low=0, low_open=True)
        self.learning_rate = learning_rate
        self._state = None
        self._last_lr = None

    # -- horizons --------------------------------------------------------
    def _steps_per_epoch(self):
        steps = (self.params or {}).get("steps")
        return int(steps) if steps else None

    def _to_steps(self, epochs_name, epochs, steps):
        """A horizon in steps; `None` for both means the whole fit."""
        if steps is not None:
            return steps
        spe = self._steps_per_epoch()
        if spe is None:
            what = f"`{epochs_name}`" if epochs is not None else "a horizon of the whole fit"
            raise ArgumentError(
                f"{type(self).__name__}: {what} needs the number of steps per epoch, "
                "which `fit` does not know here (pass `steps_per_epoch` to `fit`, give "
                "the horizon in steps, or call `set_params({'epochs': E, 'steps': S})` "
                "in a custom loop)."
            )
        if epochs is None:
            total = (self.params or {}).get("epochs")
            if not total:
                raise ArgumentError(
                    f"{type(self).__name__}: the horizon is the whole fit but "
                    "`params['epochs']` is unknown; give the horizon explicitly."
                )
            epochs = total
        return round(epochs * spe)

    # -- Keras hooks -----------------------------------------------------
    def on_train_begin(self, logs=None):
        optimizer = get_optimizer(self.model)
        if not has_variable_lr(optimizer):
            raise ArgumentError(
                f"{type(self).__name__} sets the learning rate itself, but the optimizer's "
                f"learning rate is {optimizer._learning_rate!r} (a schedule or a callable). "
                "Compile it with a float `learning_rate` instead."
            )
        self._state = lr_state(optimizer)
        self._peak = self.learning_rate or self._state.initial_lr
        self._resolve()
        self._epoch = 0
        self._counted = 0  # batches since train begin (used when steps are unknown)
        self._epoch_offset = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._epoch_offset = self._counted

    def current_step(self, batch):
        spe = self._steps_per_epoch()
        if spe is None:
            return self._epoch_offset + batch
        return self._epoch * spe + batch

    def on_train_batch_begin(self, batch, logs=None):
        step = self.current_step(batch)
        self._counted = self._epoch_offset + batch + 1
        lr = self._base_lr(step) * self._state.scale
        write_lr(get_optimizer(self.model), lr)
        self._last_lr = lr
        self._after_lr(step)

    def _after_lr(self, step):
        """Hook for subclasses that also set momentum."""

    def on_train_batch_end(self, batch, logs=None):
        if logs is not None and self._last_lr is not None:
            logs["learning_rate"] = self._last_lr

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = read_lr(get_optimizer(self.model))

    def _resolve(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def _base_lr(self, step):  # pragma: no cover - overridden
        raise NotImplementedError
