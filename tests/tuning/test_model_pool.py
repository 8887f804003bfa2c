"""Compiled models reused by later trials of the same graph (`kerashp.tuning.model_pool`)."""

from __future__ import annotations

import textwrap

import keras
import numpy as np
import pytest

import kerashp as khp
from kerashp.tuning.model_pool import CompiledModels, graph_key


def _mlp(units=8, learning_rate=1e-2, dropout=0.0, optimizer="adam", seed=0):
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((4,)), keras.layers.Dense(units, activation="relu")]
    if dropout:
        layers.append(keras.layers.Dropout(dropout))
    model = keras.Sequential([*layers, keras.layers.Dense(3, activation="softmax")])
    opt = keras.optimizers.Adam(learning_rate) if optimizer == "adam" else keras.optimizers.SGD(learning_rate)
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def iris():
    x, y = khp.datasets.load("iris")
    return x.astype("float32"), y


def test_only_what_changes_the_graph_breaks_sharing():
    base = graph_key(_mlp())
    again = _mlp(learning_rate=0.3, seed=5)  # its layers' names count on: dense_2 for dense, ...
    assert base is not None and graph_key(again) == base  # the learning rate is a variable, not the graph
    for other in (_mlp(units=16), _mlp(dropout=0.2), _mlp(optimizer="sgd")):
        assert graph_key(other) != base
    unbuilt = keras.Sequential([keras.layers.Dense(3)])
    unbuilt.compile(optimizer="adam", loss="mse")
    assert graph_key(unbuilt) is None  # no weights yet: never kept


@pytest.mark.slow  # traces two models' steps: over the fast tier's 5 s of CPU under a full-tier run's load
def test_a_kept_model_trains_exactly_as_the_fresh_model_it_stands_for(iris):
    x, y = iris
    pool = CompiledModels()
    first = _mlp(dropout=0.3, seed=1)
    assert pool.adopt(first) == (first, False)
    first.fit(x, y, epochs=2, batch_size=32, verbose=0)
    pool.release(first)
    fresh = _mlp(learning_rate=0.05, dropout=0.3, seed=2)
    expected = fresh.fit(x, y, epochs=2, batch_size=32, verbose=0, shuffle=False).history
    model, reused = pool.adopt(_mlp(learning_rate=0.05, dropout=0.3, seed=2))
    assert reused and model is first and (pool.hits, pool.misses) == (1, 1)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)
    got = model.fit(x, y, epochs=2, batch_size=32, verbose=0, shuffle=False).history
    np.testing.assert_allclose(got["loss"], expected["loss"], rtol=1e-6)
    assert len(pool) == 0  # taken out while it trains
    assert pool.adopt(_mlp(units=16))[1] is False


def test_the_pool_keeps_at_most_its_bytes_and_models(monkeypatch):
    pool = CompiledModels()
    monkeypatch.setattr(CompiledModels, "max_bytes", 1)
    pool.release(_mlp())
    assert len(pool) == 0
    monkeypatch.setattr(CompiledModels, "max_bytes", 2**30)
    monkeypatch.setattr(CompiledModels, "max_models", 2)
    for units in (4, 8, 16):
        pool.release(_mlp(units=units))
    assert len(pool) == 2 and pool.adopt(_mlp(units=4))[1] is False  # the least recently kept went first


@pytest.mark.slow
def test_a_search_reuses_compiled_models_and_scores_as_without(tmp_path, monkeypatch):
    x, y = khp.datasets.load("iris")
    space = {"units": 8, "learning_rate": [1e-3, 1e-2, 3e-2], "epochs": 2, "batch_size": 32}
    options = {"data": (x, y), "algorithm": "grid", "seed": 0, "verbose": 0}
    shared = khp.tune(khp.builders.mlp, space, run=khp.RunFolder(tmp_path, "shared"), **options)
    assert [r.cost["reused"] for r in shared.records] == [False, True, True]
    monkeypatch.setattr(CompiledModels, "max_bytes", 0)  # nothing kept: every trial builds its own
    alone = khp.tune(khp.builders.mlp, space, run=khp.RunFolder(tmp_path, "alone"), **options)
    assert [r.cost["reused"] for r in alone.records] == [False, False, False]
    for a, b in zip(shared.records, alone.records, strict=True):
        assert a.params == b.params
        np.testing.assert_allclose(a.history["val_loss"], b.history["val_loss"], rtol=1e-5)


JAX_SEARCH = textwrap.dedent("""
    import json, sys
    import jax
    import kerashp as khp

    compiles = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda name, secs, **kw: compiles.append(name) if "backend_compile" in name else None)
    per_trial = []
    x, y = khp.datasets.load("iris")
    space = {"units": 8, "learning_rate": [1e-3, 1e-2, 3e-2], "epochs": 2, "batch_size": 32}
    result = khp.tune(khp.builders.mlp, space, data=(x, y), algorithm="grid", seed=0, verbose=0,
                      run=khp.RunFolder(sys.argv[1], "jax"), on_trial_end=lambda r: per_trial.append(len(compiles)))
    print(json.dumps({"backend": khp.builders.mlp.__module__ and __import__("keras").backend.backend(),
                      "compiles": per_trial, "reused": [r.cost["reused"] for r in result.records]}))
""")


@pytest.mark.subprocess
def test_under_jax_a_repeated_graph_compiles_nothing_new(tmp_path, under_jax):
    out = under_jax(JAX_SEARCH, str(tmp_path))
    assert out["backend"] == "jax" and out["reused"] == [False, True, True]
    first, second, third = out["compiles"]
    assert first > 0 and second == first and third == first  # trials 2 and 3 ran on the compiled steps
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jax"]  # nothing written outside the run folder
