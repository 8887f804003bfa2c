"""algorithm="tpe" and "bohb": Optuna's TPE sampler behind a keras-tuner oracle.

The oracle is driven here with scripted objectives (no training) and
compared with a plain Optuna ask/tell loop written by hand; a few real
searches check the pieces meet.
"""

from __future__ import annotations

import json
import math
import time

import optuna
import pytest

import kerashp as khp
from kerashp.pruners.asha import Rungs
from kerashp.tuning import TrialStatus

SPACE = {
    "layers": [1, 2],
    "units": khp.Int(16, 512, log=True),
    "units_2": khp.Int(8, 64, when={"layers": [2]}),
    "activation": ["relu", "tanh"],
    "dropout": khp.Float(0.0, 0.5),
    "learning_rate": khp.Float(1e-4, 1e-1, log=True),
    "batch_size": 32,
}


def score(values: dict) -> float:
    """A smooth scripted objective (higher is better) with its optimum inside the space."""
    s = -((math.log2(values["units"]) - 7) ** 2) - 20 * (values["dropout"] - 0.2) ** 2
    s -= (math.log10(values["learning_rate"]) + 2.5) ** 2 + (values["activation"] == "tanh") * 0.5
    return s + (values.get("units_2", 0) / 64 if values["layers"] == 2 else 0.0)


def plain_optuna(n: int, seed: int) -> list[dict]:
    """What a user of Optuna alone writes for SPACE."""
    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True, constant_liar=True)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    proposed = []
    for _ in range(n):
        trial = study.ask()
        p = {"layers": trial.suggest_categorical("layers", [1, 2]),
             "units": trial.suggest_int("units", 16, 512, log=True)}
        if p["layers"] == 2:
            p["units_2"] = trial.suggest_int("units_2", 8, 64)
        p["activation"] = trial.suggest_categorical("activation", ["relu", "tanh"])
        p["dropout"] = trial.suggest_float("dropout", 0.0, 0.5)
        p["learning_rate"] = trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True)
        study.tell(trial, score(p))
        proposed.append(p)
    return proposed


@pytest.fixture
def tpe_oracle(make_oracle):
    """A TPE oracle over SPACE; another `name` is another run folder."""
    return lambda name="oracle", algorithm="tpe", **kwargs: make_oracle(algorithm, SPACE, name=name, max_trials=100,
                                                                        **kwargs)


def run_trials(oracle, n: int, *, finish_last: bool = True) -> list[dict]:
    proposed = []
    for i in range(n):
        trial = oracle.create_trial("tuner0")
        values = dict(trial.hyperparameters.values)
        proposed.append(values)
        if i == n - 1 and not finish_last:
            break
        oracle.update_trial(trial.trial_id, {"val_accuracy": score(values)})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    return proposed


def test_tpe_proposes_exactly_what_a_plain_optuna_ask_tell_loop_does(tpe_oracle):
    n = 25  # past TPE's 10 random start-up trials
    assert run_trials(tpe_oracle(), n) == plain_optuna(n, seed=0)


def test_seeded_tpe_repeats_and_another_seed_differs(tpe_oracle):
    first = run_trials(tpe_oracle(name="a"), 14)
    assert run_trials(tpe_oracle(name="b"), 14) == first
    assert run_trials(tpe_oracle(name="c", seed=1), 14) != first


def test_an_interrupted_and_resumed_tpe_run_proposes_what_an_uninterrupted_one_does(tpe_oracle):
    whole = run_trials(tpe_oracle(name="whole"), 20)
    before = run_trials(tpe_oracle(name="cut"), 13, finish_last=False)  # killed during trial 12
    resumed = tpe_oracle(name="cut")  # a new process: the state comes from oracle.json
    resumed.reload()
    again = resumed.create_trial("tuner0")  # keras-tuner hands back the unfinished trial
    assert dict(again.hyperparameters.values) == before[-1]
    resumed.update_trial(again.trial_id, {"val_accuracy": score(before[-1])})
    again.status = "COMPLETED"
    resumed.end_trial(again)
    assert before + run_trials(resumed, 7) == whole


def test_a_lost_event_log_rebuilds_the_study_from_the_trials(tpe_oracle, tmp_path):
    oracle = tpe_oracle(name="lost")
    run_trials(oracle, 12)
    path = tmp_path / "lost" / "oracle.json"
    state = json.loads(path.read_text())
    del state["kerashp_tpe"]
    path.write_text(json.dumps(state))
    resumed = tpe_oracle(name="lost")
    resumed.reload()
    assert len(resumed.study.trials) == 12 and all(t.state.name == "COMPLETE" for t in resumed.study.trials)
    best = max(oracle.trials.values(), key=lambda t: t.score)
    assert resumed.study.best_value == pytest.approx(best.score)
    run_trials(resumed, 3)  # and it goes on proposing


def test_pruned_trials_reach_the_sampler_as_pruned_with_their_last_value(tpe_oracle):
    oracle = tpe_oracle(algorithm="bohb", pruner={"first_rung": 1})  # every trial judged at one epoch: no brackets
    curves = [[0.5, 0.6, 0.7], [0.2, 0.3, 0.4], [0.1, 0.2, 0.2], [0.6, 0.7, 0.8]]
    for curve in curves:
        trial = oracle.create_trial("tuner0")
        for epoch, value in enumerate(curve, start=1):
            metrics = {"val_accuracy": value}
            if oracle.update_trial(trial.trial_id, metrics, step=epoch).status == "STOPPED":
                break
        trial.status = "COMPLETED"  # as keras-tuner's tuner sets it after the fit
        oracle.end_trial(trial)
    states = [t.state.name for t in oracle.study.trials]
    assert states == ["COMPLETE", "PRUNED", "PRUNED", "COMPLETE"]
    assert [t.intermediate_values for t in oracle.study.trials[1:3]] == [{1: 0.2}, {1: 0.1}]
    assert oracle.study.trials[0].value == 0.7  # a trial that went on: its best value


def test_tpe_and_bohb_take_their_options_and_refuse_the_rest(tmp_path):
    data = khp.datasets.load("iris")
    cases = [
        ("bohb", {"cv": 2}, r"Stopping trials early \(BOHB\(pruner=ASHA.*\)\) needs one score per epoch"),
        ("bohb", {"pruner": None}, r"BOHB is TPE with ASHA: it needs a pruner"),
        ("tpe", {"reduction_factor": 3}, r"`reduction_factor` does not apply to algorithm 'tpe'"),
    ]
    for algorithm, kwargs, match in cases:
        space = {"units": [4, 8], "epochs": 2}
        data_options = {"cv": kwargs.pop("cv")} if "cv" in kwargs else {}
        with pytest.raises(khp.ArgumentError, match=match):
            khp.tune(khp.builders.mlp, space, data=khp.Data(data, **data_options),
                     algorithm=khp.algorithms.get({"name": algorithm, **kwargs}), verbose=0,
                     run=khp.RunFolder(tmp_path, "x"))
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_bohb_searches_until_the_time_budget_is_spent_and_starts_no_trial_after_it(tmp_path):
    """What holds however loaded the machine: how many trials fit in the budget does not."""
    from kerashp import algorithms

    bohb = algorithms.get("bohb")
    assert bohb.max_trials(None, 12) is None and bohb.max_trials(None, None) == bohb.default_max_trials
    budget, seen = 6, []
    started = time.monotonic()
    result = khp.tune(
        khp.builders.mlp,
        {"units": khp.Int(2, 16), "learning_rate": khp.Float(1e-3, 1e-1, log=True)},
        data="iris",
        algorithm="bohb",
        max_epochs=9,
        time_budget=budget,
        seed=0,
        verbose=0,
        objective="val_accuracy",
        on_trial_end=seen.append,
        run=khp.RunFolder(directory=tmp_path, name="b"),
    )
    assert time.monotonic() - started >= budget  # it stopped for the budget, not for a trial count
    records = result.records
    assert len(records) == len(seen) >= 1 and [r.number for r in records] == list(range(len(records)))
    # trials run one after another, so the earlier ones' time is spent before the last one starts
    assert sum(r.seconds for r in records[:-1]) < budget + 0.001 * len(records)
    assert not any(r.timed_out for r in records[:-1])  # only the trial running at the deadline is cut short
    assert all(r.status in (TrialStatus.COMPLETED, TrialStatus.PRUNED) for r in records)
    store = result.store
    assert all(store.weights_path(r.trial_id).exists() == (r.status is TrialStatus.COMPLETED) for r in records)


def scripted_score(hp):
    """Keras callbacks for a trial that report `val_accuracy` = units / 16 at
    every epoch: the same scores, so the same pruning, however long training takes."""
    import keras

    class Scripted(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_accuracy"] = hp["units"] / 16

    return [Scripted()]


@pytest.mark.slow
def test_bohb_stops_trials_at_its_first_rung_and_keeps_weights_of_completed_trials_only(tmp_path):
    result = khp.tune(
        khp.builders.mlp,
        {"units": khp.Int(2, 16), "batch_size": 50},
        data="iris",
        algorithm="bohb",
        max_trials=5,
        max_epochs=3,
        seed=0,
        verbose=0,
        objective="val_accuracy",
        callbacks=scripted_score,
        run=khp.RunFolder(directory=tmp_path, name="b"),
    )
    records = result.records
    statuses = [r.status for r in records]
    assert TrialStatus.PRUNED in statuses and TrialStatus.COMPLETED in statuses, statuses
    # eta=3 over 3 epochs: one rung, at epoch 1, that keeps the top third of the trials that reached it
    # (of its bracket once 3 of them have, of every trial before), and of fewer than 6 trials that is the
    # best one: a trial below the best it is compared with stops there. The other bracket (about 2 trials
    # in 5) stops nothing.
    brackets = Rungs(first_rung=None, reduction_factor=3, floor=1, cap=1, brackets=True)
    seen: list[tuple[int, float]] = []  # (bracket, value at epoch 1) of the trials before
    for record in records:
        value, bracket = record.params["units"] / 16, brackets.bracket_of(record.trial_id)
        peers = [v for b, v in seen if b == bracket]
        against = peers if len(peers) + 1 >= 3 else [v for _, v in seen]
        assert (record.status is TrialStatus.PRUNED) == (bracket == 0 and value < max(against, default=-math.inf))
        assert record.total_epochs == (1 if record.status is TrialStatus.PRUNED else 3)
        seen.append((bracket, value))
    store = result.store  # weights are written for the trials that can be chosen, not for pruned ones
    assert all(store.weights_path(r.trial_id).exists() == (r.status is TrialStatus.COMPLETED) for r in records)


@pytest.mark.slow
def test_cv_runs_under_tpe_with_a_time_budget(tmp_path):
    data = khp.datasets.load("iris")
    result = khp.tune(
        khp.builders.mlp,
        {"units": khp.Int(2, 16), "epochs": 2, "batch_size": 32},
        data=khp.Data(data, cv=2),
        algorithm="tpe",
        max_trials=50,
        time_budget=10,
        seed=0,
        verbose=0,
        objective="val_accuracy",
        run=khp.RunFolder(directory=tmp_path, name="cv"),
    )
    assert 1 <= len(result.records) < 50
    # a trial the budget cut is scored on the folds it finished (whatever the machine's load)
    assert all(len(r.fold_scores) == 2 for r in result.records if r.completed and not r.timed_out)
    assert all(1 <= len(r.fold_scores) <= 2 for r in result.records if r.completed)
    assert result.best_model is not None


def test_warm_start_puts_the_earlier_trials_in_the_study_before_the_first_ask(tpe_oracle):
    earlier = [{"layers": 1, "units": 64, "activation": "relu", "dropout": 0.2, "learning_rate": 3e-3},
               {"layers": 2, "units": 32, "units_2": 16, "activation": "tanh", "dropout": 0.1, "learning_rate": 1e-2}]
    prior = [(values, score(values)) for values in earlier]
    oracle = tpe_oracle(name="warm", prior=prior)
    assert [t.params for t in oracle.study.trials] == earlier
    assert oracle.study.best_value == pytest.approx(max(s for _, s in prior))
    warm = run_trials(oracle, 12)
    assert warm[-1] != run_trials(tpe_oracle(name="cold"), 12)[-1]  # they change later proposals
    assert len(oracle.trials) == 12  # and are not trials of this run



def test_a_trial_cut_by_the_budget_reaches_the_sampler_as_pruned(tpe_oracle):
    from kerashp._keras_tuner_compat import CUT_KEY

    oracle = tpe_oracle()
    for cut in (False, True):
        trial = oracle.create_trial("tuner0")
        oracle.update_trial(trial.trial_id, {"val_accuracy": 0.6, **({CUT_KEY: 1.0} if cut else {})}, step=3)
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    assert [t.state.name for t in oracle.study.trials] == ["COMPLETE", "PRUNED"]
    assert oracle.study.trials[1].intermediate_values == {3: 0.6}  # its partial curve, as a pruned trial's
    assert CUT_KEY not in oracle.trials[trial.trial_id].metrics.metrics


@pytest.mark.parametrize("state", ["kept", "lost"])
def test_a_cut_trial_is_still_told_as_pruned_after_a_resume(state, tpe_oracle, tmp_path):
    """The budget's cut is part of the oracle's state, and rebuilt from the records when that state is lost."""
    from kerashp._keras_tuner_compat import CUT_KEY
    from kerashp.storage.recovery import reload_oracle
    from kerashp.storage.run_store import RunStore
    from kerashp.tuning.trial import TrialRecord, TrialStatus

    oracle, store = tpe_oracle(name="run"), RunStore(tmp_path, "run")
    for cut in (False, True):
        trial = oracle.create_trial("tuner0")
        oracle.update_trial(trial.trial_id, {"val_accuracy": 0.6, **({CUT_KEY: 1.0} if cut else {})}, step=3)
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
        store.write_record(TrialRecord(int(trial.trial_id), trial.trial_id, TrialStatus.COMPLETED,
                                       dict(trial.hyperparameters.values), score=0.6, total_epochs=3,
                                       history={"val_accuracy": [0.5, 0.55, 0.6]}, timed_out=cut))
    if state == "lost":
        (store.path / "oracle.json").unlink()
    resumed = tpe_oracle(name="run")
    reload_oracle(resumed, store, values_of=lambda record: record.params, declare=lambda: None)
    assert resumed.cut == {trial.trial_id}
    assert [t.state.name for t in resumed.study.trials] == ["COMPLETE", "PRUNED"]


@pytest.mark.slow
def test_a_search_tells_tpe_the_trial_the_budget_cut(tmp_path):
    result = khp.tune(
        khp.builders.mlp,
        {"units": khp.Int(2, 16), "epochs": 2000, "batch_size": 16},
        data="iris",
        algorithm="tpe",
        max_trials=5,
        time_budget=3,
        seed=0,
        verbose=0,
        run=khp.RunFolder(directory=tmp_path, name="t"),
    )
    assert len(result.records) == 1 and result.records[0].timed_out and result.records[0].completed
    events = json.loads((tmp_path / "t" / "oracle.json").read_text())["kerashp_tpe"]["events"]
    assert [e[2] for e in events if e[0] == "tell"] == ["PRUNED"]
