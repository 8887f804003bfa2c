"""The core every capability plugs into: the algorithm registry, typed trial
records, observers, queued and warm-started searches, cross-validation inside
a trial, and the run folder's schema version. The oracles are driven by hand
where training is not the point; the longer searches are in the full tier."""

from __future__ import annotations

import json

import numpy as np
import pytest

import kerashp as khp
from kerashp import algorithms
from kerashp.storage.run_store import SCHEMA_VERSION
from kerashp.tuning import TrialRecord, TrialStatus

SPACE = {"units": [4, 8], "learning_rate": khp.Float(3e-3, 3e-2, log=True), "batch_size": 32}


@pytest.fixture(scope="module")
def iris():
    return khp.datasets.load("iris")


def run(data, tmp_path, *, algorithm="random", name="run", resume=False, cv=None, validation_split=None,
        **kwargs):
    """`tune` on `data`: the algorithm's own options (`initial`, `warm_start`,
    `reduction_factor`) go to its object, `cv`/`validation_split` to `Data`."""
    options = {k: kwargs.pop(k) for k in ("initial", "warm_start", "reduction_factor") if k in kwargs}
    kwargs.setdefault("verbose", 0)
    kwargs.setdefault("seed", 0)
    kwargs.setdefault("objective", "val_accuracy")
    space = kwargs.pop("space", {**SPACE, "epochs": 1})
    return khp.tune(
        khp.builders.mlp,
        space,
        data=khp.Data(data, cv=cv, validation_split=validation_split),
        algorithm=algorithms.get({"name": algorithm, **options}),
        run=khp.RunFolder(tmp_path, name, if_exists="resume" if resume else "error"),
        **kwargs,
    )


# ------------------------------------------------------------------ registry
def test_the_registry_holds_each_algorithm_once_with_its_traits():
    assert set(algorithms.names()) >= {"random", "grid", "bayesian", "hyperband"}
    assert algorithms.get("hyperband").decides_epochs and algorithms.get("grid").needs_discrete_space
    assert not algorithms.get("random").decides_epochs
    with pytest.raises(khp.ArgumentError, match=r"Received: algorithm='hyperbnd'. Did you mean 'hyperband'\?"):
        algorithms.get("hyperbnd")


@pytest.mark.parametrize(
    ("algorithm", "kwargs", "match"),
    [
        ("random", {"reduction_factor": 3}, r"`reduction_factor` does not apply to algorithm 'random'.*an option "
                                            r"of Hyperband"),
        ("grid", {"reduction_factor": 2}, r"`reduction_factor` does not apply to algorithm 'grid'"),
        ("bayesian", {"reduction_factor": 3}, r"`reduction_factor` does not apply to algorithm 'bayesian'"),
        ("hyperband", {"reduction_factor": 1}, r"`reduction_factor` must be an integer >= 2. Received: "
                                               r"reduction_factor=1"),
        ("grid", {"initial": [{"units": 4}]}, r"`initial` does not apply to algorithm 'grid', which takes no options"),
        ("random", {"warm_start": "elsewhere"}, r"`warm_start` does not apply to algorithm 'random'.*option of "
                                                r"Bayesian and TPE and BOHB"),
        ("grid", {"warm_start": "elsewhere"}, r"`warm_start` does not apply to algorithm 'grid'"),
        ("hyperband", {"warm_start": "elsewhere"}, r"`warm_start` does not apply to algorithm 'hyperband'"),
        ("hyperband", {"space": {"units": [4], "epochs": [1, 2]}}, r"'hyperband' decides how many epochs.*searches "
                                                                   r"'epochs'"),
        ("grid", {"space": {"dropout": (0.1, 0.2)}}, r"'dropout' is a continuous range"),
        ("random", {"cv": 3, "validation_split": 0.3}, r"Data takes cv or validation_split, not both"),
        ("random", {"cv": 1}, r"`cv` must be an integer >= 2. Received: cv=1"),
        ("random", {"initial": {"units": 4}}, r"`initial` of Random must be a list of dicts.*initial=\[\{...\}\]"),
        ("random", {"initial": [{"units": 5, "learning_rate": 0.01}]}, r"initial\[0\] sets units=5, outside"),
        ("random", {"initial": [{"units": 4, "learning_rate": 0.01}] * 3, "max_trials": 2},
         r"`initial` has 3 configurations, more than max_trials=2"),
        ("random", {"on_trial_end": ["not callable"]}, r"`on_trial_end` must be a function of a TrialRecord"),
    ],
)
def test_an_argument_that_does_not_apply_is_refused_before_training(algorithm, kwargs, match, iris, tmp_path):
    space = kwargs.pop("space", {**SPACE, "epochs": 1} if algorithm != "hyperband" else SPACE)
    if algorithm == "grid" and "space" not in kwargs and "dropout" not in space:
        space = {**space, "learning_rate": [0.01]}
    with pytest.raises(khp.ArgumentError, match=match):
        run(iris, tmp_path, algorithm=algorithm, space=space, **kwargs)
    assert not (tmp_path / "run").exists()


def test_explicit_validation_data_refuses_cv_and_validation_split(iris, tmp_path):
    x, y = iris
    data = (x[::2], y[::2], x[1::2], y[1::2])
    with pytest.raises(khp.ArgumentError, match=r"its own validation part.*cv=2 does not apply"):
        run(data, tmp_path, cv=2)
    with pytest.raises(khp.ArgumentError, match=r"its own validation part.*validation_split=0.1 does not apply"):
        run(data, tmp_path, validation_split=0.1)


# ---------------------------------------------------- records and observers
def test_on_trial_end_receives_every_finished_trial_once_after_it_is_stored(iris, tmp_path):
    seen = []

    def observer(record):
        assert (tmp_path / "run" / "trials" / f"{record.trial_id}.json").exists()  # stored first
        seen.append(record)

    def build(hp):
        if hp["units"] == 4:  # 3 of the 4 trials: they fail at once, so only one trains
            raise ValueError("four units are not allowed here")
        return khp.builders.mlp(hp)

    result = khp.tune(
        build,
        {**SPACE, "epochs": 1},
        data=iris,
        algorithm="random",
        max_trials=4,
        seed=0,
        objective="val_accuracy",
        verbose=0,
        on_trial_end=[observer],
        run=khp.RunFolder(directory=tmp_path, name="run"),
    )
    assert [r.number for r in seen] == [r.number for r in result.records] == [0, 1, 2, 3]
    assert all(isinstance(r, TrialRecord) for r in seen)
    statuses = {r.status for r in seen}
    assert statuses == {TrialStatus.COMPLETED, TrialStatus.FAILED}
    failed = next(r for r in seen if r.status is TrialStatus.FAILED)
    assert failed.score is None and "four units" in failed.error
    on_disk = json.loads((tmp_path / "run" / "trials" / f"{failed.trial_id}.json").read_text())
    assert TrialRecord.from_dict(on_disk) == failed


def test_a_record_round_trips_and_reads_the_records_of_version_0():
    record = TrialRecord(number=3, trial_id="03", status="PRUNED", params={"units": 4}, score=0.5,
                         state={"rung": 1}, fold_scores=[0.4, 0.6])
    assert record.status is TrialStatus.PRUNED
    assert TrialRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record
    old = {"trial_id": "0007", "status": "COMPLETED", "params": {}, "score": 0.9, "promoted_from": "0002",
           "history": None, "epochs": 3, "a_key_from_the_future": 1}
    read = TrialRecord.from_dict(old)
    assert (read.number, read.promoted_from, read.history, read.completed) == (7, "0002", {}, True)


def test_run_json_carries_a_schema_version_and_a_newer_one_is_refused(iris, tmp_path):
    run(iris, tmp_path, max_trials=1)
    settings_path = tmp_path / "run" / "run.json"
    settings = json.loads(settings_path.read_text())
    assert settings["schema"] == SCHEMA_VERSION
    settings["schema"] = SCHEMA_VERSION + 1
    settings_path.write_text(json.dumps(settings))
    with pytest.raises(khp.RunFolderError, match=r"schema version 2.*a newer kerashp wrote it. Upgrade kerashp"):
        khp.load_result(tmp_path / "run")
    with pytest.raises(khp.RunFolderError, match=r"newer kerashp"):
        run(iris, tmp_path, max_trials=2, resume=True)


# -------------------------------------------------- queued and warm-started
QUEUED = [{"units": 8, "learning_rate": 0.02}, {"units": 4, "learning_rate": 0.004}]


def _finish(oracle, trial, score=0.5):
    """Ends `trial` as keras-tuner's tuner does: scored, ended, the oracle saved."""
    oracle.update_trial(trial.trial_id, {"val_accuracy": score})
    trial.status = "COMPLETED"
    oracle.end_trial(trial)
    oracle.save()


@pytest.mark.parametrize("algorithm", ["random", "bayesian", "hyperband", "tpe", "bohb"])
def test_every_oracle_proposes_the_queued_configurations_first(algorithm, make_oracle):
    oracle = make_oracle(algorithm, SPACE, initial=QUEUED, max_trials=4, epochs=3)
    proposed = []
    for _ in range(3):
        trial = oracle.create_trial("tuner0")
        proposed.append({k: trial.hyperparameters.values[k] for k in ("units", "learning_rate")})
        _finish(oracle, trial)
    assert proposed[:2] == QUEUED and proposed[2] not in QUEUED  # then its own proposals


def test_a_resumed_oracle_skips_the_queued_configurations_it_has_tried(make_oracle):
    oracle = make_oracle("random", SPACE, name="r", initial=QUEUED)
    for _ in range(2):
        _finish(oracle, oracle.create_trial("tuner0"))
    resumed = make_oracle("random", SPACE, name="r", initial=QUEUED)  # a new process: the state from oracle.json
    resumed.reload()
    trial = resumed.create_trial("tuner0")
    assert trial.trial_id not in oracle.trials  # a new trial
    assert {k: trial.hyperparameters.values[k] for k in ("units", "learning_rate")} not in QUEUED


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["random", "bayesian", "hyperband"])
def test_queued_initial_configurations_run_first(algorithm, iris, tmp_path):
    initial = [{"units": 8, "learning_rate": 0.02}, {"units": 4, "learning_rate": 0.004}]
    kwargs = {"max_epochs": 3} if algorithm == "hyperband" else {"max_trials": 3}
    space = SPACE if algorithm == "hyperband" else {**SPACE, "epochs": 1}
    result = run(iris, tmp_path, algorithm=algorithm, space=space, initial=initial, **kwargs)
    first = [{k: r.params[k] for k in ("units", "learning_rate")} for r in result.records[:2]]
    assert first == initial
    later = [{k: r.params[k] for k in ("units", "learning_rate")} for r in result.records[2:]]
    assert later  # then the algorithm's own proposals (Hyperband's promotions repeat values)
    if algorithm != "hyperband":
        assert all(p not in initial for p in later)


@pytest.mark.slow
def test_queued_configurations_are_not_run_again_on_resume(iris, tmp_path, capsys):
    initial = [{"units": 8, "learning_rate": 0.02}, {"units": 4, "learning_rate": 0.004}]
    run(iris, tmp_path, initial=initial, max_trials=2)
    capsys.readouterr()
    result = run(iris, tmp_path, initial=initial, max_trials=3, resume=True, verbose=1)
    printed = capsys.readouterr().out
    assert "resuming" in printed and "2 trials finished before" in printed
    assert "Reloading Tuner" not in printed  # keras-tuner's own line stays out
    params = [(r.params["units"], r.params["learning_rate"]) for r in result.records]
    assert params[:2] == [(8, 0.02), (4, 0.004)] and len(params) == 3 and params[2] not in params[:2]


def test_tpe_and_bohb_start_at_the_center_of_the_space_unless_told_otherwise():
    from kerashp.space import Space
    from kerashp.tuning.starting_points import initial_values

    space = Space(SPACE)
    center = {"units": 4, "learning_rate": pytest.approx(3e-3 * 10**0.5)}  # the lower middle of numeric choices
    for algo in (algorithms.TPE(), algorithms.BOHB(), algorithms.get("bohb"), algorithms.Random(initial="center")):
        assert algo.initial == "center" and initial_values(space, algo.initial, 10) == [center]
    assert initial_values(space, "center", 10, warm=True) == []  # the earlier run's trials say where to look
    assert algorithms.TPE(initial=None).initial == algorithms.Random().initial == []
    assert algorithms.BOHB(initial=None) == algorithms.BOHB()  # where it starts is not an option of how it searches
    with pytest.raises(khp.ArgumentError, match=r"initial.*list of dicts.*'center' or None.*initial='middle'"):
        algorithms.TPE(initial="middle")
    with pytest.raises(khp.ArgumentError, match=r"initial.*list of dicts"):  # not numpy's ambiguous truth value
        algorithms.TPE(initial=np.array([{"units": 4}, {"units": 8}]))


def test_a_default_search_trains_the_center_first(iris, tmp_path):
    result = run(iris, tmp_path, algorithm="tpe", max_trials=2)
    assert result.records[0].params == {"units": 4, "learning_rate": pytest.approx(3e-3 * 10**0.5), "batch_size": 32,
                                        "epochs": 1}
    assert result.records[1].params != result.records[0].params


def test_warm_start_feeds_the_earlier_records_to_the_first_proposal(make_oracle):
    rng = np.random.default_rng(0)
    prior = [({"units": int(rng.choice([4, 8])), "learning_rate": float(lr)}, float(np.log10(lr)))
             for lr in np.geomspace(3e-3, 3e-2, 8)]
    warm = make_oracle("bayesian", SPACE, name="warm", max_trials=5, epochs=1, prior=prior)
    first = warm.create_trial("tuner0")
    assert first.status == "RUNNING"
    assert warm.gpr.X_train_.shape[0] == len(prior)  # the model was fitted on the earlier trials
    assert "prior-0" not in warm.trials and len(warm.trials) == 1  # they are not trials of this run
    cold = make_oracle("bayesian", SPACE, name="cold", max_trials=5, epochs=1)
    cold.create_trial("tuner0")
    assert not hasattr(cold.gpr, "X_train_")  # a cold start draws its first points at random


def test_warm_start_from_a_run_folder_runs_new_trials_and_refuses_what_cannot_guide_it(iris, tmp_path, write_run):
    space = {**SPACE, "epochs": 1}
    tried = [{"units": u, "learning_rate": lr, "epochs": 1, "batch_size": 32} for u in (4, 8) for lr in (3e-3, 3e-2)]
    earlier = write_run([(params, [0.5 + i / 10]) for i, params in enumerate(tried)], space=space,
                        objective="val_accuracy", name="earlier")
    seen = []
    result = run(iris, tmp_path, name="warm", algorithm="bayesian", max_trials=1, warm_start=earlier,
                 on_trial_end=seen.append)
    assert len(result.records) == len(seen) == 1 and result.records[0].number == 0  # its own trials only
    assert result.records[0].params not in tried
    with pytest.raises(khp.ArgumentError, match=r"optimized 'val_accuracy' \(max\), this search 'val_loss'"):
        run(iris, tmp_path, name="w2", algorithm="bayesian", objective="val_loss", warm_start=earlier)
    with pytest.raises(khp.ArgumentError, match=r"No completed trial of warm_start=.* lies in this space"):
        run(iris, tmp_path, name="w3", algorithm="bayesian", warm_start=earlier, space={**space, "units": [16, 32]})


@pytest.mark.slow
def test_warm_start_through_tune_keeps_the_new_run_separate(iris, tmp_path):
    earlier = run(iris, tmp_path, name="earlier", max_trials=7)
    seen = []
    result = run(iris, tmp_path, name="warm", algorithm="bayesian", max_trials=1, warm_start=earlier,
                 on_trial_end=seen.append)
    assert len(result.records) == len(seen) == 1 and result.records[0].number == 0
    tried = [r.params for r in earlier.records]
    assert result.records[0].params not in tried
    with pytest.raises(khp.ArgumentError, match=r"optimized 'val_accuracy' \(max\), this search 'val_loss'"):
        run(iris, tmp_path, name="w2", algorithm="bayesian", objective="val_loss", warm_start=tmp_path / "earlier")
    with pytest.raises(khp.ArgumentError, match=r"No completed trial of warm_start=.* lies in this space"):
        run(iris, tmp_path, name="w3", algorithm="bayesian", warm_start=earlier,
            space={**SPACE, "units": [16, 32], "epochs": 1})


# ------------------------------------------------- cross-validation in trials
def test_a_cross_validated_trial_scores_its_folds_a_failed_one_is_recorded_and_cv_is_kept(iris, tmp_path, capsys,
                                                                                         eager_mlp):
    """The cv tests below at the fast tier's scale: two folds of one epoch, one trial that trains, the refit."""
    space = {"optimizer": ["adam", "nope"], "units": 4, "learning_rate": 0.01, "epochs": 1}
    result = khp.tune(
        eager_mlp,
        space,
        data=khp.Data(iris, cv=2),
        algorithm="grid",
        objective="val_accuracy",
        seed=0,
        verbose=1,
        run=khp.RunFolder(directory=tmp_path, name="run"),
    )
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("trial ")]
    assert len(lines) == len(result.records) == 2  # the progress display shows cv trials
    by_opt = {r.params["optimizer"]: r for r in result.records}
    done, failed = by_opt["adam"], by_opt["nope"]
    assert done.status is TrialStatus.COMPLETED and len(done.fold_scores) == 2
    assert done.score == pytest.approx(np.mean(done.fold_scores))
    assert done.score_std == pytest.approx(np.std(done.fold_scores))
    assert failed.status is TrialStatus.FAILED and failed.fold_scores is None
    assert "Unknown optimizer 'nope'" in failed.error and result.best_params["optimizer"] == "adam"
    assert result.settings["cv"] == 2 and result.best_model.predict(iris[0][:2], verbose=0).shape == (2, 3)
    with pytest.raises(khp.RunFolderError, match=r"different settings: .*cv: 2 then, 3 now"):
        khp.tune(
            eager_mlp,
            space,
            data=khp.Data(iris, cv=3),
            algorithm="grid",
            objective="val_accuracy",
            seed=0,
            run=khp.RunFolder(directory=tmp_path, name="run", if_exists="resume"),
        )


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["random", "grid", "bayesian", "hyperband"])
def test_cv_runs_inside_the_trials_of_every_algorithm(algorithm, iris, tmp_path, capsys):
    space = {"units": [4, 8], "learning_rate": 0.01, "batch_size": 32}
    kwargs = {"max_epochs": 3} if algorithm == "hyperband" else {"max_trials": 2}
    if algorithm == "hyperband":  # enough distinct values for its first bracket
        space["learning_rate"] = khp.Float(3e-3, 3e-2, log=True)
    else:
        space["epochs"] = 1
    result = run(iris, tmp_path, algorithm=algorithm, cv=3, space=space, verbose=1, **kwargs)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("trial ")]
    assert len(lines) == len(result.records) >= 2  # the progress display shows cv trials
    for record in result.records:
        assert record.status is TrialStatus.COMPLETED and len(record.fold_scores) == 3
        assert record.score == pytest.approx(np.mean(record.fold_scores))
        assert record.score_std == pytest.approx(np.std(record.fold_scores))
    assert result.settings["cv"] == 3
    assert result.best_model.predict(iris[0][:2], verbose=0).shape == (2, 3)  # refit on all the data
    if algorithm == "hyperband":
        promoted = [r for r in result.records if r.promoted_from]
        assert promoted and all(r.total_epochs == 3 for r in promoted)


@pytest.mark.slow
def test_cv_with_a_time_budget_stops_and_resume_goes_on(iris, tmp_path, capsys):
    space = {"units": [4, 8], "learning_rate": 0.01, "batch_size": 16, "epochs": 500}
    result = run(iris, tmp_path, cv=3, space=space, max_trials=5, time_budget=2, verbose=1)
    assert len(result.records) == 1
    record = result.records[0]  # cut in its first fold: treated as without cv, scored on what it trained
    assert record.status is TrialStatus.COMPLETED and record.timed_out and len(record.fold_scores) == 1
    assert record.score == record.fold_scores[0] and bool(result.trials["timed_out"].iloc[0])
    assert any(line.startswith("trial 0  time") for line in capsys.readouterr().out.splitlines())
    small = {**space, "epochs": 1, "learning_rate": khp.Float(3e-3, 3e-2, log=True)}
    first = run(iris, tmp_path, name="r", cv=2, space=small, max_trials=2)
    before = (tmp_path / "r" / "trials" / "0.json").read_text()
    seen = []
    resumed = run(iris, tmp_path, name="r", cv=2, space=small, max_trials=3, resume=True, on_trial_end=seen.append)
    assert [r.number for r in seen] == [2] and len(resumed.records) == 3
    assert (tmp_path / "r" / "trials" / "0.json").read_text() == before
    assert [r.params for r in resumed.records[:2]] == [r.params for r in first.records]
    with pytest.raises(khp.RunFolderError, match=r"different settings: .*cv: 2 then, 3 now"):
        run(iris, tmp_path, name="r", cv=3, space=small, max_trials=3, resume=True)


@pytest.mark.slow
def test_cv_trials_that_fail_are_recorded_and_seeded_cv_repeats(iris, tmp_path):
    space = {"optimizer": ["adam", "nope"], "units": 4, "learning_rate": 0.01, "epochs": 1}
    result = run(iris, tmp_path, algorithm="grid", cv=2, space=space)
    by_opt = {r.params["optimizer"]: r for r in result.records}
    assert by_opt["adam"].completed and by_opt["nope"].status is TrialStatus.FAILED
    assert "Unknown optimizer 'nope'" in by_opt["nope"].error and by_opt["nope"].fold_scores is None
    assert result.best_params["optimizer"] == "adam"
    space = {"units": khp.Int(4, 16), "learning_rate": khp.Float(1e-2, 1e-1, log=True), "epochs": 1}
    first = run(iris, tmp_path, name="a", cv=2, space=space, max_trials=2, seed=3, objective="val_loss")
    again = run(iris, tmp_path, name="b", cv=2, space=space, max_trials=2, seed=3, objective="val_loss")
    assert [r.params for r in first.records] == [r.params for r in again.records]
    np.testing.assert_allclose([r.fold_scores for r in first.records], [r.fold_scores for r in again.records],
                               rtol=1e-5)
    assert all(r.score > 0 for r in first.records)  # Keras's loss on each held-out fold
