"""The next trial's model, built and compiled while this one trains.

Under XLA or JAX a new model's first epoch is mostly compiling (1.7 s
against 0.05 s for a later epoch of the race's digits MLP on this
project's CPU; 1.8 s against 62 ms on an H200). Compiling runs on the host
while training keeps the device (or, on a CPU, its other cores) busy, so a
one-process search takes the next trial from the oracle as the current
one's fit begins and builds its model (seeded as in its turn, the current
trial's Python and NumPy random state put back after), and a background
thread runs one training and one validation step of it (what makes Keras
compile them for the trial's shapes), then puts every variable back as the
builder left it.
When the current trial ends, the next one starts on that model, and on the
data its compile ran on (made once), and waits only for what remains of its
compile. It trains exactly as a model built in
its turn would (the same initial state, the same seeds:
`tests/tuning/test_ahead.py` compares the histories).

- The oracle is asked, and the next model and its compile's data are
  made, in the search's own thread, once the current fit's data exist
  (their shuffling draws on the seeds the next build sets): the background
  thread draws on no random state, and the oracle's suggestions do not
  depend on timing. The next trial is chosen while the current one runs,
  as with two workers.
- Where it applies: models that compile per shape (`jit_compile=True`,
  every model under JAX) under the backends in `SearchTuner.looks_ahead`
  (TensorFlow and JAX), a hold-out split, kerashp's own fit (not a
  keras-tuner `HyperModel.fit`), one replica, and algorithms whose trials
  start from scratch (not Hyperband's promotions); not in worker
  processes. TensorFlow's traced models are left alone: a trace is Python,
  which shares the interpreter with the training loop (measured: it cost
  time, `benchmarks/RESULTS.md`).
- A next trial whose graph is the training model's is only built: it
  takes that model from the compiled-model pool when the trial ends.
- What the compile cost in the background is still a cost of the model
  (`Clock`'s `ahead`, which the pruner's first rung counts).
- A trial taken ahead that the time budget leaves untrained stays in the
  oracle as started, and a resumed search runs it first, like a trial
  whose process stopped. A model that fails to build or compile ahead is
  built again in its turn, where a failure is the trial's, recorded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import keras

from kerashp.tuning.gradient_registry import released_with
from kerashp.tuning.model_pool import graph_key

__all__ = ["AHEAD_ID", "Ahead", "OnTrainBegin", "compile_steps", "prepare"]

#: The tuner id under which the trial taken ahead waits in the oracle.
AHEAD_ID = "kerashp-ahead"


def compile_steps(model: Any, args: tuple, kwargs: dict, validation: Any) -> None:
    """Runs one training step and one validation step of `model` on the
    inputs of its trial's `fit` (`args`, `kwargs`, `validation`), so that
    Keras traces and compiles them for those shapes, then puts back every
    variable of the model and of its optimizer."""
    if not getattr(model.optimizer, "built", False):
        model.optimizer.build(model.trainable_variables)
    variables = [*model.variables, *model.optimizer.variables]
    saved = [v.numpy() for v in variables]
    kwargs = {**kwargs, "epochs": 1, "initial_epoch": 0, "steps_per_epoch": 1, "shuffle": False, "verbose": 0}
    if validation is not None:
        kwargs["validation_steps"] = 1
    model.fit(*args, validation_data=validation, **kwargs)
    for variable, value in zip(variables, saved, strict=True):
        variable.assign(value)
    model.reset_metrics()
    model.stop_training = False


def prepare(model: Any, pool: Any, training: str | None, inputs: tuple) -> tuple[Any, bool | None, tuple]:
    """What the background thread makes of a trial's freshly built `model`,
    handed to the trial as `(model, reused, inputs)`: the model taken from
    the compiled-model `pool` or compiled for its shapes (`compile_steps` on
    `inputs`, its fit's `(args, kwargs, validation_data)`, which the trial
    then trains on: made once); `reused` `None`, the model as it is, when
    its graph is `training`'s (the graph of the model training now, which
    the pool will hold once that trial ends)."""
    model._kerashp_graph = graph_key(model)  # computed once: `pool.adopt` reads it
    if training is not None and model._kerashp_graph == training:
        return model, None, inputs
    model, reused = pool.adopt(model)
    if not reused:
        with released_with(model):
            compile_steps(model, *inputs)
    return model, reused, inputs


class OnTrainBegin(keras.callbacks.Callback):
    """Calls `start()` as the fit begins, once Keras has made the fit's data
    (their shuffling draws on the seeds the next trial's build resets)."""

    def __init__(self, start: Callable[[], None]):
        super().__init__()
        self.start = start

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.start()


class Ahead:
    """One trial's model prepared in a background thread (`start`), handed to
    that trial when it runs (`take`).

    Attributes:
        trial_id: The trial being prepared, or `None`.
    """

    def __init__(self) -> None:
        self.trial_id: str | None = None
        self._thread: threading.Thread | None = None
        self._model: Any = None
        self._seconds = 0.0

    def start(self, trial_id: str, prepare: Callable[[], Any], spent: float = 0.0) -> None:
        """Runs `prepare()` (what it returns is handed to the trial; an error
        hands nothing) in a background thread for `trial_id`; `spent`:
        seconds already spent on it (its build)."""
        self.drop()
        self.trial_id = trial_id

        def run() -> None:
            started = time.perf_counter()
            try:
                self._model = prepare()
            except Exception:  # noqa: BLE001 - the trial builds its model again, and fails there, recorded
                self._model = None
            self._seconds = spent + time.perf_counter() - started

        self._thread = threading.Thread(target=run, name=f"kerashp-ahead-{trial_id}", daemon=True)
        self._thread.start()

    def take(self, trial_id: str) -> tuple[Any, float] | None:
        """`(what prepare() returned, seconds spent on it ahead: its build
        and compile)` for `trial_id`, once the thread is done; `None` when
        another trial (or none) was prepared, or its preparation failed."""
        if self.trial_id != trial_id:
            return None
        self._join()
        model, seconds = self._model, self._seconds
        self.trial_id, self._model = None, None
        return None if model is None else (model, seconds)

    def drop(self) -> None:
        """Waits for the thread and forgets what it prepared."""
        self._join()
        self.trial_id, self._model = None, None

    def _join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
