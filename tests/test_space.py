"""The dict space: parsing, validation messages, conditionals, grid, sampling, keras-tuner."""

from __future__ import annotations

import pytest

import kerashp as khp
from kerashp.space import Space

SPACE = {
    "layers": khp.Int(1, 3),
    "units": khp.Int(16, 512, log=True),
    "activation": ["relu", "gelu", "tanh"],
    "dropout": (0.0, 0.5),
    "learning_rate": khp.Float(1e-4, 1e-1, log=True),
    "optimizer": ["adam", "sgd"],
    "momentum": khp.Float(0.0, 0.99, when={"optimizer": "sgd"}),
    "batch_size": [32, 64, 128],
    "epochs": 30,
}


def test_plain_values_become_entries():
    space = Space(SPACE)
    assert space.entries["activation"] == khp.Choice(["relu", "gelu", "tanh"])
    assert space.entries["dropout"] == khp.Float(0.0, 0.5)
    assert space.entries["epochs"] == khp.Fixed(30)
    assert Space({"n": (1, 4)}).entries["n"] == khp.Int(1, 4)
    assert space.searched == [k for k in SPACE if k != "epochs"]


@pytest.mark.parametrize(
    ("space", "match"),
    [
        ([1, 2], r"must be a dict.*Received: list"),
        ({"a": []}, r"choices for 'a' are empty"),
        ({"a": khp.Int(5, 1)}, r"`low <= high` must hold for 'a'. Received: low=5, high=1"),
        ({"lr": khp.Float(0.0, 1.0, log=True)}, r"log range must stay above 0, but 'lr' has low=0.0"),
        ({"u": khp.Int(0, 8, log=True)}, r"'u' has low=0"),
        ({"lr": khp.Float(0.1, 0.1)}, r"`low < high` must hold for 'lr'"),
        ({"m": khp.Float(0, 1, when={"opt": "sgd"})}, r"'m' has when=\{'opt': \.\.\.\}, but the space has no key 'opt'"),
        ({"opt": ["adam"], "m": khp.Float(0, 1, when={"opt": "sgd"})}, r"'opt' can never be 'sgd'.*\['adam'\]"),
        ({"a": (1, 2, 3)}, r"tuple in a space is a \(low, high\) range.*a=\[1, 2, 3\]"),
        ({"a": ["x", 1]}, r"Choices for 'a' mix types"),
        ({"a": [[1], [2]]}, r"must be strings, numbers or booleans"),
        ({"a": khp.Int}, r"'a' is the class Int, not an instance"),
        ({"a": khp.Int(1.5, 3)}, r"Int bounds must be integers.*Use Float\(1.5, 3\)"),
        ({"x": [1, 2], "y": khp.Float(0, 1, when={"x": 1})}, None),
        ({"x": khp.Float(0, 1), "y": khp.Int(0, 2, when={"x": 0.5})}, r"depends on 'x', a continuous Float"),
        (
            {"a": khp.Choice([1, 2], when={"b": 1}), "b": khp.Choice([1, 2], when={"a": 1})},
            r"cycle: (a -> b -> a|b -> a -> b)",
        ),
    ],
)
def test_validation_errors_name_key_value_and_fix(space, match):
    if match is None:
        Space(space)  # valid
        return
    with pytest.raises(khp.SpaceError, match=match):
        Space(space)


def test_conditional_entry_only_when_condition_holds():
    space = Space(SPACE)
    draws = space.samples(200, seed=0)
    assert all(("momentum" in d) == (d["optimizer"] == "sgd") for d in draws)
    assert {d["optimizer"] for d in draws} == {"adam", "sgd"}
    assert all(0.0 <= d["momentum"] <= 0.99 for d in draws if "momentum" in d)


def test_sampling_is_seeded_and_respects_ranges():
    space = Space(SPACE)
    assert space.samples(5, seed=3) == space.samples(5, seed=3)
    assert space.samples(5, seed=3) != space.samples(5, seed=4)
    draws = space.samples(300, seed=1)
    units = [d["units"] for d in draws]
    assert all(isinstance(u, int) and 16 <= u <= 512 for u in units)
    # log sampling: about half the draws fall below the geometric midpoint (~90.5)
    assert 0.35 < sum(u < 90.5 for u in units) / len(units) < 0.65
    assert all(d["epochs"] == 30 for d in draws)


def test_grid_enumerates_conditionals_without_impossible_combinations():
    space = Space({"opt": ["adam", "sgd"], "m": khp.Float(0.0, 0.9, step=0.45, when={"opt": "sgd"}), "bs": [16, 32]})
    grid = list(space.grid())
    assert len(grid) == space.grid_size() == 2 + 3 * 2
    assert {"opt": "adam", "bs": 16} in grid
    assert {"opt": "sgd", "m": 0.45, "bs": 32} in grid
    assert not any("m" in g and g["opt"] == "adam" for g in grid)


def test_grid_refuses_continuous_range_with_fix():
    with pytest.raises(khp.SpaceError, match=r"'dropout' is a continuous range.*step"):
        list(Space({"dropout": (0.0, 0.5)}).grid())


def test_keras_tuner_conversion_uses_conditional_scopes():
    import keras_tuner as kt

    space = Space(SPACE)
    hp = kt.HyperParameters()
    space.declare(hp)
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


def test_config_round_trip():
    space = Space(SPACE)
    again = Space.from_config(space.to_config())
    assert again.to_config() == space.to_config()
    assert again.samples(20, seed=0) == space.samples(20, seed=0)
    with pytest.raises(khp.SpaceError, match=r"'a' has type='intt'"):
        Space.from_config({"a": {"type": "intt", "low": 1, "high": 2}})
