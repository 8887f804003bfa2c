"""A trial's weights file (`kerashp.storage.weights`): the model's and its
optimizer's variables back exactly, a file of another model refused."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerashp.exceptions import DamagedFileError
from kerashp.storage import weights
from kerashp.storage.run_store import RunStore


def trained(units, seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation="relu"), keras.layers.Dense(3)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = np.random.default_rng(seed).normal(size=(32, 4)).astype("float32"), np.arange(32) % 3
    model.fit(x, y, epochs=1, verbose=0)
    return model


def state(model):
    return [np.asarray(v) for v in model.get_weights()] + [np.asarray(v) for v in model.optimizer.variables]


def test_weights_and_optimizer_state_come_back_exactly(tmp_path):
    source, target = trained(8, seed=1), trained(8, seed=2)
    with open(tmp_path / "w.npz", "wb") as f:
        weights.write(source, f)
    fresh = keras.models.clone_model(target)  # never trained: its optimizer is not built yet
    fresh.compile(optimizer="adam", loss=target.loss)
    weights.read(fresh, tmp_path / "w.npz")
    for got, want in zip(state(fresh), state(source), strict=True):
        np.testing.assert_array_equal(got, want)
    assert int(fresh.optimizer.iterations.numpy()) == int(source.optimizer.iterations.numpy()) > 0


def test_another_models_file_is_refused_and_named(tmp_path):
    store = RunStore(tmp_path, "run")
    store.save_weights(trained(8, seed=1), "0")
    assert store.weights_path("0").name == "0.weights.npz"
    with pytest.raises(DamagedFileError, match=r"0\.weights\.npz is damaged.*shape"):
        store.load_weights(trained(16, seed=1), "0")


def test_a_legacy_keras_weights_file_is_still_read(tmp_path):
    store, source = RunStore(tmp_path, "run"), trained(8, seed=1)
    store.trials_dir.mkdir(parents=True)
    source.save_weights(store.trials_dir / "0.weights.h5")
    assert store.weights_path("0").name == "0.weights.h5"
    target = trained(8, seed=2)
    store.load_weights(target, "0")
    for got, want in zip(state(target), state(source), strict=True):
        np.testing.assert_array_equal(got, want)
