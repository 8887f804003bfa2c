"""Choosing the best epoch of a trial and the best trial of a search: the
objective first, its loss on ties (`Objective.rank`)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import kerashp as khp
from kerashp.storage.run_store import RunStore
from kerashp.tuning.objective import Objective, as_objective
from kerashp.tuning.result import TuneResult
from kerashp.tuning.trial import TrialRecord


@pytest.mark.parametrize(
    ("objective", "tie_breaker"),
    [("val_accuracy", "val_loss"), ("accuracy", "loss"), ("val_loss", None), ("loss", None), ("val_auc", "val_loss")],
)
def test_the_tie_breaker_is_the_loss_on_the_objectives_own_data(objective, tie_breaker):
    assert as_objective(objective).tie_breaker == tie_breaker


def test_rank_orders_by_score_then_by_loss():
    acc = Objective("val_accuracy", "max")
    ranks = {  # listed out of order: the sort must not keep it
        "worse score": acc.rank(0.97, {"val_loss": 0.01}),
        "tie, no loss": acc.rank(0.98, {}),
        "tie, loss not finite": acc.rank(0.98, {"val_loss": math.nan}),
        "tie, higher loss": acc.rank(0.98, {"val_loss": 0.10}),
        "tie, lower loss": acc.rank(0.98, {"val_loss": 0.05}),
        "better score, worse loss": acc.rank(0.99, {"val_loss": 0.5}),
    }
    ordered = sorted(ranks, key=ranks.get)
    assert ordered[:3] == ["better score, worse loss", "tie, lower loss", "tie, higher loss"]
    assert set(ordered[3:5]) == {"tie, loss not finite", "tie, no loss"} and ordered[-1] == "worse score"
    loss = Objective("val_loss", "min")  # its own tie-breaker: nothing to add
    assert loss.rank(0.2, {"val_loss": 0.2}) < loss.rank(0.3, {"val_loss": 0.3})


def test_the_best_epoch_among_equal_scores_is_the_one_with_the_lowest_loss():
    """val_accuracy ties at 0.5 in epochs 1-3; epoch 2 has the lowest val_loss,
    so its weights are the ones kept."""
    import keras

    from kerashp.tuning.trial_callbacks import BestWeights

    accuracy, losses = [0.25, 0.5, 0.5, 0.5], [0.9, 0.8, 0.4, 0.6]

    class Inject(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_accuracy"], logs["val_loss"] = accuracy[epoch], losses[epoch]
            self.weights = getattr(self, "weights", []) + [self.model.get_weights()]

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 3)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    inject, best = Inject(), BestWeights(as_objective("val_accuracy"))
    model.fit(x, y, epochs=4, batch_size=8, verbose=0, callbacks=[inject, best])
    assert best.index == 2
    for kept, expected in zip(best.weights, inject.weights[2], strict=True):
        np.testing.assert_array_equal(kept, expected)


def _records_run(tmp_path, records):
    store = RunStore(tmp_path, "run")
    store.write_settings({"objective": {"name": "val_accuracy", "direction": "max"}, "algorithm": "random"})
    for record in records:
        store.write_record(record)
    return TuneResult(store.path)


def test_best_trial_and_top_break_ties_on_the_loss_at_the_best_epoch(tmp_path):
    def record(number, score, loss, status="COMPLETED"):
        return TrialRecord(number=number, trial_id=f"{number:02d}", status=status, params={"units": number},
                           score=score, metrics={"val_accuracy": score, "val_loss": loss})

    result = _records_run(tmp_path, [
        record(0, 0.98, 0.30), record(1, 0.97, 0.01), record(2, 0.98, 0.10), record(3, 0.99, 0.2, "PRUNED"),
        record(4, 0.98, 0.20),
    ])
    assert result.best_trial.trial_id == "02"
    assert result.top(5)["trial"].tolist() == [2, 4, 0, 1]
    assert result.trials.set_index("trial")["val_loss"].to_dict()[2] == 0.10


def test_a_searchs_records_carry_the_metrics_of_their_best_epoch(digits_small, tmp_path):
    result = khp.tune(
        khp.builders.mlp,
        {"units": [8, 16], "epochs": 2, "batch_size": 128},
        data=digits_small,
        algorithm="grid",
        objective="val_accuracy",
        seed=0,
        verbose=0,
        run=khp.RunFolder(directory=tmp_path, name="run"),
    )
    for r in result.records:
        at = [{k: v[i] for k, v in r.history.items()} for i in range(r.epochs)]
        assert r.metrics == at[r.best_epoch - 1]
        assert min(range(r.epochs),
                   key=lambda i: result.objective.rank(at[i]["val_accuracy"], at[i])) == r.best_epoch - 1
    assert result.best_trial == min(result.records, key=lambda r: result.objective.rank(r.score, r.metrics))
