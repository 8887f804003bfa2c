"""kerashp callbacks inside `kerashp.tune` trials."""

from __future__ import annotations

import math

import pytest

import kerashp as khp


@pytest.mark.slow  # the mechanism, fast: callbacks/test_schedules.py's resumed fits
def test_schedule_horizon_follows_hyperband_budget(digits_small, tmp_path):
    """A promoted trial trains epochs [i, T) of a T-epoch schedule, not a fresh one."""
    peak = 0.01
    space = {"units": [8, 16, 32], "dropout": (0.0, 0.2), "batch_size": 64}
    result = khp.tune(
        khp.builders.mlp,
        space,
        data=digits_small,
        algorithm="hyperband",
        max_epochs=4,
        objective="val_accuracy",
        verbose=0,
        seed=0,
        callbacks=[khp.callbacks.WarmupCosine(peak)],
        run=khp.RunFolder(directory=tmp_path, name="hb"),
    )
    steps = math.ceil(320 / 64)  # 400 examples, 20 % held out
    promoted = [r for r in result.records if r.promoted_from]
    assert promoted
    for record in promoted:
        total = record.total_epochs
        first = total - record.epochs
        assert first > 0
        for offset, logged in enumerate(record.history["learning_rate"]):
            t = (first + offset + 1) * steps - 1  # last step of that epoch, counted from the trial's start
            expected = peak * (1 + math.cos(math.pi * t / (total * steps))) / 2
            assert logged == pytest.approx(expected, rel=1e-4, abs=1e-9)


def test_early_stopping_epoch_lands_in_trials_table(digits_small, tmp_path):
    space = {"units": [8], "epochs": 6, "batch_size": 64}
    # no epoch after the first improves by more than 1.0, so it stops after epoch 2 whatever the weights
    # (a baseline alone does not: as in Keras, an epoch that improves on the best but not on the
    # baseline neither resets nor trips the patience, which made this test depend on the draw)
    stop = khp.callbacks.EarlyStopping(monitor="val_accuracy", min_delta=1.0, patience=1)
    result = khp.tune(
        khp.builders.mlp,
        space,
        data=digits_small,
        algorithm="grid",
        objective="val_accuracy",
        verbose=0,
        callbacks=[stop],
        run=khp.RunFolder(directory=tmp_path, name="es"),
    )
    row = result.trials.iloc[0]
    assert row["status"] == "COMPLETED"
    assert row["epochs_trained"] == 2
    assert row["epochs"] == 6  # the searched value keeps its column
    assert row["stopped_epoch"] == row["epochs_trained"]
