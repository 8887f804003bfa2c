"""Trials that diverge, raise or run out of memory are recorded FAILED, with
their error, and the search goes on; callbacks start fresh in every trial."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerashp as khp


@pytest.fixture(scope="module")
def digits():
    x, y = khp.datasets.load("digits")
    return x[:200], y[:200]


def search(digits, tmp_path, space, callbacks=None, trials=3, algorithm="grid"):
    return khp.tune(
        khp.builders.mlp,
        {"units": 8, "epochs": 2, "batch_size": 64, **space},
        data=digits,
        algorithm=algorithm,
        max_trials=trials,
        objective="val_accuracy",
        verbose=0,
        callbacks=callbacks,
        seed=0,
        run=khp.RunFolder(directory=tmp_path, name="r"),
    )


def test_a_diverged_trial_is_failed_whatever_the_objective(digits, tmp_path):
    """SGD at rate 1e6: the loss is NaN while val_accuracy stays a finite 0.1."""
    result = search(digits, tmp_path, {"optimizer": "sgd", "learning_rate": [1e-2, 1e6]})
    by_rate = {r.params["learning_rate"]: r for r in result.records}
    assert by_rate[1e-2].status.value == "COMPLETED"
    diverged = by_rate[1e6]
    assert diverged.status.value == "FAILED" and diverged.score is None
    assert "The trial diverged: loss was nan at epoch" in diverged.error  # 1 or 2: the zero output layer starts it
    assert not (tmp_path / "r" / "trials" / f"{diverged.trial_id}.weights.npz").exists()
    assert result.best_trial is by_rate[1e-2]


class SpoilWeights(keras.callbacks.Callback):
    """Makes one weight NaN after the last epoch's metrics were computed."""

    def on_epoch_end(self, epoch, logs=None):
        kernel = self.model.layers[-1].kernel
        kernel.assign(np.where(np.arange(kernel.shape[1]) == 0, np.nan, kernel.numpy()))


def test_a_trial_whose_weights_are_not_finite_is_failed(digits, tmp_path):
    result = search(digits, tmp_path, {"epochs": 1, "units": [8, 16]},
                    callbacks=lambda hp: [SpoilWeights()] if hp["units"] == 16 else [])
    by_units = {r.params["units"]: r for r in result.records}
    assert by_units[8].completed
    assert by_units[16].status.value == "FAILED" and "weights are not finite" in by_units[16].error


class Raise(keras.callbacks.Callback):
    def __init__(self, error):
        super().__init__()
        self.error = error

    def on_epoch_end(self, epoch, logs=None):
        raise self.error


@pytest.mark.parametrize(
    ("error", "recorded"),
    [
        (lambda: ValueError("units=16 does not fit"), "ValueError: units=16 does not fit"),
        (lambda: __import__("tensorflow").errors.ResourceExhaustedError(None, None, "OOM when allocating tensor"),
         "ResourceExhaustedError: OOM when allocating tensor"),
    ],
    ids=["raising", "out-of-memory"],
)
def test_a_raising_or_out_of_memory_trial_is_failed_and_the_search_goes_on(error, recorded, digits, tmp_path):
    result = search(digits, tmp_path, {"units": [16, 32], "epochs": 1},
                    callbacks=lambda hp: [Raise(error())] if hp["units"] == 16 else [])
    statuses = [(r.params["units"], r.status.value, r.error) for r in result.records]
    assert statuses == [(16, "FAILED", recorded), (32, "COMPLETED", None)]  # the first failed, the next ran


class Counter(keras.callbacks.Callback):
    """Counts the epochs it sees; a callback carried from trial to trial would keep counting."""

    seen: list[int] = []

    def __init__(self):
        super().__init__()
        self.epochs = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1

    def on_train_end(self, logs=None):
        Counter.seen.append(self.epochs)


def test_callbacks_start_fresh_in_every_trial(digits, tmp_path):
    counter = Counter()
    Counter.seen = []
    search(digits, tmp_path, {"units": [8, 16]}, callbacks=[counter])
    assert Counter.seen == [2, 2] and counter.epochs == 0  # each trial its own copy; the user's untouched


def test_trials_failing_one_after_another_stop_the_search_with_a_typed_error(tmp_path):
    def build(hp):
        raise RuntimeError("the GPU is on fire")

    with pytest.raises(khp.exceptions.TooManyFailuresError,
                       match=r"10 trials in a row failed. Last error: .*the GPU is on fire"):
        khp.tune(build, {"units": khp.Int(1, 1000), "epochs": 1}, data="iris", algorithm="random", max_trials=30,
                 verbose=0, run=khp.RunFolder(tmp_path, "r"))
    records = khp.load_result(tmp_path / "r").records
    assert len(records) == 10 and all(r.status is khp.TrialStatus.FAILED for r in records)
