"""`tune(..., class_weight=...)`: scikit-learn's class weights in every trial's training."""

from __future__ import annotations

import numpy as np
import pytest

import kerashp as khp
from kerashp.datasets import class_weights

CLASSES = ["a", "b", "c"]


def test_balanced_and_dict_weights_follow_scikit_learn():
    from sklearn.utils.class_weight import compute_class_weight

    y = np.array([0, 0, 0, 0, 1, 1, 2, 0])
    expected = compute_class_weight("balanced", classes=np.arange(3), y=y)
    assert class_weights("balanced", y, CLASSES) == pytest.approx(dict(enumerate(expected)))
    assert class_weights({"c": 5}, y, CLASSES) == {0: 1.0, 1: 1.0, 2: 5.0}  # original labels; others weigh 1
    assert class_weights("balanced", np.eye(3)[y], CLASSES) == class_weights("balanced", y, CLASSES)  # one-hot rows


@pytest.mark.parametrize(
    ("class_weight", "match"),
    [
        ({"d": 2.0}, r"`class_weight` names 'd', which is not a class of the training labels \['a', 'b', 'c'\]"),
        ({"a": -1}, r"`class_weight\['a'\]` must be a finite number >= 0. Received: -1"),
        ({"a": float("inf")}, r"`class_weight\['a'\]` must be a finite number >= 0. Received: inf"),
        ("auto", r"must be 'balanced' or a dict \{label: weight\}. Received: class_weight='auto'"),
    ],
)
def test_bad_class_weights_are_named(class_weight, match):
    with pytest.raises(khp.exceptions.ArgumentError, match=match):
        class_weights(class_weight, np.zeros(3, int), CLASSES)


def _imbalanced(n, seed):
    """Two overlapping blobs, 5% in class 1."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.05).astype(int)
    x = rng.normal(size=(n, 2)) + y[:, None] * 1.5
    return x.astype("float32"), y


def test_class_weights_reach_the_fit_of_every_trial_and_the_refit(tmp_path):
    """What the recall tests below measure, at the fast tier's scale: the weights Keras's `fit` gets."""
    seen = []

    def build(hp):
        model = khp.builders.mlp(hp)
        fit = model.fit

        def recording_fit(*args, **kwargs):
            seen.append(kwargs.get("class_weight"))
            return fit(*args, **kwargs)

        model.fit = recording_fit
        return model

    x, y = _imbalanced(200, 0)
    result = khp.tune(
        build,
        {"units": 4, "epochs": 1, "batch_size": 50},
        data=khp.Data((x, y), class_weight="balanced"),
        algorithm="grid",
        seed=0,
        verbose=0,
        run=khp.RunFolder(directory=tmp_path, name="weighted"),
    )
    result.refit(data=(x, y), epochs=1)
    (trial, refit) = seen
    assert set(trial) == {0, 1} and trial[1] > 5 * trial[0]  # the 5% class weighs more, counted on the trial's part
    counts = np.bincount(y)
    assert refit == pytest.approx({0: len(y) / (2 * counts[0]), 1: len(y) / (2 * counts[1])})  # all the data


@pytest.mark.slow
def test_balanced_weights_raise_the_minority_classs_recall(tmp_path):
    train, test = _imbalanced(2000, 0), _imbalanced(2000, 1)
    space = {"units": 8, "layers": 1, "learning_rate": 0.01, "batch_size": 100, "epochs": 5}

    def recall(class_weight, name):
        result = khp.tune(
            khp.builders.mlp,
            space,
            data=khp.Data(train, class_weight=class_weight),
            algorithm="grid",
            seed=0,
            verbose=0,
            run=khp.RunFolder(directory=tmp_path, name=name),
        )
        predicted = result.best_model.predict(test[0], verbose=0).argmax(axis=1)
        return predicted[test[1] == 1].mean(), result

    plain, _ = recall(None, "plain")
    weighted, result = recall("balanced", "balanced")
    assert plain < 0.4 < 0.6 < weighted  # unweighted, the minority class is mostly missed
    refit = result.refit(data=train, epochs=5)  # the refit is weighted too
    assert refit.predict(test[0], verbose=0).argmax(axis=1)[test[1] == 1].mean() > 0.6


def test_class_weights_in_a_regression_are_refused(tmp_path):
    x, y = khp.datasets.load("diabetes")
    with pytest.raises(khp.exceptions.ArgumentError,
                       match=r"`class_weight` weighs classes, but the task is regression"):
        khp.tune(
            khp.builders.mlp,
            {"units": 4, "epochs": 1},
            data=khp.Data((x, y), class_weight="balanced"),
            verbose=0,
            run=khp.RunFolder(directory=tmp_path),
        )


def test_balanced_weights_need_labels_kerashp_can_count(tmp_path):
    import tensorflow as tf

    x, y = _imbalanced(200, 0)
    data = tf.data.Dataset.from_tensor_slices((x, y))
    with pytest.raises(khp.exceptions.ArgumentError, match=r"class_weight='balanced' counts the training labels"):
        khp.tune(
            khp.builders.mlp,
            {"units": 4, "epochs": 1},
            data=khp.Data(data, class_weight="balanced"),
            verbose=0,
            run=khp.RunFolder(directory=tmp_path),
        )


@pytest.mark.slow
def test_balanced_sample_weights_raise_the_minority_classs_recall_too(tmp_path):
    from sklearn.utils.class_weight import compute_sample_weight

    train, test = _imbalanced(2000, 0), _imbalanced(2000, 1)
    space = {"units": 8, "layers": 1, "learning_rate": 0.01, "batch_size": 100, "epochs": 5}
    result = khp.tune(
        khp.builders.mlp,
        space,
        data=khp.Data(train, sample_weight=compute_sample_weight("balanced", train[1])),
        algorithm="grid",
        seed=0,
        verbose=0,
        run=khp.RunFolder(directory=tmp_path, name="weighted"),
    )
    predicted = result.best_model.predict(test[0], verbose=0).argmax(axis=1)
    assert predicted[test[1] == 1].mean() > 0.6  # 0.27 unweighted (the class-weight test above)


@pytest.mark.slow
def test_samples_of_weight_zero_leave_the_search_and_the_refit(tmp_path):
    x, y = khp.datasets.load("iris")
    order = np.random.default_rng(0).permutation(150)
    x, y = x[order], y[order]
    (x_train, y_train), val = (x[:100], y[:100]), (x[100:], y[100:])
    junk_x = np.random.default_rng(1).normal(50, 30, size=(40, 4)).astype("float32")  # far off, random labels
    junk_y = np.random.default_rng(2).integers(0, 3, 40)
    space = {"units": 8, "learning_rate": 0.01, "batch_size": 20, "epochs": 3}

    def search(data, name, **kwargs):
        return khp.tune(
            khp.builders.mlp,
            space,
            data=data,
            algorithm="grid",
            seed=0,
            verbose=0,
            run=khp.RunFolder(directory=tmp_path, name=name),
            **kwargs,
        )

    clean = search((x_train, y_train, *val), "clean")
    weights = np.r_[np.ones(100), np.zeros(40)]
    with_junk = (np.r_[x_train, junk_x], np.r_[y_train, junk_y], *val)
    weighted = search(khp.Data(with_junk, sample_weight=weights), "weighted")
    unweighted = search(with_junk, "unweighted")
    probe = x[100:110]
    np.testing.assert_allclose(weighted.best_model.predict(probe, verbose=0),
                               clean.best_model.predict(probe, verbose=0), atol=1e-5)
    assert np.abs(unweighted.best_model.predict(probe, verbose=0)
                  - clean.best_model.predict(probe, verbose=0)).max() > 1e-3
    np.testing.assert_allclose(weighted.refit(data=with_junk, sample_weight=weights).predict(probe, verbose=0),
                               clean.refit(data=(x_train, y_train, *val)).predict(probe, verbose=0), atol=1e-5)


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (np.r_[np.ones(99), -1.0], r"sample 99 has weight -1.0"),
        (np.ones(7), r"sample_weight must have shape \(100,\)"),
        (np.zeros(100), r"Every training sample has weight 0"),
    ],
)
def test_bad_sample_weights_are_refused_before_training(weights, match, tmp_path):
    x, y = _imbalanced(100, 0)
    with pytest.raises(khp.exceptions.ArgumentError, match=match):
        khp.tune(
            khp.builders.mlp,
            {"units": 4, "epochs": 1},
            data=khp.Data((x, y), sample_weight=weights),
            verbose=0,
            run=khp.RunFolder(directory=tmp_path),
        )
