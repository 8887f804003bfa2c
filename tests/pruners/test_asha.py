"""ASHA: trials stopped early by the oracle, never rebuilt.

The rung rule on scripted values, the same decisions through a real
keras-tuner oracle and through its gRPC `OracleClient`, and a real search in
which every decision is checked against the records' own histories.
"""

from __future__ import annotations

import json
import socket
import statistics
import time

import keras
import pytest

import kerashp as khp
from kerashp.pruners.asha import COST_KEYS, Rungs, cost_rung, first_rung, model_costs, rung_of
from kerashp.tuning import TrialStatus

# Six trials, each reporting val_accuracy at epochs 1..9, one after another.
SCRIPT = {
    "0": [0.50, 0.60, 0.80, 0.80, 0.85, 0.86, 0.87, 0.88, 0.88],
    "1": [0.40, 0.90, 0.95, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99],  # bad at rung 0: stopped there
    "2": [0.60, 0.65, 0.70, 0.70, 0.70, 0.70, 0.70, 0.70, 0.70],
    "3": [0.55, 0.60, 0.60, 0.60, 0.60, 0.60, 0.60, 0.60, 0.60],
    "4": [0.30, 0.30, 0.30, 0.30, 0.30, 0.30, 0.30, 0.30, 0.30],
    "5": [0.70, 0.80, 0.90, 0.90, 0.90, 0.90, 0.90, 0.90, 0.91],
}
# Worked by hand, eta=3 (keep the best max(1, n // 3) of the n at a rung):
# rung 0 (epoch 1): 0 alone -> on; 1 (0.40 < 0.50) stopped; 2 best of 3 -> on;
#   3 (0.55 < 0.60, top 1 of 4) stopped; 4 stopped; 5 (0.70, top 2 of 6) -> on.
# rung 1 (epoch 3): 0 alone -> on; 2 (0.70 < 0.80) stopped; 5 (0.90, top 1 of 3) -> on.
# rung 2 (epoch 9): 0 alone -> on; 5 (0.91 > 0.88, top 1 of 2) -> on.
EXPECTED_STOP = {"0": None, "1": 1, "2": 3, "3": 1, "4": 1, "5": None}


def _play(report) -> dict[str, int | None]:
    """Runs SCRIPT through `report(trial_id, epoch, value) -> keeps going`."""
    stopped = {}
    for trial_id, values in SCRIPT.items():
        stopped[trial_id] = None
        for epoch, value in enumerate(values, start=1):
            if not report(trial_id, epoch, value):
                stopped[trial_id] = epoch
                break
    return stopped


def test_rungs_sit_at_the_first_rung_times_powers_of_the_reduction_factor():
    assert [e for e in range(1, 30) if rung_of(e, 1, 3) is not None] == [1, 3, 9, 27]
    assert [e for e in range(1, 30) if rung_of(e, 2, 2) is not None] == [2, 4, 8, 16]
    assert rung_of(9, 1, 3) == 2 and rung_of(4, 1, 3) is None


def test_without_first_rung_the_first_rung_is_sized_to_the_trials_and_epochs():
    # the Hyperband bracket that starts max_trials trials: eta**k <= max_trials rungs apart
    assert first_rung(27, 30, 3) == 1  # the default BOHB search: rungs at 1, 3, 9 as before
    assert first_rung(100, 20, 3) == 11  # 20 trials of 100 epochs: rungs at 11 and 33, not 1, 3, 9, 27, 81
    assert first_rung(59, 20, 3) == 6 and first_rung(9, 8, 3) == 3 and first_rung(5, 100, 3) == 1
    assert first_rung(100, None, 3) == 1  # a time budget: the number of trials is open


@pytest.mark.parametrize(("options", "first"),
                         [({}, 11), ({"pruner": {"first_rung": 1}}, 1), ({"pruner": {"first_rung": 4}}, 4)])
def test_bohb_and_asha_size_their_first_rung_unless_first_rung_is_given(make_oracle, options, first):
    bohb = make_oracle("bohb", ORACLE_SPACE, max_trials=20, epochs=100, **options)
    random = make_oracle("random", ORACLE_SPACE, max_trials=20, epochs=100, name="random",
                         **({"pruner": "asha"} | options))
    for oracle in (bohb, random):
        oracle.pruner.measured(0.1, 1.0)  # a cheap model: the rung sized to the search decides
        assert oracle.pruner.first == first


def test_the_first_rung_follows_what_a_model_costs_against_an_epoch():
    assert [cost_rung(r) for r in (0.0, 0.5, 1.0, 1.01, 3.8, 16.0)] == [1, 1, 1, 2, 4, 16]
    cheap, dear, xla = (Rungs(first_rung=None, reduction_factor=3, direction="max", floor=1, cap=9) for _ in range(3))
    assert cheap.first is None and cheap.keep("0", 1, 0.1) and cheap.keep("1", 1, 0.0)  # no cost yet: none stopped
    cheap.measured(0.05, 0.2)  # a model costs a quarter of an epoch: trials are judged after one epoch
    dear.measured(0.46, 0.12)  # TensorFlow tracing a small MLP on a CPU: 0.46 s, epochs of 0.12 s
    xla.measured(1.6, 0.1)  # XLA compiling it: capped so that one rung stays (27 epochs // 3)
    assert (cheap.first, dear.first, xla.first) == (1, 4, 9)
    assert not cheap.keep("2", 1, 0.05)  # judged against the values reported before the rung was decided
    for model in (3.0, 3.0, 0.1):  # the median of the first SAMPLES reports; later ones are not taken
        dear.measured(model, 0.12)
    assert dear.costs == [[0.46, 0.12], [3.0, 0.12], [3.0, 0.12]] and dear.first == 9
    fixed = Rungs(first_rung=2, reduction_factor=3, direction="max")
    fixed.measured(1.6, 0.1)
    assert fixed.first == 2  # an explicit first_rung wins
    # a model compiled in the background while the trial before trained still cost its compile
    hidden = {"build": 0.01, "first_epoch": 0.14, "epoch": 0.1, "ahead": 1.6}
    assert model_costs(hidden) == pytest.approx([1.65, 0.1])
    assert model_costs({**hidden, "ahead": None}) == pytest.approx([0.05, 0.1])


def test_brackets_hedge_the_measured_first_rung_as_hyperband_does():
    rungs = Rungs(first_rung=None, reduction_factor=3, direction="max", floor=1, cap=9, brackets=True)
    ids = [str(i) for i in range(2000)]
    rungs.measured(0.1, 1.0)  # first rung 1: rungs 1, 3, 9 up to the cap, so 4 brackets
    by = {b: [t for t in ids if rungs.bracket_of(t) == b] for b in range(5)}
    assert not by[4]
    for bracket, share in enumerate([27, 12, 6, 4]):  # Hyperband's trials per bracket
        assert abs(len(by[bracket]) / len(ids) - share / 49) < 0.03
    first, second, third = by[1][:3]  # bracket 1: first judged at 3 epochs
    assert all(rungs.keep(t, 1, 0.0) for t in (first, second, third))  # not a rung of theirs
    for trial_id in by[0][:6]:
        rungs.keep(trial_id, 3, 0.9)  # better values, of another bracket
    assert not rungs.keep(second, 3, 0.4)  # fewer than eta of its bracket at 3: judged against every trial there
    assert not rungs.keep(third, 3, 0.3)
    assert rungs.keep(first, 3, 0.5)  # three of its bracket there: judged against them only
    never = by[3][:4]  # the last bracket stops nothing
    assert all(rungs.keep(t, e, -float(i)) for i, t in enumerate(never) for e in (1, 3, 9, 27))
    again = Rungs(first_rung=None, reduction_factor=3, direction="max", floor=1, cap=9, brackets=True)
    again.set_state(rungs.get_state())  # a resumed search puts every trial in the same bracket
    assert [again.bracket_of(t) for t in ids] == [rungs.bracket_of(t) for t in ids]
    xla = Rungs(first_rung=None, reduction_factor=3, direction="max", floor=1, cap=9, brackets=True)
    xla.measured(1.6, 0.1)  # first rung 9, the cap: a bracket judged at 9 epochs, one never stopped
    assert {xla.bracket_of(t) for t in ids} == {0, 1}
    plain = Rungs(first_rung=2, reduction_factor=3, direction="max", cap=9)  # an explicit first_rung: no brackets
    assert {plain.bracket_of(t) for t in ids} == {0}


@pytest.mark.parametrize(("options", "brackets"), [({}, True), ({"pruner": {"first_rung": 1}}, False)])
def test_bohb_hedges_its_first_rung_unless_first_rung_is_given(make_oracle, options, brackets):
    oracle = make_oracle("bohb", ORACLE_SPACE, max_trials=30, epochs=27, **options)
    assert oracle.pruner.brackets is brackets


def test_the_oracle_takes_a_trials_costs_out_of_its_metrics_and_keeps_them(make_oracle):
    oracle = make_oracle("bohb", ORACLE_SPACE, max_trials=30, epochs=27)
    trial = oracle.create_trial("tuner0")
    oracle.update_trial(trial.trial_id, {"val_accuracy": 0.5}, step=1)
    assert oracle.pruner.first is None
    oracle.update_trial(trial.trial_id, {"val_accuracy": 0.6, COST_KEYS[0]: 0.46, COST_KEYS[1]: 0.12}, step=2)
    assert oracle.pruner.first == 4 and set(oracle.trials[trial.trial_id].metrics.metrics) == {"val_accuracy"}
    again = make_oracle("bohb", ORACLE_SPACE, max_trials=30, epochs=27, name="again").pruner
    again.set_state(oracle.get_state()["kerashp_asha"])  # what oracle.json keeps: a resumed search keeps its rungs
    assert again.first == 4 and again.costs == oracle.pruner.costs


def test_no_rung_sits_within_a_factor_eta_of_a_trials_last_epoch():
    rungs = Rungs(first_rung=11, reduction_factor=3, direction="min")
    assert rungs.keep("0", 33, 0.5, last=100) and not rungs.keep("1", 33, 0.9, last=100)  # 33 * 3 <= 100: a rung
    assert rungs.keep("0", 99, 0.5, last=100) and rungs.keep("1", 99, 0.9, last=100)  # 99: too near the end
    assert rungs.keep("2", 99, 0.5) and not rungs.keep("3", 99, 0.9)  # of trials of any length, 99 is a rung


def test_asha_stops_exactly_the_trials_it_should_on_a_scripted_objective():
    rungs = Rungs(first_rung=1, reduction_factor=3, direction="max")
    assert _play(rungs.keep) == EXPECTED_STOP
    # the same scores as losses, lower being better: the same decisions
    losses = Rungs(first_rung=1, reduction_factor=3, direction="min")
    assert _play(lambda t, e, v: losses.keep(t, e, -v)) == EXPECTED_STOP


def test_asha_state_round_trips_so_a_resumed_search_decides_the_same():
    rungs = Rungs(first_rung=1, reduction_factor=3, direction="max")
    for trial_id in "012":
        for epoch, value in enumerate(SCRIPT[trial_id], start=1):
            if not rungs.keep(trial_id, epoch, value):
                break
    again = Rungs(first_rung=1, reduction_factor=3, direction="max")
    again.set_state(rungs.get_state())
    assert again.keep("3", 1, 0.55) is False and again.keep("5", 1, 0.70) is True


ORACLE_SPACE = {"units": [4, 8, 16], "learning_rate": khp.Float(1e-3, 1e-1, log=True)}


def _play_oracle(oracle) -> dict[str, int | None]:
    """SCRIPT through an oracle's create_trial / update_trial / end_trial."""
    ids = {}

    def report(name, epoch, value):
        if name not in ids:
            ids[name] = oracle.create_trial("tuner0")
        trial = oracle.update_trial(ids[name].trial_id, {"val_accuracy": value}, step=epoch)
        going = trial.status == "RUNNING"
        if not going or epoch == len(SCRIPT[name]):
            trial.status = "COMPLETED"
            oracle.end_trial(trial)
        return going

    return _play(report)


def test_the_oracle_answers_stopped_in_update_trial(make_oracle):
    oracle = make_oracle("random", ORACLE_SPACE, pruner={"first_rung": 1})
    assert _play_oracle(oracle) == EXPECTED_STOP
    assert {int(k): v for k, v in oracle.pruned.items()} == {1: 1, 2: 3, 3: 1, 4: 1}  # trial id -> epoch
    state = oracle.get_state()["kerashp_asha"]
    assert state["pruned"] == oracle.pruned and state["first"] == 1


def test_per_epoch_reports_do_not_rewrite_the_trial_file(make_oracle):
    oracle = make_oracle("random", ORACLE_SPACE, pruner={"first_rung": 1})
    trial = oracle.create_trial("tuner0")
    writes = []
    save = oracle._save_trial
    oracle._save_trial = lambda t: (writes.append(t.trial_id), save(t))
    for epoch in (1, 2, 3):
        oracle.update_trial(trial.trial_id, {"val_accuracy": 0.5}, step=epoch)
    assert writes == []  # keras-tuner's own update_trial writes trial.json at every report
    trial.status = "COMPLETED"
    oracle.end_trial(trial)
    assert writes == [trial.trial_id]  # once, when the trial ends


def test_each_reported_metric_keeps_its_direction_as_keras_tuner_infers_it(make_oracle):
    oracle = make_oracle("random", ORACLE_SPACE, objective=("val_loss_plus", "max"), pruner={"first_rung": 1})
    metrics = {"val_loss_plus": 0.5, "accuracy": 0.9, "loss": 0.3, "my_metric": 1.0}
    for _ in range(2):  # a second trial reads the directions the first one found
        trial = oracle.create_trial("tuner0")
        oracle.update_trial(trial.trial_id, metrics, step=1)
        directions = {name: history.direction for name, history in trial.metrics.metrics.items()}
        assert directions == {"val_loss_plus": "max", "accuracy": "max", "loss": "min", "my_metric": "min"}
        trial.status = "COMPLETED"
        oracle.end_trial(trial)


def test_a_trial_that_reaches_its_own_searched_epochs_completes(make_oracle):
    oracle = make_oracle("random", {"units": [4, 8], "epochs": [3, 9]}, pruner="asha", epochs=9)
    ended = []
    for _ in range(15):  # until a trial of 3 epochs follows the good ones
        trial = oracle.create_trial("tuner0")
        short = trial.hyperparameters.values["epochs"] == 3
        good = len(ended) < 3  # three good trials fill the rungs at epochs 1 and 3 first
        for epoch in (1, 2, 3):
            value = 0.9 if good or epoch < 3 else 0.1
            answer = oracle.update_trial(trial.trial_id, {"val_accuracy": value}, step=epoch).status
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
        ended.append(trial.trial_id)
        if short and not good:
            break
    assert short and not good, "no trial of 3 epochs came after the good ones"
    # the rung at epoch 3 says stop, but epoch 3 is this trial's last: it completed
    assert answer == "RUNNING" and trial.trial_id not in oracle.pruned


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_stopped_status_comes_back_through_keras_tuners_grpc_client(make_oracle, monkeypatch):
    from concurrent import futures

    import grpc
    from keras_tuner.src import protos
    from keras_tuner.src.distribute.oracle_chief import OracleServicer
    from keras_tuner.src.distribute.oracle_client import OracleClient

    oracle = make_oracle("random", ORACLE_SPACE, pruner={"first_rung": 1})
    port = _free_port()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    protos.get_service_grpc().add_OracleServicer_to_server(OracleServicer(oracle), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    try:
        monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
        monkeypatch.setenv("KERASTUNER_ORACLE_PORT", str(port))
        monkeypatch.setenv("KERASTUNER_TUNER_ID", "tuner0")
        client = OracleClient(oracle)
        assert _play_oracle(client) == EXPECTED_STOP
    finally:
        server.stop(None)
    assert {int(k): v for k, v in oracle.pruned.items()} == {1: 1, 2: 3, 3: 1, 4: 1}  # the chief decided


# ------------------------------------------------------------- a real search
def _replay(records, objective: str, min_epochs: int, eta: int, epochs: int) -> dict[int, int | None]:
    """The epoch ASHA should stop each trial at, from the records' own histories."""
    rungs = Rungs(first_rung=min_epochs, reduction_factor=eta, direction="max")
    stops = {}
    for record in sorted(records, key=lambda r: r.number):
        stops[record.number] = None
        for epoch, value in enumerate(record.history[objective], start=1):
            if not rungs.keep(record.trial_id, epoch, value) and epoch < epochs:
                stops[record.number] = epoch
                break
    return stops


@pytest.mark.slow
def test_a_search_with_asha_prunes_by_the_rule_and_builds_each_trial_once(tmp_path):
    data = khp.datasets.load("iris")
    builds = []

    def build(hp):
        builds.append(hp)
        return khp.builders.mlp(hp)

    space = {"units": [2, 4, 16], "learning_rate": khp.Float(1e-3, 1e-1, log=True), "epochs": 9,
             "batch_size": 32}
    seen = []
    result = khp.tune(
        build,
        space,
        data=data,
        algorithm=khp.algorithms.Random(pruner=khp.pruners.ASHA(first_rung=1)),
        max_trials=8,
        seed=0,
        verbose=0,
        objective="val_accuracy",
        on_trial_end=seen.append,
        run=khp.RunFolder(directory=tmp_path, name="asha"),
    )
    records = result.records
    assert len(records) == len(seen) == len(builds) == 8  # a trial that goes on is never rebuilt
    expected = _replay(records, "val_accuracy", 1, 3, 9)
    got = {r.number: (r.total_epochs if r.status is TrialStatus.PRUNED else None) for r in records}
    assert got == expected
    assert sum(s is not None for s in got.values()) >= 3  # the rule did stop trials here
    pruned = [r for r in records if r.status is TrialStatus.PRUNED]
    assert all(r.state["pruned_at"] == r.total_epochs for r in pruned)
    assert result.best_trial.status is TrialStatus.COMPLETED and result.best_trial.total_epochs == 9
    assert f"{8 - len(pruned)} completed, {len(pruned)} stopped early, 0 failed" in result.summary()


def test_pruner_options_are_checked_where_they_are_given_and_before_training(tmp_path):
    for make, match in [
        (lambda: khp.algorithms.Random(pruner="median"), r"pruner.*Received: pruner='median'"),
        (lambda: khp.pruners.ASHA(reduction_factor=1), r"`reduction_factor` must be an integer >= 2. Received: "
                                                       r"reduction_factor=1"),
        (lambda: khp.pruners.ASHA(first_rung=0), r"`first_rung` must be an integer >= 1"),
        (lambda: khp.algorithms.BOHB(pruner=None), r"BOHB is TPE with ASHA: it needs a pruner"),
        (lambda: khp.algorithms.get({"name": "grid", "pruner": "asha"}),
         r"`pruner` does not apply to algorithm 'grid'.*an option of Random and Bayesian and TPE and BOHB"),
        (lambda: khp.algorithms.get({"name": "hyperband", "pruner": "asha"}), r"`pruner` does not apply"),
    ]:
        with pytest.raises(khp.ArgumentError, match=match):
            make()
    with pytest.raises(khp.ArgumentError, match=r"needs one score per epoch, but with cv=3.*Drop `cv`"):
        khp.tune(khp.builders.mlp, {"units": [4], "epochs": 3}, data=khp.Data(khp.datasets.load("iris"), cv=3),
                 algorithm=khp.algorithms.Random(pruner=khp.pruners.ASHA()), verbose=0,
                 run=khp.RunFolder(tmp_path, "x"))
    assert not (tmp_path / "x").exists()


class _SlowToTrace(keras.layers.Layer):
    """A stand-in for a model that is slow to compile: its Python `call` runs
    once per trace (the train and test steps), and sleeps there."""

    def call(self, inputs):
        time.sleep(0.3)
        return inputs


class _SlowBatches(keras.callbacks.Callback):
    """A stand-in for expensive epochs: every batch takes 200 ms more."""

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.parametrize(("slow", "first"), [("trace", 2), ("batches", 1)])
def test_a_search_sizes_its_first_rung_to_what_its_models_cost(tmp_path, slow, first):
    x, y = khp.datasets.load("iris")

    def build(hp):
        model = keras.Sequential([keras.Input((4,)), *([_SlowToTrace()] if slow == "trace" else []),
                                  keras.layers.Dense(hp["units"], activation="relu"),
                                  keras.layers.Dense(3, activation="softmax")])
        model.compile(optimizer=keras.optimizers.Adam(hp["learning_rate"]), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    space = {"units": [4, 8, 16], "learning_rate": khp.Float(1e-3, 1e-1, log=True), "batch_size": 32}
    result = khp.tune(
        build,
        space,
        data=(x, y),
        algorithm="bohb",
        max_trials=9,
        max_epochs=6,
        seed=0,
        verbose=0,
        callbacks=[_SlowBatches()] if slow == "batches" else None,
        run=khp.RunFolder(directory=tmp_path, name=slow),
    )
    asha = json.loads((tmp_path / slow / "oracle.json").read_text())["kerashp_asha"]
    ratio = statistics.median(model / epoch for model, epoch in asha["costs"])  # a reused model costs less
    assert ratio > 2 if slow == "trace" else ratio < 1
    assert asha["first"] == first  # 9 trials of 6 epochs: 1 sized to the search, at most 6 // 3
    pruned = [r for r in result.records if r.status is TrialStatus.PRUNED]
    assert pruned and {r.state["pruned_at"] for r in pruned} <= {first, first * 3}
    reopened = khp.tune(
        build,
        space,
        data=(x, y),
        algorithm="bohb",
        max_trials=10,
        max_epochs=6,
        seed=0,
        verbose=0,
        run=khp.RunFolder(directory=tmp_path, name=slow, if_exists="resume"),
    )
    assert json.loads((tmp_path / slow / "oracle.json").read_text())["kerashp_asha"]["costs"] == asha["costs"]
    assert len(reopened.records) == 10
