"""After the search: `refit` on all the data, `test_data=` / `evaluate`, `export`."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerashp as khp
from kerashp.tuning.best_model import refit_epochs, trained_samples

SPACE = {"units": [8, 16], "layers": 1, "learning_rate": 0.01, "batch_size": 50, "epochs": 3}


@pytest.fixture(scope="module")
def digits_split():
    """Digits shuffled (they are stored in order), 400 to search on and 200 held out."""
    x, y = khp.datasets.load("digits")
    order = np.random.default_rng(0).permutation(len(x))[:600]
    x, y = x[order], y[order]
    return (x[:400], y[:400]), (x[400:], y[400:])


@pytest.fixture(scope="module")
def searched(digits_split, tmp_path_factory):
    train, test = digits_split
    return khp.tune(
        khp.builders.mlp,
        SPACE,
        data=khp.Data(train, test=test),
        algorithm="grid",
        seed=0,
        verbose=0,
        objective="val_accuracy",
        run=khp.RunFolder(directory=tmp_path_factory.mktemp("final"), name="run"),
    )


def test_the_best_model_is_scored_on_the_test_data(searched, digits_split):
    _, (x_test, y_test) = digits_split
    scores = searched.test_scores
    _, accuracy = searched.best_model.evaluate(x_test, y_test, verbose=0)
    assert scores["accuracy"] == pytest.approx(accuracy, abs=1e-6) and scores["accuracy"] > 0.5
    assert khp.load_result(searched.path).test_scores == scores  # kept in run.json
    assert "best model on the test data: accuracy=" in searched.summary()
    assert searched.evaluate((x_test, y_test)) == pytest.approx(scores)


def test_refit_trains_the_best_configuration_on_training_and_validation_data(searched, digits_split):
    (x, y), _ = digits_split
    best = searched.best_trial
    model = searched.refit(data=(x, y))
    # every one of the 400 samples, in batches of 50, for the steps of the best trial's best epoch count
    assert int(model.optimizer.iterations) == refit_epochs(best.best_epoch, 320, 400, 50) * 400 // 50
    assert model is not searched.best_model
    assert searched.evaluate((x, y), model=model)["accuracy"] > 0.5
    assert model.layers[-1].units == 10 and best.params["units"] == model.layers[-2].units
    with pytest.raises(khp.exceptions.ArgumentError, match=r"refit\(\) needs them again: result.refit\(data=\.\.\.\)"):
        searched.refit()  # the run does not keep arrays
    with pytest.raises(khp.exceptions.DataError, match=r"classes \[0, 1\], the search had \[0, 1, 2"):
        searched.refit(data=(x[y < 2], y[y < 2]))


@pytest.mark.slow  # the fast tier: the step count of test_refit_trains_... and refit_epochs's cases
def test_refit_takes_as_many_gradient_steps_as_the_best_trial_took_to_its_best_epoch(digits_split, tmp_path):
    (x, y), _ = digits_split
    space = {**SPACE, "units": 8, "learning_rate": 1e-3, "epochs": 8}
    result = khp.tune(
        khp.builders.mlp,
        space,
        data=(x, y),
        algorithm="grid",
        seed=0,
        verbose=0,
        objective="loss",
        run=khp.RunFolder(directory=tmp_path, name="steps"),
    )
    best = result.best_trial
    assert best.best_epoch == 8 and result.settings["spec"]["num_samples"] == 320  # the 80 % part
    # the trial: 8 epochs of 7 batches of 50 over 320 samples, 56 steps; the refit: 7 epochs of 8 over all 400
    assert int(result.refit(data=(x, y)).optimizer.iterations) == 56  # keeping the epochs: 64


def test_refit_epochs_keep_the_steps_and_the_epochs_when_a_size_is_unknown():
    assert refit_epochs(50, 800, 1000, 100) == 40
    assert refit_epochs(3, 320, 400, 50) == 3 and refit_epochs(1, 80, 100, 10) == 1  # at least one epoch
    assert refit_epochs(50, None, 1000, 100) == 50 and refit_epochs(50, 800, None, 100) == 50  # tf.data
    assert trained_samples({"spec": {"num_samples": 800}}) == 800
    assert trained_samples({"spec": {"num_samples": 1000}, "cv": 5}) == 800  # a fold's training part
    assert trained_samples({"spec": {"num_samples": None}}) is None


def test_refit_reloads_a_named_dataset(tmp_path):
    result = khp.tune(
        khp.builders.mlp,
        {"units": 8, "batch_size": 30, "epochs": 2},
        data="iris",
        algorithm="grid",
        seed=0,
        verbose=0,
        run=khp.RunFolder(directory=tmp_path, name="iris"),
    )
    model = result.refit(epochs=1)
    assert int(model.optimizer.iterations) == 150 // 30  # all 150 iris samples, one epoch


def test_export_writes_a_keras_file_that_loads_back(searched, digits_split, tmp_path):
    _, (x_test, _) = digits_split
    path = searched.export(tmp_path / "best.keras")
    loaded = keras.models.load_model(path)  # safe mode
    np.testing.assert_allclose(loaded.predict(x_test[:8], verbose=0),
                               searched.best_model.predict(x_test[:8], verbose=0), rtol=1e-5)
    with pytest.raises(khp.exceptions.ArgumentError, match=r"must end in .keras.*Use '.*best.keras'"):
        searched.export(tmp_path / "best.h5")


@pytest.mark.parametrize(
    ("test_data", "match"),
    [
        ((np.zeros((5, 8)), np.zeros(5, int)), r"`x_test` has samples of shape \(8,\), the search trained on \(64,\)"),
        ((np.zeros((5, 64)), np.full(5, 11)), r"Labels \[11\] do not occur in the training labels"),
        ((np.zeros((5, 64)), np.zeros(4, int)), r"`x_test` and `y_test` differ in length"),
        (np.zeros((5, 64)), r"`Data\(test=...\)` must be \(x_test, y_test\) or a tf.data.Dataset"),
    ],
)
def test_bad_test_data_is_refused_before_training(test_data, match, digits_split, tmp_path):
    train, _ = digits_split
    with pytest.raises(khp.exceptions.DataError, match=match):
        khp.tune(
            khp.builders.mlp,
            SPACE,
            data=khp.Data(train, test=test_data),
            verbose=0,
            run=khp.RunFolder(directory=tmp_path, name="bad"),
        )
    assert not (tmp_path / "bad" / "trials").exists() or not list((tmp_path / "bad" / "trials").iterdir())


@pytest.mark.slow  # the default space's largest models; builders/test_spaces.py checks the space itself
def test_without_a_space_the_builders_default_space_is_searched(tmp_path):
    from kerashp.builders import default_space

    x, y = khp.datasets.load("iris")
    result = khp.tune(
        khp.builders.mlp,
        data=(x, y),
        algorithm="random",
        max_trials=1,
        max_epochs=1,
        seed=0,
        verbose=0,
        run=khp.RunFolder(directory=tmp_path, name="default"),
    )
    searched = khp.space.Space.from_config(result.settings["space"])
    expected = khp.space.as_space(default_space(khp.builders.mlp, khp.datasets.prepare((x, y), seed=0).spec))
    assert searched.to_config() == expected.to_config()
    assert {"layers", "units", "learning_rate"} <= set(result.trials.columns)


def test_without_a_space_a_builder_of_ones_own_is_refused_before_training(tmp_path):
    with pytest.raises(khp.exceptions.ArgumentError, match=r"default_space knows the built-in builders"):
        khp.tune(lambda hp: None, data="iris", verbose=0, run=khp.RunFolder(directory=tmp_path, name="mine"))
    assert not (tmp_path / "mine").exists()
