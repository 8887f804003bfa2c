"""`kerashp.tune` (and the command line) with builders written the classic way:
hyperparameters as named arguments with defaults."""

from __future__ import annotations

import keras
import pytest

import kerashp as khp
from kerashp import cli
from kerashp.exceptions import ArgumentError, InvalidModelError

pytestmark = pytest.mark.slow


def create_model(optimizer="rmsprop", init="glorot_uniform"):
    model = keras.Sequential([keras.Input(shape=(64,)), keras.layers.Rescaling(1.0 / 16),
                              keras.layers.Dense(8, kernel_initializer=init, activation="relu"),
                              keras.layers.Dense(10, kernel_initializer=init, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    return model


class CountFits(keras.callbacks.Callback):
    fits = 0

    def on_train_begin(self, logs=None):
        CountFits.fits += 1


def test_tune_searches_a_classic_builder(digits_small, tmp_path):
    space = {"optimizer": ["adam", "sgd"], "init": ["he_normal"], "batch_size": 64, "epochs": 1}
    result = khp.tune(
        create_model,
        space,
        data=digits_small,
        algorithm="grid",
        objective="val_accuracy",
        verbose=0,
        seed=0,
        run=khp.RunFolder(directory=tmp_path, name="classic"),
    )
    trials = result.trials
    assert (trials["status"] == "COMPLETED").all() and set(trials["optimizer"]) == {"adam", "sgd"}
    best = result.best_model  # rebuilt through the same rule
    assert type(best.optimizer).__name__.lower() == result.best_params["optimizer"]
    assert isinstance(best.layers[1].kernel_initializer, keras.initializers.HeNormal)


def test_tune_refuses_a_key_the_builder_does_not_take_before_training(digits_small, tmp_path):
    with pytest.raises(ArgumentError, match=r"'units' would reach nothing.*create_model"):
        khp.tune(
            create_model,
            {"units": [8, 16], "optimizer": "adam"},
            data=digits_small,
            verbose=0,
            run=khp.RunFolder(directory=tmp_path, name="unknown"),
        )
    assert not (tmp_path / "unknown").exists()


def test_tune_stops_at_the_first_build_when_learning_rate_would_be_ignored(digits_small, tmp_path):
    CountFits.fits = 0
    with pytest.raises(InvalidModelError, match=r"'learning_rate'.*silently ignored"):
        khp.tune(
            create_model,
            {"learning_rate": [0.001, 0.01], "init": "he_normal", "epochs": 1},
            data=digits_small,
            algorithm="grid",
            verbose=0,
            callbacks=[CountFits()],
            run=khp.RunFolder(directory=tmp_path, name="ignored"),
        )
    assert CountFits.fits == 0


def test_the_command_line_takes_a_classic_module_function_builder(digits_small, tmp_path, monkeypatch, capsys):
    (tmp_path / "search.yaml").write_text(
        "builder: test_tune_classic:create_model\ndata: digits\nalgorithm: grid\nobjective: val_accuracy\n"
        "run: {name: cli-classic}\nseed: 0\nspace:\n  optimizer: [adam, sgd]\n  init: uniform\n  epochs: 1\n"
        "  batch_size: 128\n"
    )
    monkeypatch.chdir(tmp_path)  # the builder is this module's, imported by name as pytest imported it
    assert cli.main(["tune", "search.yaml", "--directory", str(tmp_path / "runs")]) == 0
    result = khp.load_result(tmp_path / "runs" / "cli-classic")  # the builder, imported again by name
    assert len(result.trials) == 2
    assert type(result.best_model.optimizer).__name__.lower() == result.best_params["optimizer"]
