"""Data that cannot train a model is refused before any training, with an
error naming what is wrong, where, and the fix."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerashp as khp
from kerashp.exceptions import DataError, InvalidModelError


@pytest.fixture(scope="module")
def digits():
    x, y = khp.datasets.load("digits")
    return x[:200].astype("float32"), y[:200]


def tune(data, tmp_path, build_fn=khp.builders.mlp, **kwargs):
    """A one-trial search that records each fit it starts in `fits`."""
    fits = []
    khp.tune(
        build_fn,
        {"units": 8, "epochs": 1},
        data=data,
        algorithm="random",
        max_trials=1,
        verbose=0,
        callbacks=lambda hp: fits.append(hp) or [],
        run=khp.RunFolder(directory=tmp_path, name="r"),
        **kwargs,
    )
    return fits


def with_value(array, index, value):
    array = array.astype("float32").copy()
    array[index] = value
    return array


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (lambda x, y: (with_value(x, (3, 5), np.nan), y),
         r"`x` holds 1 non-finite value \(NaN or inf\), the first at index \(3, 5\) \(sample 3\).*SimpleImputer"),
        (lambda x, y: (with_value(with_value(x, (7, 1), np.inf), (9, 0), -np.inf), y),
         r"`x` holds 2 non-finite values"),
        (lambda x, y: (x, with_value(y.astype("float32"), 4, np.nan)), r"`y` holds 1 non-finite value.*sample 4"),
        (lambda x, y: (x[:150], y[:150], with_value(x[150:], (0, 0), np.nan), y[150:]), r"`x_val` holds 1 non-finite"),
        (lambda x, y: (x[:0], y[:0]), r"`x` and `y` are empty \(0 samples\)"),
        (lambda x, y: (x, y[:-1]), r"`x` and `y` differ in length: 200 vs 199"),
    ],
    ids=["nan-in-x", "inf-in-x", "nan-in-y", "nan-in-x_val", "empty", "lengths"],
)
def test_unusable_arrays_are_refused_before_training(data, match, digits, tmp_path):
    fits = []
    with pytest.raises(DataError, match=match):
        fits = tune(data(*digits), tmp_path)
    assert not fits and not (tmp_path / "r" / "trials").exists()


@pytest.mark.parametrize(("row", "part"), [(100, "the first 6 batches of the training dataset"),
                                            (10, "the first batch of the validation dataset")])
def test_nan_in_a_tf_dataset_is_refused(row, part, digits, tmp_path):
    import tensorflow as tf

    x, y = digits
    ds = tf.data.Dataset.from_tensor_slices((with_value(x, (row, 2), np.nan), y)).batch(32)
    with pytest.raises(DataError, match=rf"`x` \({part}\) holds 1 non-finite"):
        tune(ds, tmp_path)


def test_a_classifier_with_fewer_outputs_than_classes_is_refused_before_training(digits, tmp_path):
    x, y = digits
    y = np.where(y == 9, 10, y)
    y[:5] = 9  # eleven classes, 0..10

    def build(hp):
        return keras.Sequential([keras.Input((64,)), keras.layers.Dense(10, activation="softmax")])

    with pytest.raises(InvalidModelError, match=r"outputs 10 values per sample, but the labels have 11 classes.*"
                                                r"Dense\(11\)"):
        fits = tune((x, y), tmp_path, build_fn=build)
        assert not fits


def test_a_trial_error_keeps_the_line_that_says_what_went_wrong(digits, tmp_path):
    """A model whose output size is only known once called: the check cannot
    see it, so the trial fails in TensorFlow; its record keeps TensorFlow's
    informative line, not the graph node annotation after it."""
    x, y = digits

    class Late(keras.Model):
        def __init__(self):
            super().__init__()
            self.out = keras.layers.Dense(5, activation="softmax")

        def call(self, inputs):
            return self.out(inputs)

    def build(hp):
        model = Late()
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    khp.tune(
        build,
        {"units": khp.Int(1, 100), "epochs": 1},
        data=(x, y),
        algorithm="random",
        max_trials=2,
        verbose=0,
        run=khp.RunFolder(directory=tmp_path, name="late"),
    )
    errors = [r.error for r in khp.load_result(tmp_path / "late").records]
    assert errors and all("label value" in e and "outside the valid range of [0, 5)" in e for e in errors)
    assert not any("[[{{node" in e for e in errors)
