"""Regression targets are standardized inside the built-in builders' models:
the spec carries the training targets' mean and variance, the last Dense
layer learns standardized values, an inverted Normalization maps them back,
and the loss is computed on the standardized scale."""

from __future__ import annotations

import json
import pickle

import keras
import numpy as np
import pytest

import kerashp as khp
from kerashp.builders.compile import StandardizedMSE
from kerashp.datasets import DataSpec, infer_spec, prepare
from kerashp.exceptions import DataError


def offset_data(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Targets around 1000 with a spread of about 100, a smooth function of 5 features."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    y = 1000.0 + 60.0 * x[:, 0] - 40.0 * x[:, 1] + 30.0 * np.tanh(x[:, 2]) + rng.normal(0, 5, n)
    return x, y.astype("float32")


def r2(y: np.ndarray, predicted: np.ndarray) -> float:
    predicted = np.asarray(predicted).reshape(y.shape)
    return float(1 - np.sum((y - predicted) ** 2) / np.sum((y - y.mean()) ** 2))


def test_the_spec_of_regression_data_has_the_targets_mean_and_variance_and_round_trips():
    x, y = offset_data()
    spec = infer_spec(x, y)
    assert spec.target_mean == pytest.approx([y.mean()], rel=1e-5)
    assert spec.target_variance == pytest.approx([y.var()], rel=1e-4)
    assert spec.num_samples == len(x)
    back = DataSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    np.testing.assert_allclose(back.target_mean, spec.target_mean)
    np.testing.assert_allclose(back.target_variance, spec.target_variance)
    assert back.num_samples == len(x)
    two = infer_spec(x, np.stack([y, -y / 10], axis=1))
    assert two.target_mean == pytest.approx([y.mean(), -y.mean() / 10], rel=1e-5)
    assert infer_spec(x, np.zeros(len(x), dtype="float32")).target_variance == pytest.approx([1.0])  # constant
    assert infer_spec(x, (y > 1000).astype(int)).target_mean is None  # classification


def test_a_spec_needs_both_target_statistics_and_a_positive_variance():
    with pytest.raises(DataError, match=r"`target_mean` and `target_variance` go together"):
        DataSpec(input_shape=(3,), task="regression", target_mean=np.array([1.0]))
    with pytest.raises(DataError, match=r"`target_variance` must be positive.*Use 1.0"):
        DataSpec(input_shape=(3,), task="regression", target_mean=np.array([1.0]), target_variance=np.array([0.0]))


def test_an_old_spec_dict_without_target_statistics_loads_and_builds_the_same_architecture():
    x, y = offset_data()
    new = infer_spec(x, y)
    old_dict = {k: v for k, v in new.to_dict().items() if k not in ("target_mean", "target_variance", "num_samples")}
    old = DataSpec.from_dict(old_dict)
    assert old.target_mean is None and old.num_samples is None
    hp = {"layers": 2, "units": 16}
    old_model, new_model = khp.builders.mlp(hp, spec=old), khp.builders.mlp(hp, spec=new)
    assert [w.shape for w in old_model.get_weights()] == [w.shape for w in new_model.get_weights()]
    assert "target_scale" not in [layer.name for layer in old_model.layers]
    assert old_model.loss == "mse"  # as before target statistics existed
    old_model.set_weights(new_model.get_weights())  # saved weights of either load into the other


@pytest.mark.slow  # fast: the SGD and KerasRegressor tests train and predict in the targets' units too
def test_predictions_and_metrics_are_in_the_targets_units(seed):
    x, y = offset_data()
    spec = infer_spec(x[:300], y[:300])
    model = khp.builders.mlp({"layers": 1, "units": 32, "learning_rate": 1e-2}, spec=spec)
    assert isinstance(model.loss, StandardizedMSE)
    assert abs(float(model.predict(x[:50], verbose=0).mean()) - 1000) < 100  # right scale before training
    history = model.fit(x[:300], y[:300], epochs=20, batch_size=32, verbose=0, validation_data=(x[300:], y[300:]))
    predicted = model.predict(x[300:], verbose=0)
    assert r2(y[300:], predicted) > 0.9  # plain MSE on raw targets with Adam: far below 0 after 20 epochs
    assert history.history["val_mae"][-1] < 20  # metrics in the targets' units (spread ~100)
    assert history.history["val_loss"][-1] < 0.1  # the loss is on the standardized scale


def test_sgd_at_its_default_rate_trains_on_targets_in_the_hundreds(seed):
    x, y = offset_data()
    spec = infer_spec(x[:300], y[:300])
    model = khp.builders.mlp({"layers": 1, "units": 32, "optimizer": "sgd"}, spec=spec)
    model.fit(x[:300], y[:300], epochs=20, batch_size=32, verbose=0)
    predicted = model.predict(x[300:], verbose=0)
    assert np.isfinite(predicted).all()  # plain MSE in the targets' units diverges at SGD's 0.01
    assert r2(y[300:], predicted) > 0.8


def test_the_standardized_loss_is_plain_mse_over_the_variance():
    loss = StandardizedMSE([4.0, 100.0])
    y_true = np.array([[1.0, 10.0], [3.0, 30.0]], dtype="float32")
    y_pred = np.array([[3.0, 20.0], [3.0, 10.0]], dtype="float32")
    expected = np.mean([(4 / 4 + 100 / 100) / 2, (0 + 400 / 100) / 2])
    assert float(loss(y_true, y_pred)) == pytest.approx(expected)
    one = StandardizedMSE([4.0])
    assert float(one(np.array([1.0, 3.0]), np.array([[3.0], [3.0]]))) == pytest.approx(0.5)  # y (n,), output (n, 1)
    assert keras.losses.deserialize(keras.losses.serialize(loss)).variance == [4.0, 100.0]


@pytest.mark.slow  # fast: test_keras_regressor_predicts_in_units_and_pickles
def test_a_tuned_model_beats_predicting_the_mean_and_reloads_in_units(tmp_path):
    x, y = offset_data(500)
    space = {"layers": 1, "units": khp.Int(16, 64), "learning_rate": 1e-2, "epochs": 15}
    result = khp.tune(
        khp.builders.mlp,
        space,
        data=(x[:400], y[:400]),
        algorithm="random",
        max_trials=2,
        seed=0,
        verbose=0,
        run=khp.RunFolder(directory=tmp_path, name="reg"),
    )
    score = r2(y[400:], result.best_model.predict(x[400:], verbose=0))
    assert score > 0.9  # predicting the mean scores 0
    reopened = khp.load_result(tmp_path / "reg", build_fn=khp.builders.mlp)
    np.testing.assert_allclose(reopened.best_model.predict(x[400:], verbose=0),
                               result.best_model.predict(x[400:], verbose=0), rtol=1e-5)


def test_each_cross_validation_fold_scales_by_its_own_training_targets():
    x, y = offset_data(90)
    prepared = prepare((x, y), cv=3, seed=0)
    for split in prepared.splits:
        fold_y = split.train[1]
        assert split.spec.target_mean == pytest.approx([fold_y.mean()], rel=1e-5)
        assert split.spec.num_samples == len(fold_y)
    assert prepared.spec.target_mean == pytest.approx([y.mean()], rel=1e-5)


def test_keras_regressor_predicts_in_units_and_pickles(seed):
    x, y = offset_data()
    est = khp.sklearn.KerasRegressor(khp.builders.mlp, epochs=20, layers=1, units=32, learning_rate=1e-2,
                                     random_state=0)
    est.fit(x[:300], y[:300])
    assert est.score(x[300:], y[300:]) > 0.9
    assert est.spec_.target_mean == pytest.approx([y[:300].mean()], rel=1e-5)
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(back.predict(x[300:]), est.predict(x[300:]), rtol=1e-5)


def test_keras_classifier_spec_has_no_target_statistics():
    x, y = offset_data(60)
    est = khp.sklearn.KerasClassifier(khp.builders.mlp, epochs=1, layers=1, units=4).fit(x, (y > 1000).astype(int))
    assert est.spec_.target_mean is None and est.spec_.target_variance is None
