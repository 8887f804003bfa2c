"""Searches: GridSearchCV with n_jobs=2, RandomizedSearchCV, successive halving."""

from __future__ import annotations

import pickle
import threading

import numpy as np
import pytest
import sklearn_helpers as helpers
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV, RandomizedSearchCV

import kerashp as khp
from kerashp.sklearn import KerasClassifier, param_distributions, param_grid

SPACE = {"units": [4, 16], "learning_rate": [0.003, 0.03], "epochs": 2, "batch_size": 32}


@pytest.mark.subprocess
def test_grid_search_n_jobs_2_matches_n_jobs_1():
    x, y = helpers.digits(300)
    est = KerasClassifier(helpers.tiny, random_state=0)
    grid = param_grid(SPACE)
    serial = GridSearchCV(est, grid, cv=2, n_jobs=1).fit(x, y)
    parallel = GridSearchCV(est, grid, cv=2, n_jobs=2).fit(x, y)  # joblib's default: loky
    assert parallel.best_params_ == serial.best_params_
    np.testing.assert_allclose(
        parallel.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"], atol=1e-6
    )
    assert serial.best_params_["units"] == 16 and serial.best_params_["learning_rate"] == 0.03


def test_unpicklable_builder_under_n_jobs_2_says_why():
    lock = threading.Lock()

    def build(hp):
        with lock:
            return helpers.tiny(hp)

    x, y = helpers.iris()
    gs = GridSearchCV(KerasClassifier(build), {"units": [4, 8]}, cv=2, n_jobs=2)
    with pytest.raises(pickle.PicklingError) as info:
        gs.fit(x, y)
    chain = []
    err: BaseException | None = info.value
    while err is not None:
        chain.append(str(err))
        err = err.__cause__ or err.__context__
    assert any("cannot be pickled because its build_fn" in text and "n_jobs=1" in text for text in chain)


@pytest.mark.slow
def test_randomized_search_with_param_distributions():
    x, y = helpers.iris()
    space = {
        "units": khp.Int(4, 32, log=True),
        "learning_rate": khp.Float(1e-3, 1e-1, log=True),
        "optimizer": ["adam", "sgd"],
        "momentum": khp.Float(0.0, 0.9, step=0.45, when={"optimizer": "sgd"}),
    }
    rs = RandomizedSearchCV(
        KerasClassifier(helpers.tiny, epochs=1, random_state=0),
        param_distributions(space),
        n_iter=3,
        cv=2,
        random_state=0,
    ).fit(x, y)
    for params in rs.cv_results_["params"]:
        assert 4 <= params["units"] <= 32 and isinstance(params["units"], int)
        assert ("momentum" in params) == (params["optimizer"] == "sgd")


@pytest.mark.slow
def test_halving_grid_search_over_epochs():
    x, y = helpers.digits(240)
    search = HalvingGridSearchCV(
        KerasClassifier(helpers.tiny, random_state=0, learning_rate=0.03),
        {"units": [2, 4, 16]},
        resource="epochs",
        min_resources=1,
        max_resources=3,
        factor=3,
        cv=2,
    ).fit(x, y)
    assert search.n_resources_ == [1, 3]
    assert search.n_candidates_ == [3, 1]
    assert sorted(search.cv_results_["param_epochs"].tolist()) == [1, 1, 1, 3]
    assert search.best_estimator_.epochs == 3
    assert len(search.best_estimator_.history_["loss"]) == 3


def test_a_pipeline_step_is_searched_with_prefixed_keys():
    space = {"units": [4, 8], "optimizer": ["adam", "sgd"],
             "momentum": khp.Choice([0.0, 0.9], when={"optimizer": "sgd"})}
    grid = param_grid(space, step="model")
    assert grid == [{"model__units": [4, 8], "model__optimizer": ["adam"]},
                    {"model__units": [4, 8], "model__optimizer": ["sgd"], "model__momentum": [0.0, 0.9]}]
    assert set(param_distributions({"units": khp.Int(4, 8)}, step="model")) == {"model__units"}
    with pytest.raises(khp.ArgumentError, match=r"`step` must be the name of the estimator's step.*Received: step=3"):
        param_grid(space, step=3)


@pytest.mark.slow  # four traced fits: about the fast tier's 5 s of CPU under load
def test_a_pipelines_step_gets_each_searched_value():
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = helpers.iris()
    pipe = Pipeline([("scale", StandardScaler()), ("model", KerasClassifier(helpers.tiny, epochs=1, random_state=0))])
    gs = GridSearchCV(pipe, param_grid({"units": [4, 8]}, step="model"), cv=2, refit=False).fit(x, y)
    assert [p["model__units"] for p in gs.cv_results_["params"]] == [4, 8]  # the step's estimator got each value
    assert gs.best_params_["model__units"] in (4, 8) and not np.isnan(gs.cv_results_["mean_test_score"]).any()
