"""The dict space as keras-tuner `HyperParameters`: what its oracles search."""

from __future__ import annotations

import keras_tuner as kt

import kerashp as khp
from kerashp.algorithms._keras_tuner import declare, to_values
from kerashp.space import Space

SPACE = {
    "units": khp.Int(16, 512, log=True),
    "optimizer": ["adam", "sgd"],
    "momentum": khp.Float(0.0, 0.99, when={"optimizer": "sgd"}),
    "rate": [1, 0.5],
    "epochs": 30,
}


def test_declaration_uses_conditional_scopes():
    space = Space(SPACE)
    hp = kt.HyperParameters()
    declare(space, hp)
    by_name = {h.name: h for h in hp.space}
    assert set(by_name) == set(space.searched)
    assert by_name["units"].sampling == "log"
    assert by_name["momentum"].conditions[0].name == "optimizer"
    assert list(by_name["momentum"].conditions[0].values) == ["sgd"]
    hp.values["optimizer"] = "adam"
    assert not hp.is_active("momentum")
    hp.values["optimizer"] = "sgd"
    assert hp.is_active("momentum")
    assert space.complete({**hp.values, "optimizer": "adam"}).keys() == set(SPACE) - {"momentum"}


def test_random_draws_of_a_keras_tuner_oracle_honour_ranges_and_conditions():
    space = Space(SPACE)
    oracle = kt.oracles.RandomSearchOracle(objective=kt.Objective("score", "max"), max_trials=200, seed=1)
    hp = oracle.get_space()
    declare(space, hp)
    oracle.update_space(hp)
    draws = [space.complete(oracle._random_values()) for _ in range(200)]
    assert all(("momentum" in d) == (d["optimizer"] == "sgd") for d in draws)
    assert all(isinstance(d["units"], int) and 16 <= d["units"] <= 512 for d in draws)
    assert all(0.0 <= d["momentum"] <= 0.99 for d in draws if "momentum" in d)
    assert {d["rate"] for d in draws} == {1.0, 0.5}


def test_values_of_a_completed_point_are_the_searched_active_entries():
    space = Space(SPACE)
    values = to_values(space, {"units": 32, "optimizer": "adam", "rate": 1, "epochs": 30})
    assert values == {"units": 32, "optimizer": "adam", "rate": 1.0}
    assert isinstance(values["rate"], float)
