"""Every algorithm keeps every value inside the declared bounds.

keras-tuner's integer conversion gives `high + 1` at probability 1.0, and its
Bayesian oracle searches the closed [0, 1]: with the README's own
`units: {type: int, low: 16, high: 512, log: true}` it proposed 513.
"""

from __future__ import annotations

import math

import keras_tuner as kt
import numpy as np
import pytest

import kerashp as khp
from kerashp._keras_tuner_compat import in_bounds
from kerashp.algorithms._keras_tuner import declare
from kerashp.algorithms._optuna import distributions
from kerashp.space import Space

ENTRIES = {
    "units": khp.Int(16, 512, log=True),
    "filters": khp.Int(8, 100, step=8),  # 100 is not on the grid: the last value is 96
    "layers": khp.Int(1, 4),
    "dropout": khp.Float(0.0, 0.5),
    "learning_rate": khp.Float(1e-4, 1e-1, log=True),
    "momentum": khp.Float(0.5, 0.95, step=0.05),
    "activation": ["relu", "tanh", "gelu"],
    "batch_norm": khp.Bool(),
}
PROBABILITIES = [0.0, 1e-12, 0.5, 1.0 - 1e-12, np.nextafter(1.0, 0.0), 1.0]


def _declared():
    space = Space(ENTRIES)
    hp = kt.HyperParameters()
    declare(space, hp)
    return space, {h.name: h for h in hp.space}


def _ends(entry):
    if isinstance(entry, khp.Float) and entry.step is None:
        return entry.low, entry.high
    values = entry.values()
    return values[0], values[-1]


@pytest.mark.parametrize("key", list(ENTRIES))
def test_each_keras_tuner_conversion_stays_inside_the_entry_at_every_probability(key):
    space, hps = _declared()
    entry = space.entries[key]
    values = [in_bounds(hps[key], hps[key].prob_to_value(p)) for p in PROBABILITIES]
    assert all(entry.contains(v) for v in values), (key, values)
    first, last = _ends(entry)
    assert values[0] == pytest.approx(first) and values[-1] == pytest.approx(last)  # 1.0: the last value, not past it


def test_keras_tuners_own_conversion_does_leave_the_range_without_the_clip():
    _, hps = _declared()
    assert hps["units"].prob_to_value(1.0) == 513  # the bug the clip is for
    assert in_bounds(hps["units"], 513) == 512


@pytest.mark.parametrize("key", list(ENTRIES))
def test_optuna_distributions_keep_the_entry_bounds(key):
    space = Space(ENTRIES)
    entry, dist = space.entries[key], distributions(space)[key]
    if hasattr(dist, "low"):
        ends = [dist.low, dist.high]
        assert all(entry.contains(v) for v in ends)
        if not isinstance(entry, khp.Float) or entry.step is not None:
            assert ends == [entry.values()[0], entry.values()[-1]]
        else:
            assert ends == [entry.low, entry.high]
    else:
        assert list(dist.choices) == list(entry.values())


def _upper_optimum(values: dict) -> float:
    """Best at the top of every range (how a search that clips badly shows it)."""
    s = math.log(values["units"]) + values["filters"] / 8 + values["layers"] + values["dropout"]
    return s + math.log(values["learning_rate"]) + values["momentum"] + values["batch_norm"]


@pytest.mark.parametrize("algorithm", [pytest.param("bayesian", marks=pytest.mark.slow), "tpe", "random"])
def test_fifty_proposals_with_the_optimum_at_the_upper_bounds_stay_inside(algorithm, make_oracle):
    space = Space({k: v for k, v in ENTRIES.items() if k != "activation"})
    oracle = make_oracle(algorithm, space, objective="score", max_trials=50, epochs=1)
    proposed = []
    for _ in range(50):
        trial = oracle.create_trial("tuner0")
        values = dict(trial.hyperparameters.values)
        space.check_params(values, f"proposal {trial.trial_id}")  # raises on a value outside its entry
        proposed.append(values)
        oracle.update_trial(trial.trial_id, {"score": _upper_optimum(values)})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    if algorithm != "random":  # the model drives proposals to the upper bounds, and they stay there
        assert sum(p["layers"] == 4 for p in proposed) >= 10


def test_grid_runs_every_value_of_a_stepped_float_including_the_last(make_oracle):
    space = Space({"momentum": khp.Float(0.5, 0.95, step=0.05), "units": [1, 2]})
    oracle = make_oracle("grid", space, objective="score", max_trials=None, epochs=1)
    seen = []
    while (trial := oracle.create_trial("tuner0")).status == "RUNNING":
        seen.append(dict(trial.hyperparameters.values))
        oracle.update_trial(trial.trial_id, {"score": 1.0})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    assert seen == list(space.grid()) and len(seen) == 20
    assert {"momentum": 0.95, "units": 2} in seen  # keras-tuner's own grid stops at 0.9
