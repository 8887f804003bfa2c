"""keras-tuner builders run as they are: the space read from `hp.Int(...)`
calls (conditional scopes and names declared in loops included), a
`keras_tuner.HyperModel` with its `fit`, and what does not carry over."""

from __future__ import annotations

import keras
import keras_tuner as kt
import numpy as np
import pytest

import kerashp as khp
from kerashp.builders.keras_tuner import Hyperparameters, read_space
from kerashp.space import Bool, Choice, Float, Int


def guide_build_model(hp):
    """keras.io's "Getting started with KerasTuner" builder, as written there."""
    model = keras.Sequential()
    model.add(keras.layers.Flatten())
    for i in range(hp.Int("num_layers", 1, 3)):  # Tune the number of layers.
        model.add(keras.layers.Dense(units=hp.Int(f"units_{i}", min_value=32, max_value=512, step=32),
                                     activation=hp.Choice("activation", ["relu", "tanh"])))
    if hp.Boolean("dropout"):
        model.add(keras.layers.Dropout(rate=0.25))
    model.add(keras.layers.Dense(10, activation="softmax"))
    learning_rate = hp.Float("lr", min_value=1e-4, max_value=1e-2, sampling="log")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def conditional_build(hp):
    """A conditional scope, as keras-tuner's docs write one."""
    model_type = hp.Choice("model_type", ["mlp", "linear"])
    layers = [keras.layers.Flatten()]
    with hp.conditional_scope("model_type", ["mlp"]):
        if model_type == "mlp":
            layers.append(keras.layers.Dense(hp.Int("units", 8, 32, step=8), activation="relu"))
    model = keras.Sequential([*layers, keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_the_guides_space_is_read_with_the_units_its_loop_declares():
    assert read_space(guide_build_model) == {
        "num_layers": Int(1, 3),
        "units_0": Int(32, 512, step=32),
        "activation": Choice(["relu", "tanh"]),
        "dropout": Bool(),
        "lr": Float(1e-4, 1e-2, log=True),
        "units_1": Int(32, 512, step=32),  # declared only when num_layers reaches 2 and 3
        "units_2": Int(32, 512, step=32),
    }


def test_a_conditional_scope_becomes_a_when():
    assert read_space(conditional_build) == {"model_type": Choice(["mlp", "linear"]),
                                             "units": Int(8, 32, step=8, when={"model_type": ["mlp"]})}


def test_every_keras_tuner_declaration_maps_to_a_kerashp_entry():
    def build(hp):
        hp.Int("log_units", 16, 256, sampling="log")
        hp.Int("powers", 2, 32, step=2, sampling="log")  # keras-tuner's log step multiplies
        hp.Float("rate", 0.0, 0.5, step=0.1)
        hp.Fixed("epochs", 3)
        return keras.Sequential([keras.layers.Dense(1)])

    assert read_space(build) == {"log_units": Int(16, 256, log=True), "powers": Choice([2, 4, 8, 16, 32]),
                                 "rate": Float(0.0, 0.5, step=0.1), "epochs": 3}


def test_a_dict_builder_is_not_read_and_reverse_log_is_refused_by_name():
    assert read_space(lambda hp: keras.Sequential([keras.layers.Dense(hp["units"])])) is None
    assert read_space(khp.builders.mlp) is None

    def build(hp):
        hp.Float("l2", 1e-6, 1e-2, sampling="reverse_log")
        return keras.Sequential([keras.layers.Dense(1)])

    with pytest.raises(khp.ArgumentError, match=r"'l2' is declared with sampling='reverse_log'"):
        read_space(build)


def test_in_a_trial_the_declarations_return_the_trials_values():
    hp = Hyperparameters({"model_type": "mlp", "units": 24})
    model = conditional_build(hp)
    assert [layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)] == [24, 10]
    linear = Hyperparameters({"model_type": "linear"})  # `units` inactive: None, as keras-tuner answers
    linear.Choice("model_type", ["mlp", "linear"])
    with linear.conditional_scope("model_type", ["mlp"]):
        assert linear.Int("units", 8, 32) is None
    missing = Hyperparameters({"units": 8})
    with pytest.raises(khp.InvalidModelError, match=r"hp.Int\('layers', \.\.\.\), but the space has no 'layers'"):
        missing.Int("layers", 1, 3)


@pytest.fixture(scope="module")
def digits_onehot():
    x, y = khp.datasets.load("digits")
    return x[:300], keras.utils.to_categorical(y[:300], 10)


@pytest.mark.slow
def test_the_guides_builder_searches_and_gives_its_best_model(digits_onehot, tmp_path):
    result = khp.tune(
        guide_build_model,
        data=digits_onehot,
        algorithm="random",
        max_trials=3,
        max_epochs=2,
        seed=1,
        verbose=0,
        run=khp.RunFolder(directory=tmp_path, name="guide"),
    )
    assert all(r.completed for r in result.records)
    assert set(result.trials.columns) >= {"num_layers", "units_0", "units_2", "activation", "dropout", "lr"}
    best = result.best_model
    layers = [layer for layer in best.layers if isinstance(layer, keras.layers.Dense)]
    assert len(layers) == result.best_params["num_layers"] + 1
    assert layers[0].units == result.best_params["units_0"]
    x, y = digits_onehot
    assert best.evaluate(x, y, verbose=0)[1] > 0.1


class GuideHyperModel(kt.HyperModel):
    """The guide's "tune model training" HyperModel: `fit` declares and reads hyperparameters."""

    fits = 0

    def build(self, hp):
        model = keras.Sequential([keras.layers.Dense(hp.Int("units", 8, 32, step=8), activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    def fit(self, hp, model, x, y, **kwargs):
        type(self).fits += 1
        if hp.Boolean("normalize"):
            x = keras.layers.Normalization()(x)  # adapted to nothing: the guide's own line
        return model.fit(x, y, shuffle=hp.Boolean("shuffle"), **kwargs)


class ScoredHyperModel(GuideHyperModel):
    """A fit hook that returns the objective it computes after training."""

    def fit(self, hp, model, x, y, validation_data=None, **kwargs):
        model.fit(x, y, **kwargs)
        return float(model.evaluate(*validation_data, verbose=0)[1]) / 2


@pytest.mark.slow
def test_a_hypermodel_tunes_its_fit_and_a_hook_may_return_its_own_score(tmp_path):
    x, y = khp.datasets.load("digits")
    x, y = x[:300], y[:300]
    GuideHyperModel.fits = 0
    result = khp.tune(
        GuideHyperModel(),
        data=(x.astype("float32"), y),
        algorithm="random",
        max_trials=3,
        max_epochs=2,
        seed=0,
        verbose=0,
        objective="val_accuracy",
        run=khp.RunFolder(directory=tmp_path, name="hm"),
    )
    assert {"units", "normalize", "shuffle"} <= set(result.best_params)
    # one a trial, and 4 with a stand-in model while reading the space: the defaults, units=32, normalize
    # and shuffle True
    assert GuideHyperModel.fits == 3 + 4
    assert all(r.completed and len(r.history["val_accuracy"]) == 2 for r in result.records)
    scored = khp.tune(
        ScoredHyperModel(),
        data=(x.astype("float32"), y),
        algorithm="random",
        max_trials=2,
        max_epochs=2,
        seed=0,
        verbose=0,
        objective="val_accuracy",
        run=khp.RunFolder(directory=tmp_path, name="scored"),
    )
    for record in scored.records:
        assert record.score <= 0.5 and record.history["val_accuracy"] == [record.score]


class Repeated(kt.HyperModel):
    """docs/migrating.md's recipe for keras-tuner's `executions_per_trial`."""

    def build(self, hp):
        model = keras.Sequential([keras.layers.Dense(hp.Int("units", 8, 16, step=8), activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    def fit(self, hp, model, *args, callbacks=None, **kwargs):
        scores = []
        for fresh in [self.build(hp), self.build(hp), model]:
            history = fresh.fit(*args, callbacks=callbacks if fresh is model else None, **kwargs)
            scores.append(max(history.history["val_accuracy"]))
        self.scores.append(scores)
        return sum(scores) / len(scores)


@pytest.mark.slow
def test_the_documented_repeat_recipe_scores_a_trial_by_its_mean(tmp_path):
    x, y = khp.datasets.load("digits")
    hypermodel = Repeated()
    hypermodel.scores = []
    result = khp.tune(
        hypermodel,
        data=(x[:300].astype("float32"), y[:300]),
        algorithm="grid",
        max_epochs=1,
        seed=0,
        verbose=0,
        objective="val_accuracy",
        run=khp.RunFolder(directory=tmp_path, name="repeated"),
    )
    trained = hypermodel.scores[-len(result.records):]  # after the space was read (with a stand-in model)
    assert [r.score for r in result.records] == pytest.approx([float(np.mean(s)) for s in trained])
    assert all(len(set(s)) > 1 for s in trained)  # three trainings from three initial weights


class Logged(kt.HyperModel):
    """A HyperModel whose `fit` notes what it trained on, and preprocesses its inputs as a trial's fit does."""

    calls: list = []

    def build(self, hp):
        model = keras.Sequential([keras.layers.Dense(hp.Int("units", 4, 8, step=4), activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      run_eagerly=True)
        return model

    def fit(self, hp, model, x, y, **kwargs):
        type(self).calls.append((hp["units"], len(x), kwargs.get("batch_size")))
        return model.fit(x * 2.0, y, **kwargs)


def test_a_refit_trains_through_the_hypermodels_fit_as_the_trials_did(tmp_path):
    x, y = khp.datasets.load("digits")
    x, y = x[:120].astype("float32"), y[:120]
    Logged.calls = []
    result = khp.tune(Logged(), data=khp.Data((x, y), cv=2), algorithm="random", max_trials=1, max_epochs=1, seed=0,
                      verbose=0, run=khp.RunFolder(tmp_path, "cv"))
    units = result.best_params["units"]
    # the two folds' fits, then the cross-validated search's refit on all the data: through the hook
    assert Logged.calls[-3:] == [(units, 60, None), (units, 60, None), (units, 120, None)]
    Logged.calls = []
    result.refit((x, y))  # and a refit after the search
    assert Logged.calls == [(units, 120, None)]
