"""Builders and data for the kerashp.sklearn tests.

They live in an importable module (not a test file or conftest) so that
joblib worker processes can import them by reference under n_jobs=2.
"""

from __future__ import annotations

import keras
import numpy as np

from kerashp.builders import mlp
from kerashp.datasets import current_spec

#: What `recording_builder` saw, one entry per model it built (this process only).
BUILT: list[dict] = []
#: Validation inputs each recording model was evaluated on, one list per model.
VALIDATION_SEEN: list[list[np.ndarray]] = []


def digits(n: int = 360) -> tuple[np.ndarray, np.ndarray]:
    """The first `n` digits, float32 inputs in [0, 16], integer labels."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return x[:n].astype("float32"), y[:n]


def iris() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_iris

    x, y = load_iris(return_X_y=True)
    return x.astype("float32"), y


def tiny(hp: dict) -> keras.Model:
    """kerashp's MLP with one small hidden layer, unless hp says otherwise."""
    return mlp({"layers": 1, "units": 8, **hp})


class EagerMLP:
    """kerashp's MLP, compiled to run eagerly: the checks fit ~200 tiny models,
    and skipping graph tracing halves their time. The wrapper code is the same.
    (A class with a fixed repr, so test ids do not change from run to run.)"""

    def __call__(self, hp):
        model = mlp(hp)
        model.compile(optimizer=model.optimizer, loss=model.loss, run_eagerly=True)
        return model

    def __repr__(self) -> str:
        return "EagerMLP()"


def recording_builder(hp: dict) -> keras.Model:
    """Records the hp dict and DataSpec it gets; returns a model that records
    every validation batch Keras evaluates it on."""
    spec = current_spec()
    BUILT.append({"hp": dict(hp), "spec": spec})
    VALIDATION_SEEN.append([])
    inputs = keras.Input(spec.input_shape)
    hidden = keras.layers.Dense(4, activation="relu")(inputs)
    outputs = keras.layers.Dense(spec.num_classes, activation="softmax")(hidden)
    model = _RecordingModel(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=True)
    return model


class _RecordingModel(keras.Model):
    def test_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        VALIDATION_SEEN[-1].append(np.asarray(x))  # models fit one after another
        return super().test_step(data)
