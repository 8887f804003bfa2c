"""Every hyperparameter reaches something: keys nothing read are reported."""

from __future__ import annotations

import warnings

import keras
import pytest

import kerashp as khp
from kerashp.builders._calling import ReadKeys, unread_warning


def guide_builder(hp):
    """keras.io's guide returns its model compiled with its own `lr`; this one
    returns it uncompiled, so kerashp compiles it from `learning_rate`."""
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(hp["units"], activation="relu"),
                             keras.layers.Dense(3, activation="softmax")])


def test_lookups_read_a_key_and_copies_read_them_all():
    params = ReadKeys({"units": 8, "lr": 0.01, "dropout": 0.1})
    params["units"], params.get("nope"), "dropout" in params  # noqa: B018
    assert params.read == {"units", "nope", "dropout"}
    assert params.plain() == {"units": 8, "lr": 0.01, "dropout": 0.1} and "lr" not in params.read
    message = unread_warning(params, guide_builder)
    assert "'lr' reached nothing" in message and "received lr=0.01" in message
    assert "Did you mean 'learning_rate'?" in message and "when={...}" in message
    copied = ReadKeys({"a": 1, "b": 2})
    {**copied}  # noqa: B018 - a builder passing the dict on may use any key
    assert unread_warning(copied, guide_builder) is None


@pytest.mark.slow
def test_a_search_reports_a_key_nothing_reads_and_not_one_a_callback_reads(tmp_path):
    x, y = khp.datasets.load("iris")
    space = {"units": [4, 8], "lr": khp.Float(1e-3, 1e-1, log=True), "epochs": 1}
    with pytest.warns(UserWarning, match=r"'lr' reached nothing in the first trial.*Did you mean 'learning_rate'"):
        khp.tune(
            guide_builder,
            space,
            data=(x, y),
            algorithm="random",
            max_trials=2,
            seed=0,
            verbose=0,
            run=khp.RunFolder(directory=tmp_path, name="lr"),
        )

    def schedule(hp):
        return [keras.callbacks.ReduceLROnPlateau(patience=hp["patience"])]

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        khp.tune(
            guide_builder,
            {"units": [4], "patience": [1, 2], "epochs": 1},
            data=(x, y),
            algorithm="grid",
            callbacks=schedule,
            verbose=0,
            run=khp.RunFolder(directory=tmp_path, name="patience"),
        )
