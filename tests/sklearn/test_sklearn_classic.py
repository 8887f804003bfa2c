"""The classic recipe: `create_model(optimizer=..., init=...)` builders, taken by
name, in `KerasClassifier(build_fn=create_model)` and `GridSearchCV`."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import sklearn_helpers as helpers
from sklearn.model_selection import GridSearchCV

from kerashp.exceptions import ArgumentError, InvalidModelError
from kerashp.sklearn import KerasClassifier

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BUILT: list[dict] = []


def create_model(optimizer="rmsprop", init="glorot_uniform"):
    BUILT.append({"optimizer": optimizer, "init": init})
    model = keras.Sequential()
    model.add(keras.Input(shape=(64,)))
    model.add(keras.layers.Rescaling(1.0 / 16))
    model.add(keras.layers.Dense(8, kernel_initializer=init, activation="relu"))
    model.add(keras.layers.Dense(10, kernel_initializer=init, activation="softmax"))
    model.compile(loss="sparse_categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    return model


def binary_model(learning_rate=0.001):
    model = keras.Sequential([keras.Input(shape=(30,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  metrics=["accuracy"])
    return model


def breast_cancer(n: int = 200):
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return x[:n].astype("float32"), y[:n]


@pytest.mark.slow
def test_the_classic_grid_search_runs_unchanged():
    x, y = helpers.digits(240)
    BUILT.clear()
    model = KerasClassifier(build_fn=create_model, verbose=0, random_state=0)
    param_grid = dict(optimizer=["sgd", "adam"], epochs=[1, 2], batch_size=[64], init=["he_normal"])
    grid = GridSearchCV(estimator=model, param_grid=param_grid, cv=2, error_score="raise").fit(x, y)
    assert set(grid.best_params_) == {"optimizer", "epochs", "batch_size", "init"}
    assert {b["optimizer"] for b in BUILT} == {"sgd", "adam"} and {b["init"] for b in BUILT} == {"he_normal"}
    best = grid.best_estimator_
    assert type(best.model_.optimizer).__name__.lower() == grid.best_params_["optimizer"]
    assert best.current_epoch == grid.best_params_["epochs"]  # epochs went to fit
    assert grid.predict(x[:5]).shape == (5,)


@pytest.mark.slow
def test_the_binary_learning_rate_recipe_uses_each_learning_rate():
    x, y = breast_cancer()
    est = KerasClassifier(build_fn=binary_model, epochs=1, batch_size=64, verbose=0, random_state=0)
    grid = GridSearchCV(est, {"learning_rate": [1e-3, 3e-2]}, cv=2, error_score="raise").fit(x, y)
    assert float(grid.best_estimator_.model_.optimizer.learning_rate) == pytest.approx(
        grid.best_params_["learning_rate"]
    )
    assert grid.best_estimator_.predict_proba(x[:3]).shape == (3, 2)


def test_a_hyperparameter_the_builder_does_not_take_is_refused_before_training():
    x, y = helpers.digits(100)
    BUILT.clear()
    with pytest.raises(ArgumentError, match=r"'units' would reach nothing.*create_model"):
        KerasClassifier(create_model, units=16, epochs=1).fit(x, y)
    assert BUILT == []


def test_a_learning_rate_the_builder_would_ignore_is_refused():
    x, y = helpers.digits(100)
    est = KerasClassifier(create_model, learning_rate=0.1, epochs=1)
    with pytest.raises(InvalidModelError, match=r"learning_rate=0\.1 would be silently ignored"):
        est.fit(x, y)
    assert not hasattr(est, "history_")


def test_an_uncompiled_classic_model_is_compiled_from_the_compile_keys():
    def build(units=8):
        return keras.Sequential([keras.Input((64,)), keras.layers.Dense(units), keras.layers.Dense(10, "softmax")])

    x, y = helpers.digits(100)
    est = KerasClassifier(build, units=4, optimizer="sgd", learning_rate=0.05, epochs=1).fit(x, y)
    assert isinstance(est.model_.optimizer, keras.optimizers.SGD)
    assert float(est.model_.optimizer.learning_rate) == pytest.approx(0.05)
    assert est.model_.layers[0].units == 4


@pytest.mark.e2e
@pytest.mark.parametrize("name", ["classic_create_model.py", "classic_learning_rate.py"])
def test_the_classic_examples_run(name, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [name, "--quick", "--n-jobs", "1"])
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    out = capsys.readouterr().out
    assert "Best: " in out
    if name == "classic_learning_rate.py":
        assert "kerashp.tune best:" in out and "'learning_rate'" in out
        assert (tmp_path / "kerashp_runs" / "classic-learning-rate" / "run.json").exists()
    else:
        assert "'init': 'uniform'" in out and np.isfinite(float(out.split("Best: ")[1].split()[0]))
