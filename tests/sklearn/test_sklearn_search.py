"""Searches: GridSearchCV with n_jobs=2, RandomizedSearchCV, successive halving, tune's cv backend."""

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
from kerashp.tuning.cv import search_cv

SPACE = {"units": [4, 16], "learning_rate": [0.003, 0.03], "epochs": 2, "batch_size": 32}


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


# ------------------------------------------------------- tune(cv=k) backend
def test_search_cv_grid_returns_records_with_fold_scores():
    x, y = helpers.iris()
    space = {"units": [4, 8], "learning_rate": 0.05, "epochs": 2}
    records, best = search_cv(
        helpers.tiny, space, x, y, algorithm="grid", cv=3, seed=0, objective="val_accuracy"
    )
    assert [r["trial_id"] for r in records] == ["00", "01"]
    for record in records:
        assert record["status"] == "COMPLETED" and record["error"] is None
        assert record["params"] == {"units": record["params"]["units"], "learning_rate": 0.05, "epochs": 2}
        assert len(record["fold_scores"]) == 3
        assert record["score"] == pytest.approx(np.mean(record["fold_scores"]))
        assert record["score_std"] == pytest.approx(np.std(record["fold_scores"]))
        assert 0.0 <= record["score"] <= 1.0 and record["seconds"] > 0
    winner = max(records, key=lambda r: r["score"])
    assert best.units == winner["params"]["units"] and hasattr(best, "model_")


def test_search_cv_loss_objective_is_a_positive_loss_and_random_is_seeded():
    x, y = helpers.iris()
    space = {"units": khp.Int(4, 16), "learning_rate": khp.Float(1e-2, 1e-1, log=True), "epochs": 1}
    first, _ = search_cv(helpers.tiny, space, x, y, algorithm="random", cv=2, max_trials=2, seed=3)
    again, _ = search_cv(helpers.tiny, space, x, y, algorithm="random", cv=2, max_trials=2, seed=3)
    assert [r["params"] for r in first] == [r["params"] for r in again]
    assert all(r["score"] > 0 for r in first)  # log loss, lower is better, not sklearn's negated one
    np.testing.assert_allclose([r["score"] for r in first], [r["score"] for r in again], rtol=1e-5)


def test_search_cv_marks_failed_candidates():
    x, y = helpers.iris()
    records, best = search_cv(
        helpers.tiny, {"optimizer": ["adam", "nope"], "epochs": 1}, x, y,
        algorithm="grid", cv=2, objective="val_accuracy",
    )
    by_opt = {r["params"]["optimizer"]: r for r in records}
    assert by_opt["adam"]["status"] == "COMPLETED"
    assert by_opt["nope"]["status"] == "FAILED" and by_opt["nope"]["score"] is None
    assert "Unknown optimizer" in by_opt["nope"]["error"]
    assert best.optimizer == "adam"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cv": 1}, r"Argument `cv` must be >= 2. Received: cv=1"),
        ({"cv": 2.5}, r"Argument `cv` must be an integer number of folds >= 2. Received: cv=2.5"),
        ({"cv": 2, "algorithm": "bayesian"}, r"use algorithm='grid' or 'random'. Received: algorithm='bayesian'"),
        ({"cv": 2, "objective": "val_precision"}, r"no equivalent of the objective 'val_precision'"),
    ],
)
def test_search_cv_argument_errors(kwargs, message):
    x, y = helpers.iris()
    kwargs = {"algorithm": "grid", **kwargs}
    with pytest.raises(khp.KerashpError, match=message):
        search_cv(helpers.tiny, {"units": [4]}, x, y, **kwargs)
