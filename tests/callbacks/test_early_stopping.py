"""EarlyStopping: Keras's semantics, best weights restored by default, reusable."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerashp.callbacks import EarlyStopping


@pytest.fixture
def snapshots():
    class Snapshots(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.weights = []

        def on_epoch_end(self, epoch, logs=None):
            self.weights.append([w.copy() for w in self.model.get_weights()])

    return Snapshots()


def test_stops_and_restores_best_by_default(make_model, fit, inject, snapshots):
    metric = [1.0, 0.5, 0.6, 0.7, 0.8, 0.9]  # best at epoch 1; patience 2 -> stop at epoch 3
    stop = EarlyStopping("val_fake_loss", patience=2)
    model = make_model()
    history = fit(model, [snapshots, inject("val_fake_loss", metric), stop], len(metric))
    assert stop.stopped_epoch == 3 and stop.best_epoch == 1 and stop.best == 0.5
    assert len(history.history["loss"]) == 4
    for best, now in zip(snapshots.weights[1], model.get_weights(), strict=True):
        np.testing.assert_array_equal(best, now)
    # Reused in a fit that never stops: state is reset.
    fit(model, [inject("val_fake_loss", [3.0, 2.0]), stop], 2)
    assert stop.stopped_epoch == 0 and stop.best_epoch == 1 and stop.best == 2.0


@pytest.mark.parametrize(
    "metric, kwargs",
    [
        ([1.0, 0.5, 0.6, 0.7, 0.8, 0.9], {"patience": 2}),
        ([1.0, 0.99, 0.98, 0.97, 0.96, 0.95], {"patience": 1, "min_delta": 0.015}),
        ([0.9, 0.8, 0.85, 0.7, 0.75, 0.74], {"patience": 1, "baseline": 0.72}),
        ([5.0, 6.0, 7.0, 1.0, 2.0, 3.0], {"patience": 1, "start_from_epoch": 2}),
        ([0.1, 0.3, 0.2, 0.25, 0.2, 0.1], {"patience": 1, "monitor": "val_accuracy"}),
    ],
)
def test_matches_keras(make_model, fit, inject, metric, kwargs):
    """Same stopped epoch, best epoch and final weights as Keras's EarlyStopping.

    Keras is told the mode (it cannot infer it without a compiled metric of that
    name); ours infers it from the name.
    """
    kwargs = {"monitor": "val_loss", **kwargs}
    keras_mode = "max" if "accuracy" in kwargs["monitor"] else "min"
    results = []
    for cls, mode in ((keras.callbacks.EarlyStopping, keras_mode), (EarlyStopping, "auto")):
        keras.utils.set_random_seed(5)
        stop = cls(restore_best_weights=True, mode=mode, **kwargs)
        model = make_model()
        fit(model, [inject(kwargs["monitor"], metric), stop], len(metric))
        results.append((stop.stopped_epoch, stop.best_epoch, model.get_weights()))
    (k_stop, k_best, k_w), (o_stop, o_best, o_w) = results
    assert (o_stop, o_best) == (k_stop, k_best)
    for a, b in zip(k_w, o_w, strict=True):
        np.testing.assert_array_equal(a, b)


def test_without_restore_keeps_last_weights(make_model, fit, inject, snapshots):
    stop = EarlyStopping("val_loss", patience=1, restore_best_weights=False)
    model = make_model()
    fit(model, [snapshots, inject("val_loss", [1.0, 2.0, 3.0]), stop], 3)
    assert stop.stopped_epoch == 1
    for last, now in zip(snapshots.weights[-1], model.get_weights(), strict=True):
        np.testing.assert_array_equal(last, now)


def test_mode_must_be_given_for_unknown_names(make_model, fit, inject):
    with pytest.raises(ValueError, match="Pass `mode='min'` or `mode='max'`"):
        fit(make_model(), [inject("val_thing", [1.0]), EarlyStopping("val_thing")], 1)
