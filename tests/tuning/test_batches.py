"""One input shape for each compiled step (`kerashp.tuning.batches`)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerashp as khp
from kerashp.tuning.batches import _Stream, full_batches, validation_batch_size


def test_validation_batches_divide_the_validation_set_near_the_training_batch():
    assert validation_batch_size(360, 32) == 60  # 360 = 6 x 60: one shape, six steps
    assert validation_batch_size(450, 32) == 50
    assert validation_batch_size(300, 128) == 150
    assert validation_batch_size(50, 32) == 50  # within two batches: all of it at once
    assert validation_batch_size(359, 32) is None  # a prime: Keras's own batches
    for samples, batch in ((1000, 32), (2000, 64), (7 * 48, 16)):
        size = validation_batch_size(samples, batch)
        assert samples % size == 0 and batch / 2 <= size <= 2 * batch


def test_the_stream_has_full_batches_and_each_pass_holds_every_sample_once():
    samples, batch = 10, 4
    x = np.arange(samples, dtype="float32")[:, None]
    dataset, steps = full_batches((x, np.arange(samples)), batch)
    assert steps == 3  # ceil(10 / 4): an epoch trains as many batches as Keras's
    seen = []
    for xs, ys in dataset.take(3 * steps):  # three epochs
        assert xs.shape == (batch, 1) and np.array_equal(xs.numpy()[:, 0], ys.numpy())  # rows stay paired
        seen.extend(ys.numpy().tolist())
    passes = [seen[i:i + samples] for i in range(0, 3 * samples, samples)]
    assert all(sorted(p) == list(range(samples)) for p in passes)
    assert passes[0] != passes[1]  # reshuffled each pass
    assert full_batches((x[:3], np.arange(3)), batch) is None  # fewer samples than a batch: Keras's one batch


def test_every_iterator_of_the_stream_yields_the_same_batches():
    # a fit that peeks at its data first (Keras's JAX trainer, for a model not fitted before) or a compile
    # step run on the stream (kerashp.tuning.ahead) must leave the fit's batches as they were
    samples, batch = 12, 4  # batches that divide the samples: a compiling model still takes the stream
    dataset, steps = full_batches((np.zeros((samples, 1), "float32"), np.arange(samples)), batch)
    assert steps == 3
    first = [ys.numpy().tolist() for _, ys in dataset.take(2 * steps)]
    assert next(iter(dataset))[1].numpy().tolist() == first[0]  # an iterator made and dropped ...
    assert [ys.numpy().tolist() for _, ys in dataset.take(2 * steps)] == first  # ... changes nothing
    assert sorted(sum(first[:steps], [])) == list(range(samples)) and first[:steps] != first[steps:]


def test_the_numpy_stream_of_the_other_backends_is_the_same_stream():
    # under JAX or torch (no TensorFlow needed) the stream is NumPy batches, indexed: the same from any iterator
    samples, batch = 10, 4
    x = {"a": np.arange(samples, dtype="float32")[:, None]}
    stream = _Stream((x, np.arange(samples), np.ones(samples)), batch, seed=7)
    batches = [stream[i] for i in range(15)]  # six passes, batches running across passes
    for xs, ys, weights in batches:
        assert xs["a"].shape == (batch, 1) and np.array_equal(xs["a"][:, 0], ys) and weights.shape == (batch,)
    seen = np.concatenate([ys for _, ys, _ in batches])
    passes = [seen[i:i + samples].tolist() for i in range(0, len(seen), samples)]
    assert all(sorted(p) == list(range(samples)) for p in passes)
    assert passes[0] != passes[1]  # reshuffled each pass
    assert [s[1].tolist() for s in (stream[3], stream[0])] == [batches[3][1].tolist(), batches[0][1].tolist()]
    assert stream.num_batches is None  # endless: the fit's steps_per_epoch cuts its epochs


class Recording(keras.Sequential):
    """Notes the batch size each of its steps is traced for (`None`: traced for any)."""

    shapes: dict[str, set] = {}

    def train_step(self, data):
        Recording.shapes.setdefault("train", set()).add(keras.tree.flatten(data)[0].shape[0])
        Recording.shapes.setdefault("parts", set()).add(len(data))  # (x, y) or (x, y, sample_weight)
        return super().train_step(data)

    def test_step(self, data):
        Recording.shapes.setdefault("test", set()).add(keras.tree.flatten(data)[0].shape[0])
        return super().test_step(data)


def _recording(jit_compile: bool):
    def build(hp):
        model = Recording([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                            keras.layers.Dense(3, activation="softmax")])
        model.compile(optimizer=keras.optimizers.Adam(hp["learning_rate"]), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], jit_compile=jit_compile)
        return model

    return build


def _iris() -> tuple:
    """Iris shuffled (it is sorted by class): 100 samples to train on, 50 to validate."""
    x, y = khp.datasets.load("iris")
    order = np.random.default_rng(0).permutation(len(y))
    x, y = x[order].astype("float32"), y[order]
    return x[:100], y[:100], x[100:], y[100:]


WEIGHTS = {None: {}, "sample": {"sample_weight": np.linspace(0.5, 1.5, 100)}, "class": {"class_weight": "balanced"}}


@pytest.mark.parametrize(("jit_compile", "weights"), [(True, None), (False, None), (True, "sample"), (True, "class")])
def test_a_model_that_compiles_per_shape_trains_and_validates_in_one_shape(tmp_path, jit_compile, weights):
    data = _iris()
    Recording.shapes = {}
    result = khp.tune(_recording(jit_compile), {"learning_rate": 1e-2, "batch_size": 32, "epochs": 3},
                      data=khp.Data(data, **WEIGHTS[weights]),
                      algorithm="grid", seed=0, verbose=0, run=khp.RunFolder(tmp_path, "shapes"))
    record = result.records[0]
    assert record.completed and record.total_epochs == 3
    assert Recording.shapes["test"] == {50}  # 50 validation samples: one batch of them, whatever compiles
    # 100 training samples in batches of 32: XLA sees only full batches; TensorFlow's traced step takes
    # Keras's epochs (a last batch of 4), traced once for any batch size
    assert Recording.shapes["train"] == ({32} if jit_compile else {None})
    # sample weights travel with the batches; Keras turns class weights into sample weights on the stream
    assert Recording.shapes["parts"] == {3 if weights else 2}


def test_the_refit_of_a_model_that_compiles_per_shape_trains_in_full_batches(tmp_path):
    data = _iris()
    result = khp.tune(_recording(True), {"learning_rate": 1e-2, "batch_size": 32, "epochs": 2}, data=data,
                      algorithm="grid", seed=0, verbose=0, run=khp.RunFolder(tmp_path, "refit"))
    Recording.shapes = {}
    model = result.refit(data=data)  # all 150 samples: Keras's epochs would end on a batch of 22
    assert Recording.shapes["train"] == {32} and model.optimizer.iterations.numpy() > 0
