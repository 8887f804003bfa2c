"""make_optimizer: the optimizer named in hp, at the rate hp gives or the optimizer's own default."""

from __future__ import annotations

import inspect

import keras
import pytest

from kerashp.builders import make_optimizer


def test_sgd_without_a_rate_uses_keras_default_not_adams():
    optimizer = make_optimizer({"optimizer": "sgd"})
    assert isinstance(optimizer, keras.optimizers.SGD)
    assert float(optimizer.learning_rate) == pytest.approx(0.01)


@pytest.mark.parametrize("name", ["adam", "adamw", "nadam", "rmsprop", "sgd", "adagrad", "adamax"])
def test_each_optimizer_defaults_to_its_keras_default(name):
    optimizer = make_optimizer({"optimizer": name})
    keras_default = inspect.signature(type(optimizer)).parameters["learning_rate"].default
    assert float(optimizer.learning_rate) == pytest.approx(keras_default)
    assert float(make_optimizer({"optimizer": name, "learning_rate": None}).learning_rate) == (
        pytest.approx(keras_default)
    )


def test_given_rate_and_momentum_are_used():
    optimizer = make_optimizer({"optimizer": "SGD", "learning_rate": 0.2, "momentum": 0.9})
    assert float(optimizer.learning_rate) == pytest.approx(0.2)
    assert optimizer.momentum == pytest.approx(0.9)
    assert float(make_optimizer({}).learning_rate) == pytest.approx(1e-3)  # Adam


def test_nesterov_reaches_sgd():
    assert make_optimizer({"optimizer": "sgd", "momentum": 0.9, "nesterov": True}).nesterov is True
    assert make_optimizer({"optimizer": "sgd", "momentum": 0.9}).nesterov is False
