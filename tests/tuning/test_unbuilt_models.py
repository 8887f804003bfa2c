"""Builders that return a model without weights yet (keras-tuner's guide's
`keras.Sequential()` with no `keras.Input`), and failures after the search."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerashp as khp


def guide_builder(hp):
    """As keras.io's "Getting started with KerasTuner" writes it (iris in place of MNIST)."""
    model = keras.Sequential()
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(units=hp["units"], activation="relu"))
    model.add(keras.layers.Dense(3, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def iris_split():
    x, y = khp.datasets.load("iris")
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order].astype("float32"), y[order]
    return (x[:120], y[:120]), (x[120:], y[120:])


def test_an_unbuilt_sequential_gives_a_best_model_and_test_scores(iris_split, tmp_path):
    train, test = iris_split
    result = khp.tune(
        guide_builder,
        {"units": [4, 8], "epochs": 2},
        data=khp.Data(train, test=test),
        algorithm="grid",
        seed=0,
        verbose=0,
        run=khp.RunFolder(directory=tmp_path, name="guide"),
    )
    assert set(result.settings["test"]) >= {"accuracy", "loss"}
    model = result.best_model
    assert model.built and model.evaluate(*test, verbose=0)[1] == pytest.approx(result.settings["test"]["accuracy"])
    assert khp.load_result(tmp_path / "guide", build_fn=guide_builder).load_model(0).built
    assert [r.cost["reused"] for r in result.records] == [False, False]  # 4 and 8 units: two graphs


def test_a_failure_after_the_search_names_the_step_and_keeps_the_run(iris_split, tmp_path, monkeypatch):
    from kerashp.tuning import best_model as final

    def broken(model, data):
        raise RuntimeError("the metric server is down")

    monkeypatch.setattr(final, "test_metrics", broken)
    train, test = iris_split
    with pytest.raises(khp.KerashpError, match=r"The search finished and its trials are saved in .*guide, but "
                                               r"scoring the best model on the test data failed: RuntimeError: the "
                                               r"metric server is down.*load_result"):
        khp.tune(
            guide_builder,
            {"units": [4], "epochs": 1},
            data=khp.Data(train, test=test),
            algorithm="grid",
            verbose=0,
            run=khp.RunFolder(directory=tmp_path, name="guide"),
        )
    assert [r.completed for r in khp.load_result(tmp_path / "guide").records] == [True]
