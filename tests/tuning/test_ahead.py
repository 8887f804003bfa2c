"""The next trial's model built and compiled while one trains (`kerashp.tuning.ahead`)."""

from __future__ import annotations

import json
import textwrap

import keras
import numpy as np
import pytest

import kerashp as khp
from kerashp.tuning.tuner import SearchTuner

SPACE = {"units": [4, 8, 16], "learning_rate": [1e-2, 3e-2], "epochs": 2, "batch_size": 32}


def _xla_mlp(hp):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(hp["units"], activation="relu"),
                              keras.layers.Dropout(0.2), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(hp["learning_rate"]), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=True)
    return model


def _xla_mlp_drawing(hp):
    np.random.random()  # a builder that draws on NumPy's global state (a random layer name, say)
    return _xla_mlp(hp)


def _search(path, name, if_exists="error", build=_xla_mlp, **options):
    x, y = khp.datasets.load("iris")
    return khp.tune(build, SPACE, data=(x.astype("float32"), y), algorithm="random", max_trials=3, seed=0,
                    verbose=0, run=khp.RunFolder(path, name, if_exists=if_exists), **options)


@pytest.mark.slow  # compiles six XLA models
@pytest.mark.parametrize("build", [_xla_mlp, _xla_mlp_drawing])  # the data are made after the build, in either
def test_a_trial_prepared_ahead_trains_exactly_as_one_built_in_its_turn(tmp_path, monkeypatch, build):
    ahead = _search(tmp_path, "ahead", build=build)
    assert [r.cost["ahead"] is not None for r in ahead.records] == [False, True, True]
    assert all(r.cost["ahead"] > 0 for r in ahead.records[1:])
    monkeypatch.setattr(SearchTuner, "looks_ahead", ())
    alone = _search(tmp_path, "alone", build=build)
    assert [r.cost["ahead"] for r in alone.records] == [None, None, None]
    assert len({r.params["units"] for r in alone.records}) > 1  # new graphs: nothing came from the pool
    for a, b in zip(ahead.records, alone.records, strict=True):
        assert a.params == b.params
        for key in ("loss", "val_loss", "val_accuracy"):
            np.testing.assert_allclose(a.history[key], b.history[key], rtol=1e-6)


@pytest.mark.slow  # compiles four XLA models
def test_a_trial_taken_ahead_that_the_budget_left_untrained_runs_first_when_resumed(tmp_path, monkeypatch):
    from kerashp.tuning.deadline import Deadline

    calls = []
    monkeypatch.setattr(Deadline, "passed", lambda self: calls.append(1) or len(calls) > 1)  # after trial 0
    first = _search(tmp_path, "run", time_budget=600)
    assert [r.trial_id for r in first.records] == ["0"]
    oracle = json.loads((first.path / "oracle.json").read_text())
    assert list(oracle["ongoing_trials"].values()) == ["1"]  # taken, never trained
    monkeypatch.undo()
    resumed = _search(tmp_path, "run", "resume", time_budget=600)
    assert [r.trial_id for r in resumed.records] == ["0", "1", "2"]
    assert all(r.completed for r in resumed.records)
    assert resumed.records[1].cost["ahead"] is None  # run in its turn this time, with trial 2 taken ahead
    assert resumed.records[2].cost["ahead"] is not None


JAX_AHEAD = textwrap.dedent("""
    import json, sys
    import keras
    import kerashp as khp
    from kerashp.tuning.tuner import SearchTuner

    def build(hp):
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(hp["units"], activation="relu"),
                                  keras.layers.Dropout(0.2), keras.layers.Dense(3, activation="softmax")])
        model.compile(optimizer=keras.optimizers.Adam(hp["learning_rate"]), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    x, y = khp.datasets.load("iris")
    space = {"units": [4, 8, 16], "learning_rate": [1e-2, 3e-2], "epochs": 2, "batch_size": 32}
    out = {"backend": keras.backend.backend()}
    assert "jax" in SearchTuner.looks_ahead
    for name, backends in (("ahead", SearchTuner.looks_ahead), ("alone", ())):
        SearchTuner.looks_ahead = backends
        result = khp.tune(build, space, data=(x.astype("float32"), y), algorithm="random", max_trials=3, seed=0,
                          verbose=0, run=khp.RunFolder(sys.argv[1], name))
        out[name] = [[r.params, r.history["loss"], r.cost["ahead"]] for r in result.records]
    out["tensorflow"] = "tensorflow" in sys.modules
    print(json.dumps(out))
""")


@pytest.mark.subprocess
def test_under_jax_without_tensorflow_the_next_model_compiles_ahead_and_trains_as_in_its_turn(tmp_path, under_jax):
    out = under_jax(JAX_AHEAD, str(tmp_path), tensorflow=False)  # as on a GPU machine with JAX alone
    assert out["backend"] == "jax" and not out["tensorflow"]
    assert [a is not None for _, _, a in out["ahead"]] == [False, True, True]  # every JAX model compiles
    assert [a for _, _, a in out["alone"]] == [None, None, None]
    for (params, loss, _), (params_alone, loss_alone, _) in zip(out["ahead"], out["alone"], strict=True):
        assert params == params_alone
        np.testing.assert_allclose(loss, loss_alone, rtol=1e-6)


@pytest.mark.slow  # compiles an XLA model
def test_an_unseeded_search_draws_new_initial_weights_for_each_trial_built_ahead(tmp_path):
    kernels = []

    class FirstKernel(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            kernels.append(self.model.layers[0].kernel.numpy().copy())

    x, y = khp.datasets.load("iris")
    space = {"units": 8, "learning_rate": khp.Float(1e-3, 1e-1, log=True), "epochs": 1, "batch_size": 32}
    result = khp.tune(_xla_mlp, space, data=(x.astype("float32"), y), algorithm="random", max_trials=3,
                      verbose=0, callbacks=[FirstKernel()], run=khp.RunFolder(tmp_path, "unseeded"))
    assert [r.cost["ahead"] is not None for r in result.records] == [False, True, True]
    assert not np.array_equal(kernels[1], kernels[2])  # the random state is not rewound after a build ahead


@pytest.mark.slow  # compiles two XLA models
def test_the_next_models_build_is_its_cost_not_the_cost_of_the_trial_it_ran_beside(tmp_path):
    import time

    builds = []

    def slow_second_build(hp):
        builds.append(1)
        if len(builds) == 2:  # trial 1's model, built as trial 0's fit begins
            time.sleep(1.0)
        return _xla_mlp(hp)

    x, y = khp.datasets.load("iris")
    result = khp.tune(slow_second_build, SPACE, data=(x.astype("float32"), y), algorithm="random", max_trials=2,
                      seed=0, verbose=0, run=khp.RunFolder(tmp_path, "costs"))
    first, second = (r.cost for r in result.records)
    assert first["build"] < 1.0 and second["ahead"] >= 1.0
