"""Data loading: bundled sets offline, tfds through its real loading code, arrays, splits, specs."""

from __future__ import annotations

import numpy as np
import pytest

import kerashp as khp
from kerashp.datasets import infer_spec, load, prepare
from kerashp.exceptions import DataError


@pytest.mark.parametrize(
    ("name", "shape", "task", "classes"),
    [("digits", (64,), "classification", 10), ("iris", (4,), "classification", 3),
     ("wine", (13,), "classification", 3), ("breast_cancer", (30,), "classification", 2),
     ("diabetes", (10,), "regression", None)],
)
def test_bundled_datasets_load_offline(name, shape, task, classes):
    x, y = load(name)
    assert x.shape[1:] == shape and x.dtype == np.float32 and len(x) == len(y)
    spec = infer_spec(x, y)
    assert spec.task == task and spec.num_classes == classes


def test_tfds_loading_through_mock_data(tmp_path):
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=12):
        x, y = load("mnist", data_dir=str(tmp_path))
    assert x.shape == (12, 28, 28, 1) and x.dtype == np.float32
    assert y.shape == (12,) and y.dtype.kind in "iu"


def test_tfds_without_network_says_what_to_do(tmp_path, monkeypatch):
    import tensorflow_datasets as tfds

    def no_network(*args, **kwargs):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(tfds, "load", no_network)
    with pytest.raises(DataError, match=r"could not load the tensorflow-datasets dataset 'mnist'.*data_dir=.*"
                                        r"data=\(x, y\)"):
        load("mnist", data_dir=str(tmp_path))


def test_a_misspelt_name_is_refused_with_the_closest_names(tmp_path, monkeypatch):
    import tensorflow_datasets as tfds

    def must_not_run(*args, **kwargs):
        raise AssertionError("tfds.load must not be tried for an unknown name")

    monkeypatch.setattr(tfds, "load", must_not_run)
    with pytest.raises(DataError, match=r"Unknown dataset 'digitz'. Did you mean 'digits'\?") as caught:
        load("digitz")
    assert len(str(caught.value)) < 400  # not tfds's catalogue of hundreds of names
    with pytest.raises(DataError, match=r"Did you mean 'mnist'"):
        load("mnsit:3.0.1")
    (tmp_path / "my_dataset").mkdir()  # prepared locally: left to tfds, which is tried
    with pytest.raises(DataError, match="Cause: AssertionError: tfds.load must not be tried"):
        load("my_dataset", data_dir=str(tmp_path))


def test_split_is_seeded_stratified_and_labels_encoded():
    x = np.arange(200, dtype="float32").reshape(100, 2)
    y = np.array(["cat", "dog"] * 50)
    a, b = prepare((x, y), seed=1), prepare((x, y), seed=1)
    np.testing.assert_array_equal(a.val[0], b.val[0])
    assert not np.array_equal(a.val[0], prepare((x, y), seed=2).val[0])
    assert len(a.val[0]) == 20 and set(a.train[1]) == {0, 1}
    assert np.bincount(a.val[1]).tolist() == [10, 10]
    assert a.spec.classes == ["cat", "dog"]


def test_explicit_validation_data_and_errors():
    x, y = load("iris")
    with pytest.raises(DataError, match=r"Labels \[2\] do not occur in the training labels \[0, 1\]"):
        prepare((x[:100], y[:100], x[100:], y[100:]))  # iris is sorted by class
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    prepared = prepare((x[:100], y[:100], x[100:], y[100:]))
    assert len(prepared.val[0]) == 50
    with pytest.raises(DataError, match=r"x.shape=\(150,\).*reshape\(-1, 1\)"):
        prepare((x[:, 0], y))
    with pytest.raises(khp.ArgumentError, match=r"`validation_split` must be a float in \(0, 1\). Received: "
                                                r"validation_split=1.5"):
        prepare((x, y), validation_split=1.5)
    with pytest.raises(DataError, match=r"differ in length: 150 vs 10"):
        prepare((x, y[:10], x, y))


def test_constant_features_do_not_explode_normalization():
    x, y = load("digits")
    spec = infer_spec(x, y)
    constant = x.var(axis=0) == 0  # digits' blank border pixels
    assert constant.any() and (spec.variance[constant] == 1.0).all()
    model = khp.builders.mlp({"units": 8}, spec=spec)
    normalization = next(layer for layer in model.layers if layer.__class__.__name__ == "Normalization")
    scaled = np.asarray(normalization(np.full((1, 64), 16.0, dtype="float32")))
    # a pixel blank in all training images but lit at test time keeps its raw scale
    np.testing.assert_allclose(scaled[0, constant], 16.0)


def test_builders_without_data_say_how_to_give_it():
    with pytest.raises(DataError, match=r"mlp\(\) needs to know the data.*spec=kerashp.datasets.DataSpec"):
        khp.builders.mlp({})


def test_cnn_reshapes_flat_square_images_and_refuses_tabular():
    x, y = load("digits")
    model = khp.builders.cnn({"filters": 4, "conv_layers": 1}, spec=infer_spec(x, y))
    assert model.output_shape == (None, 10)
    xi, yi = load("wine")
    with pytest.raises(DataError, match=r"cnn\(\) needs images.*input_shape=\(13,\)"):
        khp.builders.cnn({}, spec=infer_spec(xi, yi))


def test_regression_builder_head():
    x, y = load("diabetes")
    model = khp.builders.mlp({"units": 8}, spec=infer_spec(x, y))
    assert model.output_shape == (None, 1)
    assert isinstance(model.loss, khp.builders.compile.StandardizedMSE)  # mse on standardized targets
