"""Tiny model, data and a recorder that reads the optimizer every batch."""

from __future__ import annotations

import numpy as np
import pytest
from fit_sizes import BATCH, N_SAMPLES


@pytest.fixture
def data(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N_SAMPLES, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * rng.normal(size=N_SAMPLES)).astype("float32")
    return x, y[:, None]


@pytest.fixture
def make_model(seed):
    import keras

    def make(optimizer=None, **compile_kwargs):
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        model.compile(optimizer or keras.optimizers.SGD(0.1), "mse", **compile_kwargs)
        return model

    return make


@pytest.fixture
def recorder():
    """A callback, placed after the schedules, that reads the optimizer before each batch."""
    import keras

    class Recorder(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.lrs, self.beta_1s, self.positions = [], [], []

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_begin(self, batch, logs=None):
            optimizer = self.model.optimizer
            self.lrs.append(float(optimizer.learning_rate))
            beta_1 = getattr(optimizer, "beta_1", None)
            if beta_1 is not None:
                self.beta_1s.append(float(beta_1))
            self.positions.append((self.epoch, batch))

    return Recorder()


@pytest.fixture
def fit(data):
    """`fit(model, callbacks, epochs=3, **kwargs)` on the tiny data, 4 steps per epoch."""

    def run(model, callbacks, epochs=3, **kwargs):
        x, y = data
        return model.fit(
            x,
            y,
            batch_size=BATCH,
            epochs=epochs,
            verbose=0,
            callbacks=callbacks,
            shuffle=False,
            **kwargs,
        )

    return run


@pytest.fixture
def inject():
    """`inject(name, values)`: a callback that puts `values[epoch]` into the epoch logs.

    Place it before the callback that reads `name`.
    """
    import keras

    class Inject(keras.callbacks.Callback):
        def __init__(self, name, values):
            super().__init__()
            self.name, self.values = name, list(values)

        def on_epoch_end(self, epoch, logs=None):
            logs[self.name] = self.values[epoch]

    return Inject
