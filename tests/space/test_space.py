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
        ({"m": khp.Float(0, 1, when={"opt": "sgd"})},
         r"'m' has when=\{'opt': \.\.\.\}, but the space has no key 'opt'"),
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


def test_check_params_completes_a_point_and_names_what_is_wrong():
    space = Space(SPACE)
    point = space.check_params({"layers": 2, "units": 64, "activation": "relu", "dropout": 0.1,
                                "learning_rate": 1e-3, "optimizer": "sgd", "momentum": 0.9,
                                "batch_size": 32}, "initial[0]")
    assert point["epochs"] == 30 and point["momentum"] == 0.9
    good = {k: v for k, v in point.items() if k != "momentum"} | {"optimizer": "adam"}
    assert "momentum" not in space.check_params(good, "initial[0]")
    with pytest.raises(khp.SpaceError, match=r"initial\[1\] sets units=1000, outside its entry \(\[16, 512\] log\)"):
        space.check_params({**good, "units": 1000}, "initial[1]")
    with pytest.raises(khp.SpaceError, match=r"initial\[1\] names 'unit', which is not in the space"):
        space.check_params({**good, "unit": 10}, "initial[1]")
    with pytest.raises(khp.SpaceError, match=r"initial\[1\] sets 'momentum', which is inactive"):
        space.check_params({**good, "momentum": 0.5}, "initial[1]")
    with pytest.raises(khp.SpaceError, match=r"initial\[1\] leaves out 'dropout'"):
        space.check_params({k: v for k, v in good.items() if k != "dropout"}, "initial[1]")


def test_the_center_is_the_middle_of_each_entry_on_its_scale_and_a_point_of_the_space():
    space = Space(SPACE)
    center = space.center()
    assert center == {"layers": 2, "units": 91, "activation": "relu", "dropout": 0.25,
                      "learning_rate": pytest.approx(10 ** -2.5), "optimizer": "adam", "batch_size": 64, "epochs": 30}
    assert "momentum" not in center  # inactive under the center's optimizer
    assert space.check_params(center, "the center") == center
    on_steps = Space({"n": khp.Int(1, 10, step=4), "x": khp.Float(0.0, 1.0, step=0.3), "b": khp.Bool(),
                      "sizes": [128, 16, 64, 32], "m": khp.Float(0.0, 1.0, when={"b": True})}).center()
    assert on_steps == {"n": 5, "x": 0.6, "b": False, "sizes": 32}  # on the grid; numeric choices in order
    assert Space({"optimizer": ["sgd", "adam"], "momentum": khp.Float(0.5, 0.9, when={"optimizer": "sgd"})}
                 ).center() == {"optimizer": "sgd", "momentum": pytest.approx(0.7)}


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


def test_config_round_trip():
    space = Space(SPACE)
    again = Space.from_config(space.to_config())
    assert again.to_config() == space.to_config()
    assert list(again.entries) == list(space.entries) and again.conditions == space.conditions
    with pytest.raises(khp.SpaceError, match=r"'a' has type='intt'"):
        Space.from_config({"a": {"type": "intt", "low": 1, "high": 2}})
