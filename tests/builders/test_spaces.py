"""default_space: a valid space for mlp and cnn sized to the data; anything else is refused with the fix."""

from __future__ import annotations

import numpy as np
import pytest

import kerashp as khp
from kerashp.builders import cnn, default_space, mlp
from kerashp.datasets import DataSpec, infer_spec
from kerashp.exceptions import ArgumentError
from kerashp.space import Space


def spec(n: int | None, task: str = "classification") -> DataSpec:
    return DataSpec(input_shape=(64,), task=task, num_classes=10 if task == "classification" else None,
                    num_samples=n)


def test_mlp_space_has_the_documented_ranges_and_is_a_valid_space():
    space = default_space(mlp, spec(1000))
    assert set(space) == {"layers", "units", "l2", "dropout", "learning_rate", "batch_size", "epochs"}
    assert (space["layers"].low, space["layers"].high) == (0, 3)
    assert (space["units"].low, space["units"].high, space["units"].log) == (16, 512, True)
    assert (space["learning_rate"].low, space["learning_rate"].high, space["learning_rate"].log) == (1e-4, 1e-2, True)
    assert (space["dropout"].low, space["dropout"].high) == (0.0, 0.5)
    assert space["l2"].log and space["l2"].low == 1e-6
    Space(space)  # checked like any user space


@pytest.mark.parametrize(
    ("n", "batch_sizes", "epochs"),
    [(90, [16, 32, 64], 100), (265, [16, 32, 64], 100), (1077, [32, 64, 128], 59),
     (60000, [64, 128, 256], 20), (None, [64, 128, 256], 20)],
)
def test_batches_and_epochs_follow_the_number_of_training_samples(n, batch_sizes, epochs):
    space = default_space(mlp, spec(n))
    assert space["batch_size"] == batch_sizes
    assert space["epochs"] == epochs


def test_cnn_space_has_conv_entries_and_no_l2():
    space = default_space(cnn, spec(5000))
    assert {"conv_layers", "filters", "kernel_size", "units", "dropout", "learning_rate"} <= set(space)
    assert "l2" not in space and "layers" not in space
    Space(space)


def test_arrays_are_turned_into_a_spec():
    x, y = np.zeros((300, 4), dtype="float32"), np.linspace(0, 1, 300).astype("float32")
    assert default_space(mlp, (x, y)) == default_space(mlp, infer_spec(x, y))
    assert default_space(mlp, (x, y))["batch_size"] == [16, 32, 64]


def test_another_builder_is_refused_naming_it_and_the_fix():
    def my_builder(hp):
        return mlp(hp)

    with pytest.raises(ArgumentError, match=r"builder=.*my_builder.*Pass your own space"):
        default_space(my_builder, spec(100))
    with pytest.raises(ArgumentError, match=r"`data` of default_space .*Received: data of type str"):
        default_space(mlp, "digits")


@pytest.mark.slow
def test_every_value_the_space_can_take_builds_a_model(tmp_path):
    x, y = khp.datasets.load("iris")
    space = {**default_space(mlp, (x, y)), "epochs": 2}
    result = khp.tune(
        mlp,
        space,
        data=(x, y),
        algorithm="random",
        max_trials=3,
        seed=0,
        verbose=0,
        run=khp.RunFolder(directory=tmp_path, name="default"),
    )
    assert sum(r.completed for r in result.records) == 3


def test_the_largest_and_smallest_cnn_and_a_linear_mlp_build():
    x_img, y_img = khp.datasets.load("digits")
    spec_img = infer_spec(x_img, y_img)
    for params in ({"conv_layers": 3, "filters": 64, "kernel_size": 5, "units": 256},
                   {"conv_layers": 1, "filters": 16, "kernel_size": 3, "units": 32}):
        assert cnn(params, spec=spec_img).output_shape == (None, 10)
    assert mlp({"layers": 0}, spec=spec_img).output_shape == (None, 10)  # layers=0: a linear model
