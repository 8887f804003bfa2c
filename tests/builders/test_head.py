"""The built-in builders' output layer starts at zero: an untrained model
predicts the know-nothing baseline (the training targets' mean, or equal
class probabilities), and `layers=0` is a linear model started at zero."""

from __future__ import annotations

import numpy as np
import pytest

from kerashp.builders import cnn, mlp
from kerashp.datasets import infer_spec


@pytest.mark.parametrize("layers", [0, 2])
def test_an_untrained_regressor_predicts_the_training_targets_mean(layers):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = (1000.0 + 50.0 * x[:, 0] + rng.normal(0, 5, 64)).astype("float32")
    model = mlp({"layers": layers, "units": 16}, spec=infer_spec(x, y))
    np.testing.assert_allclose(model.predict(x, verbose=0)[:, 0], np.full(64, y.mean()), rtol=1e-6)
    assert model.evaluate(x, y, verbose=0)[0] == pytest.approx(1.0, rel=1e-5)  # what the mean scores
    assert not np.any(model.layers[-2].get_weights()[0])  # the Dense before the target scaling


@pytest.mark.parametrize(("builder", "shape"), [(mlp, (6,)), (cnn, (8, 8, 1))])
def test_an_untrained_classifier_gives_every_class_the_same_probability(builder, shape):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, *shape)).astype("float32"), np.arange(40) % 4
    model = builder({"units": 16}, spec=infer_spec(x, y))
    np.testing.assert_allclose(model.predict(x, verbose=0), np.full((40, 4), 0.25), rtol=1e-6)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)  # and it learns from there
    assert np.any(model.layers[-1].get_weights()[0])
