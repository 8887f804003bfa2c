"""param_grid / param_distributions: the dict space as scikit-learn search parameters."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import ParameterGrid, ParameterSampler

import kerashp as khp
from kerashp.sklearn import param_distributions, param_grid

CONDITIONAL = {
    "units": [16, 32],
    "optimizer": ["adam", "sgd", "rmsprop"],
    "momentum": khp.Choice([0.0, 0.9], when={"optimizer": ["sgd", "rmsprop"]}),
    "nesterov": khp.Bool(when={"optimizer": "sgd"}),
    "epochs": 5,
}


def _combos(points) -> set:
    return {tuple(sorted(p.items())) for p in points}


def test_plain_space_gives_one_dict_of_lists():
    grid = param_grid({"units": khp.Int(1, 3), "activation": ["relu", "tanh"], "lr": 0.1})
    assert grid == {"units": [1, 2, 3], "activation": ["relu", "tanh"], "lr": [0.1]}


def test_conditional_space_gives_exactly_the_space_grid():
    grid = param_grid(CONDITIONAL)
    assert isinstance(grid, list)
    points = list(ParameterGrid(grid))
    expected = list(khp.Space(CONDITIONAL).grid())
    assert len(points) == len(expected) == 2 * (1 + 2 * 2 + 2)
    assert _combos(points) == _combos(expected)
    # No impossible combination: momentum never comes with adam.
    assert all("momentum" not in p for p in points if p["optimizer"] == "adam")


def test_continuous_range_is_an_error_that_says_what_to_do():
    space = {"learning_rate": khp.Float(1e-4, 1e-1, log=True)}
    with pytest.raises(khp.SpaceError, match=r"'learning_rate' is a continuous range .* grid_points=N"):
        param_grid(space)
    grid = param_grid(space, grid_points=4)
    np.testing.assert_allclose(grid["learning_rate"], [1e-4, 1e-3, 1e-2, 1e-1])
    assert param_grid({"dropout": khp.Float(0.0, 0.5)}, grid_points=3) == {"dropout": [0.0, 0.25, 0.5]}
    with pytest.raises(khp.ArgumentError, match=r"Argument `grid_points` must be an integer >= 2. Received: "
                                                r"grid_points=1"):
        param_grid(space, grid_points=1)


def test_distributions_use_scipy_log_uniform_and_keep_ints_ints():
    dists = param_distributions(
        {
            "learning_rate": khp.Float(1e-4, 1e-1, log=True),
            "dropout": khp.Float(0.0, 0.5),
            "units": khp.Int(16, 512, log=True),
            "layers": khp.Int(1, 3),
            "activation": ["relu", "tanh"],
            "epochs": 5,
        }
    )
    assert dists["learning_rate"].dist.name == "loguniform"
    assert dists["dropout"].dist.name == "uniform"
    assert dists["activation"] == ["relu", "tanh"] and dists["epochs"] == [5]
    samples = list(ParameterSampler(dists, n_iter=200, random_state=0))
    lrs = np.array([s["learning_rate"] for s in samples])
    assert lrs.min() >= 1e-4 and lrs.max() <= 1e-1
    assert (lrs < 1e-2).mean() > 0.5  # log-uniform: two of three decades lie below 1e-2
    units = [s["units"] for s in samples]
    layers = [s["layers"] for s in samples]
    assert all(type(u) is int for u in units + layers)
    assert min(units) >= 16 and max(units) <= 512 and sorted(set(layers)) == [1, 2, 3]
    assert np.median(units) < 150  # log-uniform median is ~ sqrt(16 * 512) = 90


def test_conditional_distributions_never_sample_inactive_entries():
    dists = param_distributions({**CONDITIONAL, "learning_rate": khp.Float(1e-3, 1e-1, log=True)})
    samples = list(ParameterSampler(dists, n_iter=60, random_state=0))
    assert {s["optimizer"] for s in samples} == {"adam", "sgd", "rmsprop"}
    for s in samples:
        assert ("momentum" in s) == (s["optimizer"] != "adam")
        assert ("nesterov" in s) == (s["optimizer"] == "sgd")
        assert 1e-3 <= s["learning_rate"] <= 1e-1


def test_conditions_on_a_continuous_range_are_refused():
    space = {"dropout": khp.Float(0.0, 0.5), "units": khp.Choice([8, 16], when={"dropout": 0.25})}
    message = r"'units' depends on 'dropout', a continuous Float"
    with pytest.raises(khp.SpaceError, match=message):
        param_distributions(space)
    with pytest.raises(khp.SpaceError, match=message):
        param_grid(space, grid_points=3)
