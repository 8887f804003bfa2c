"""MonitorCallback: the callbacks' direction is the tune objective's, from one rule."""

from __future__ import annotations

import math

import pytest

from kerashp.callbacks import EarlyStopping, ReduceLROnPlateau
from kerashp.callbacks._monitor import MonitorCallback
from kerashp.exceptions import ArgumentError
from kerashp.tuning.objective import as_objective

NAMES = [
    "val_loss",
    "loss",
    "val_accuracy",
    "val_auc",
    "val_mape",
    "val_mae",
    "val_mse",
    "val_rmse",
    "val_r2_score",
    "val_fbeta_score",
    "val_f1_score",
    "val_precision",
    "val_recall",
    "val_kl_divergence",
    "val_categorical_hinge",
    "val_iou",
    "val_binary_crossentropy",
    "val_top_k_categorical_accuracy",
]


@pytest.mark.parametrize("cls", [EarlyStopping, ReduceLROnPlateau])
@pytest.mark.parametrize("name", NAMES)
def test_direction_is_the_tune_objectives(make_model, cls, name):
    cb = cls(monitor=name)
    cb.set_model(make_model())
    assert cb._improved(1.0)  # no best yet; resolves the direction
    assert cb.direction == as_objective(name).direction


def test_direction_resolved_in_a_real_fit(make_model, fit, inject):
    stop = EarlyStopping(monitor="val_loss", patience=5)
    fit(make_model(), [stop], 2, validation_split=0.25)
    assert stop.direction == as_objective("val_loss").direction == "min"
    stop = EarlyStopping(monitor="val_r2_score", patience=5)
    fit(make_model(), [inject("val_r2_score", [0.1, 0.2]), stop], 2)
    assert stop.direction == as_objective("val_r2_score").direction == "max"
    assert (stop.best_epoch, stop.best) == (1, 0.2)


def test_no_direction_word_uses_the_compiled_metric(make_model, fit):
    """`cosine_similarity` names no direction; Keras's metric says "up"."""
    stop = EarlyStopping(monitor="val_cosine_similarity", patience=5)
    fit(make_model(metrics=["cosine_similarity"]), [stop], 2, validation_split=0.25)
    assert stop.direction == "max"
    # Reused on a model without that metric: the direction is resolved again, and fails.
    with pytest.raises(ArgumentError, match=r"val_cosine_similarity.*mode="):
        stop.set_model(make_model())
        stop.on_train_begin()
        stop._improved(0.5)


def test_unknown_name_without_model_metric_asks_for_mode(make_model, fit, inject):
    stop = EarlyStopping(monitor="val_thing")
    with pytest.raises(ArgumentError, match=r"'val_thing'.*`mode='min'` or `mode='max'`"):
        fit(make_model(), [inject("val_thing", [1.0]), stop], 1)


def test_explicit_mode_is_never_inferred(make_model):
    stop = EarlyStopping(monitor="val_thing", mode="max", min_delta=0.1)
    stop.set_model(make_model())
    stop.best = 1.0
    assert not stop._improved(1.05) and stop._improved(1.2) and stop.direction == "max"


def test_subclass_contract_best_epoch_tracker(make_model, fit, inject):
    """The shape of the tuner's best-epoch tracker: keep weights on finite improvements."""

    class BestWeights(MonitorCallback):
        def on_epoch_end(self, epoch, logs=None):
            value = self._monitored(logs)
            if value is not None and math.isfinite(value) and self._improved(value):
                self.best, self.epoch, self.weights = value, epoch, self.model.get_weights()

    tracker = BestWeights(monitor="val_score", mode="max", min_delta=0)
    model = make_model()
    fit(model, [inject("val_score", [0.2, float("nan"), 0.5, 0.5, 0.4]), tracker], 5)
    assert (tracker.best, tracker.epoch, tracker.direction) == (0.5, 2, "max")
    fit(model, [inject("val_score", [0.1]), tracker], 1)  # state reset per fit
    assert (tracker.best, tracker.epoch) == (0.1, 0)
    with pytest.warns(UserWarning, match=r"BestWeights: `val_score` is not in the logs"):
        fit(model, [tracker], 1)
