"""The next trial's model built and compiled while one trains (`kerashp.tuning.ahead`)."""

from __future__ import annotations

import json

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


def _search(path, name, if_exists="error", **options):
    x, y = khp.datasets.load("iris")
    return khp.tune(_xla_mlp, SPACE, data=(x.astype("float32"), y), algorithm="random", max_trials=3, seed=0,
                    verbose=0, run=khp.RunFolder(path, name, if_exists=if_exists), **options)


@pytest.mark.slow  # compiles six XLA models
def test_a_trial_prepared_ahead_trains_exactly_as_one_built_in_its_turn(tmp_path, monkeypatch):
    ahead = _search(tmp_path, "ahead")
    assert [r.cost["ahead"] is not None for r in ahead.records] == [False, True, True]
    assert all(r.cost["ahead"] > 0 for r in ahead.records[1:])
    monkeypatch.setattr(SearchTuner, "looks_ahead", False)
    alone = _search(tmp_path, "alone")
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
