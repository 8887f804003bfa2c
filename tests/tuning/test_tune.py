"""`kerashp.tune` end to end on tiny searches, with real keras-tuner oracles (the longer ones in the
full tier, a cheaper search of the same behaviour in the fast one)."""

from __future__ import annotations

import dataclasses
import json

import keras
import numpy as np
import pytest

import kerashp as khp


def run(space, data, tmp_path, *, name="run", if_exists="error", **kwargs):
    kwargs.setdefault("algorithm", "random")
    kwargs.setdefault("max_trials", 3)
    kwargs.setdefault("verbose", 0)
    kwargs.setdefault("seed", 0)
    kwargs.setdefault("objective", "val_accuracy")
    return khp.tune(
        khp.builders.mlp,
        space,
        data=data,
        run=khp.RunFolder(tmp_path, name, if_exists=if_exists),
        **kwargs,
    )


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["random", "bayesian", "grid"])
def test_each_algorithm_runs_a_search_end_to_end(algorithm, tiny_space, digits_small, tmp_path):
    space = dict(tiny_space)
    if algorithm == "grid":
        space["learning_rate"] = [0.003, 0.01]
        del space["momentum"]
        space["optimizer"] = "adam"
    result = run(space, digits_small, tmp_path, algorithm=algorithm, max_trials=4 if algorithm != "grid" else None)
    trials = result.trials
    assert (trials["status"] == "COMPLETED").all()
    assert len(trials) == 4
    assert {"trial", "score", "units", "learning_rate", "epochs_trained", "seconds"} <= set(trials.columns)
    assert trials["trial"].tolist() == [0, 1, 2, 3]  # integers, whatever keras-tuner's id padding
    if algorithm == "grid":  # every combination exactly once
        combos = {(r.units, r.learning_rate) for r in trials.itertuples()}
        assert combos == {(u, lr) for u in (8, 16) for lr in (0.003, 0.01)}
    # the conditional entry only exists where its condition holds
    for params in (r.params for r in result.records):
        assert ("momentum" in params) == (params["optimizer"] == "sgd")
    assert result.best_score == trials["score"].max()
    assert result.best_params == result.best_trial.params
    assert result.best_params["layers"] == 1  # fixed values are part of each trial


def test_a_two_trial_search_records_its_trials_and_reopens_its_best_model(tiny_space, digits_small, tmp_path):
    """The two tests above at the fast tier's scale: one epoch, two trials."""
    result = run({**tiny_space, "epochs": 1}, digits_small, tmp_path, max_trials=2)
    trials = result.trials
    assert trials["status"].tolist() == ["COMPLETED", "COMPLETED"] and trials["trial"].tolist() == [0, 1]
    assert {"trial", "score", "units", "learning_rate", "epochs_trained", "seconds"} <= set(trials.columns)
    for params in (r.params for r in result.records):
        assert ("momentum" in params) == (params["optimizer"] == "sgd") and params["layers"] == 1
    assert result.best_score == trials["score"].max() and result.best_params == result.best_trial.params
    prepared = khp.datasets.prepare(digits_small, seed=0)
    _, accuracy = result.best_model.evaluate(*prepared.val, verbose=0)
    assert accuracy == pytest.approx(result.best_score, abs=1e-6)
    reopened = khp.load_result(tmp_path / "run").best_model  # rebuilt from run.json + weights, no pickle
    np.testing.assert_allclose(reopened.predict(prepared.val[0][:5], verbose=0),
                               result.best_model.predict(prepared.val[0][:5], verbose=0), rtol=1e-5)
    assert not list((tmp_path / "run").rglob("*.pkl"))
    assert list(result.history().index) == [1] and "best trial" in result.summary()


@pytest.mark.parametrize("algorithm", ["random", "bayesian", "hyperband"])
def test_a_seed_fixes_the_proposals_and_another_seed_changes_them(algorithm, make_oracle):
    """`test_same_seed_same_trial_sequence` without training: the oracles, scored by hand."""

    def proposals(name, seed):
        oracle, seen = make_oracle(algorithm, tiny, name=name, seed=seed, max_trials=6, epochs=3), []
        for _ in range(6):
            trial = oracle.create_trial("tuner0")
            assert trial.status == "RUNNING"
            seen.append(dict(trial.hyperparameters.values))
            oracle.update_trial(trial.trial_id, {"val_accuracy": trial.hyperparameters.values["learning_rate"]})
            trial.status = "COMPLETED"
            oracle.end_trial(trial)
        return seen

    tiny = {"units": khp.Int(4, 64), "learning_rate": khp.Float(1e-3, 1e-1, log=True)}
    first = proposals("a", 0)  # seed=0 too: keras-tuner alone treats 0 as "no seed"
    assert proposals("b", 0) == first and proposals("c", 1) != first


@pytest.mark.slow
def test_best_model_is_trained_and_reloaded_from_records(tiny_space, digits_small, tmp_path):
    result = run(tiny_space, digits_small, tmp_path)
    prepared = khp.datasets.prepare(digits_small, seed=0)
    _, accuracy = result.best_model.evaluate(*prepared.val, verbose=0)
    assert accuracy == pytest.approx(result.best_score, abs=1e-6)
    reopened = khp.load_result(tmp_path / "run")
    assert reopened.best_params == result.best_params
    again = reopened.best_model  # rebuilt from run.json + weights, no pickle
    np.testing.assert_allclose(again.predict(prepared.val[0][:5], verbose=0),
                               result.best_model.predict(prepared.val[0][:5], verbose=0), rtol=1e-5)
    assert not list((tmp_path / "run").rglob("*.pkl"))
    history = result.history()
    assert list(history.index) == [1, 2]
    assert history["val_accuracy"].max() == pytest.approx(result.best_score)
    assert "best trial" in result.summary()


def test_a_promoted_trial_trains_on_its_parents_model_for_more_epochs(eager_mlp, tmp_path):
    """The test below at the fast tier's scale: Hyperband over 2 epochs, iris, an eagerly run mlp."""
    builds = []

    def build(hp):
        builds.append(hp)
        return eager_mlp(hp)

    space = {"units": [4, 8, 16], "learning_rate": khp.Float(1e-3, 1e-2, log=True), "batch_size": 32}
    result = khp.tune(
        build,
        space,
        data="iris",
        algorithm=khp.algorithms.Hyperband(reduction_factor=2),
        max_epochs=2,
        seed=0,
        verbose=0,
        objective="val_accuracy",
        run=khp.RunFolder(directory=tmp_path, name="run"),
    )
    promoted = [r for r in result.records if r.promoted_from is not None]
    assert promoted and len(builds) == len(result.records) - len(promoted)  # no rebuild for a promotion
    for record in promoted:
        parent = result.record(record.promoted_from)
        assert record.params == parent.params and record.total_epochs == 2 > parent.total_epochs
        assert record.epochs == record.total_epochs - parent.total_epochs  # on from where the parent stopped


@pytest.mark.slow
def test_hyperband_gives_promoted_trials_more_epochs_on_the_same_model(digits_small, tmp_path):
    space = {"units": [8, 16, 32], "learning_rate": khp.Float(1e-3, 1e-2, log=True), "batch_size": 64}
    builds = []

    def build(hp):
        builds.append(hp)
        return khp.builders.mlp(hp)

    result = khp.tune(
        build,
        space,
        data=digits_small,
        algorithm="hyperband",
        max_epochs=4,
        seed=0,
        verbose=0,
        objective="val_accuracy",
        run=khp.RunFolder(directory=tmp_path, name="run"),
    )
    trials = result.trials
    promoted = trials[trials["promoted_from"].notna()]
    assert len(promoted) >= 1
    # a promoted trial trains on the parent's model kept in memory: no rebuild
    assert len(builds) == len(trials) - len(promoted)
    for row in promoted.itertuples():
        parent = result.record(int(row.promoted_from))  # the parent's number
        assert row.total_epochs > parent.total_epochs
        assert result.record(row.trial).params == parent.params
        # trained on from where the parent stopped, not from scratch
        assert row.epochs_trained == row.total_epochs - parent.total_epochs
    assert trials["total_epochs"].max() == 4
    assert trials["total_epochs"].min() < 4


@pytest.mark.slow
def test_same_seed_same_trial_sequence(tiny_space, digits_small, tmp_path):
    # seed=0 too: keras-tuner alone treats 0 as "no seed"
    first = run(tiny_space, digits_small, tmp_path, name="a", seed=0)
    second = run(tiny_space, digits_small, tmp_path, name="b", seed=0)
    third = run(tiny_space, digits_small, tmp_path, name="c", seed=1)
    params = [[r.params for r in res.records] for res in (first, second, third)]
    assert params[0] == params[1]
    assert params[0] != params[2]
    np.testing.assert_allclose(first.trials["score"], second.trials["score"], rtol=1e-6)


def test_failed_trials_are_recorded_and_never_best(digits_small, tmp_path):
    def build(hp):
        if hp["mode"] == "raise":
            raise ValueError("this configuration cannot be built")
        model = khp.builders.mlp({"units": 8, "learning_rate": hp["learning_rate"]})
        model.compile(optimizer=model.optimizer, loss=model.loss, metrics=["accuracy"], run_eagerly=True)  # cheap
        return model

    space = {"mode": ["ok", "raise", "nan"], "learning_rate": 0.01, "epochs": 2, "batch_size": 64}
    x, y = digits_small
    data = (x, y.astype("int64"))

    def nan_build(hp):
        model = build(hp)
        if hp["mode"] == "nan":
            model.compile(optimizer=keras.optimizers.SGD(1e12), loss="sparse_categorical_crossentropy",
                          metrics=["accuracy"], run_eagerly=True)
        return model

    result = khp.tune(
        nan_build,
        space,
        data=data,
        algorithm="grid",
        objective="val_loss",
        verbose=0,
        seed=0,
        run=khp.RunFolder(directory=tmp_path, name="f"),
    )
    trials = result.trials.set_index("mode")
    assert trials.loc["ok", "status"] == "COMPLETED"
    assert trials.loc["raise", "status"] == "FAILED"
    assert "cannot be built" in trials.loc["raise", "error"]
    assert trials.loc["nan", "status"] == "FAILED"
    assert "diverged" in trials.loc["nan", "error"]
    assert "(values: [nan])" in trials.loc["nan", "error"]  # stopped after the first epoch, not both
    assert result.best_params["mode"] == "ok"
    on_disk = json.loads(
        (tmp_path / "f" / "trials" / f"{result.record(int(trials.loc['raise', 'trial'])).trial_id}.json").read_text()
    )
    assert on_disk["status"] == "FAILED" and on_disk["score"] is None


def test_build_fn_returning_a_non_model_stops_at_once(tiny_space, digits_small, tmp_path):
    calls = []

    def build(hp):
        calls.append(hp)
        return "not a model"

    with pytest.raises(khp.InvalidModelError, match=r"build_fn must return a keras.Model.*Received: str"):
        khp.tune(
            build,
            tiny_space,
            data=digits_small,
            algorithm="random",
            max_trials=5,
            verbose=0,
            run=khp.RunFolder(directory=tmp_path, name="x"),
        )
    assert len(calls) == 1


def test_uncompiled_model_is_compiled_from_reserved_keys(digits_small, tmp_path):
    def build(hp):
        return keras.Sequential([keras.Input((64,)), keras.layers.Dense(10, activation="softmax")])

    space = {"optimizer": ["sgd"], "learning_rate": 0.05, "epochs": 1}
    result = khp.tune(
        build,
        space,
        data=digits_small,
        algorithm="grid",
        objective="val_accuracy",
        verbose=0,
        run=khp.RunFolder(directory=tmp_path, name="u"),
    )
    model = result.best_model
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)


@pytest.mark.slow
def test_callbacks_as_function_of_hp_and_copied_per_trial(tiny_space, digits_small, tmp_path):
    seen = []

    class Record(keras.callbacks.Callback):
        def __init__(self, tag):
            super().__init__()
            self.tag = tag

        def on_train_begin(self, logs=None):
            seen.append((self.tag, self))  # the object itself: ids of freed objects are reused

    run(tiny_space, digits_small, tmp_path, name="fn", callbacks=lambda hp: [Record(hp["units"])])
    assert [tag for tag, _ in seen] and all(tag in (8, 16) for tag, _ in seen)
    seen.clear()
    shared = Record("list")
    run(tiny_space, digits_small, tmp_path, name="list", callbacks=[shared])
    assert len(seen) == 3 and len({id(cb) for _, cb in seen}) == 3 and all(cb is not shared for _, cb in seen)


def test_time_budget_stops_the_search(digits_small, tmp_path):
    space = {"units": khp.Int(8, 32), "epochs": 200, "batch_size": 32}
    result = run(space, digits_small, tmp_path, max_trials=50, time_budget=1)
    assert len(result.records) == 1  # the running trial is cut short; none starts after
    record = result.records[0]
    assert record.timed_out and record.epochs < 200 and record.status == "COMPLETED"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"algorithm": "annealing"}, r"`algorithm` must be one of .*Received: algorithm='annealing'"),
        ({"objective": "val_thing"}, r"Cannot tell whether 'val_thing' should be minimized or maximized. "
                                     r"Pass objective=\('val_thing', 'max'\)"),
        ({"time_budget": "ten minutes"}, r"time_budget='ten minutes'"),
        ({"max_trials": 0}, r"`max_trials` must be an integer >= 1. Received: max_trials=0"),
        ({"run": khp.RunFolder(name="../escape")}, r"`name` must be a plain folder name.*Received: name='../escape'"),
        ({"run": khp.RunFolder(name="/abs")}, r"Received: name='/abs'"),
        ({"algorithm": "grid", "space": {"dropout": (0.1, 0.2)}}, r"'dropout' is a continuous range"),
        ({"space": {"lr": khp.Float(1e-3, 1e-1)}}, r"'lr' would reach nothing: mlp\(\) reads .*"
                                                   r"Did you mean 'learning_rate'\?"),
        ({"space": {"unit": [8, 16]}}, r"'unit' would reach nothing.*Did you mean 'units'\?"),
        ({"algorithm": "hyperband", "space": {"epochs": [1, 2]}}, r"space searches 'epochs'"),
        ({"data": [1, 2, 3]}, r"`data` must be a dataset name"),
    ],
)
def test_bad_arguments_fail_before_training(kwargs, match, tiny_space, digits_small, tmp_path):
    space = kwargs.pop("space", tiny_space)
    kwargs.setdefault("data", digits_small)
    with pytest.raises(ValueError, match=match) as caught:
        kwargs["run"] = dataclasses.replace(kwargs.get("run", khp.RunFolder()), directory=tmp_path)
        khp.tune(khp.builders.mlp, space, verbose=0, **kwargs)
    assert isinstance(caught.value, khp.KerashpError)
    assert not (tmp_path.parent / "escape").exists()


def test_missing_objective_metric_stops_with_the_metrics_logged(tiny_space, digits_small, tmp_path):
    with pytest.raises(khp.KerashpError, match=r"'val_auc' is not among the metrics.*val_accuracy"):
        run({**tiny_space, "epochs": 1}, digits_small, tmp_path, objective="val_auc")


def test_existing_run_needs_resume_or_overwrite_and_overwrite_stays_inside(tiny_space, digits_small, tmp_path):
    tiny_space = {**tiny_space, "epochs": 1}
    run(tiny_space, digits_small, tmp_path, name="r", max_trials=1)
    sibling = tmp_path / "keep.txt"
    sibling.write_text("mine")
    with pytest.raises(khp.KerashpError, match=r"A run named 'r' exists.*if_exists='resume'.*if_exists='overwrite'"):
        run(tiny_space, digits_small, tmp_path, name="r", max_trials=1)
    run(tiny_space, digits_small, tmp_path, name="r", max_trials=1, if_exists="overwrite")
    assert sibling.read_text() == "mine"
    with pytest.raises(khp.KerashpError, match=r"different settings: space entry 'units': \{.*\[8, 16\]\} then, "
                                               r"\{.*\[4\]\} now\.") as err:
        run({**tiny_space, "units": [4]}, digits_small, tmp_path, name="r", max_trials=2, if_exists="resume")
    assert "learning_rate" not in str(err.value)  # only the entry that differs


def test_tf_data_inputs(digits_small, tmp_path):
    import tensorflow as tf

    x, y = digits_small
    train = tf.data.Dataset.from_tensor_slices((x[:300], y[:300]))
    val = tf.data.Dataset.from_tensor_slices((x[300:], y[300:]))
    space = {"units": [8], "epochs": 1, "batch_size": 50}
    result = khp.tune(
        khp.builders.mlp,
        space,
        data=(train, val),
        algorithm="grid",
        objective="val_accuracy",
        verbose=0,
        run=khp.RunFolder(directory=tmp_path, name="ds"),
    )
    record = result.records[0]
    assert record.status == "COMPLETED"
    assert result.best_model.output_shape == (None, 10)
    with pytest.raises(khp.ArgumentError, match=r"\(train_ds, val_ds\) pair, so validation_split=0.3 does not apply"):
        khp.tune(
            khp.builders.mlp,
            space,
            data=khp.Data((train, val), validation_split=0.3),
            algorithm="grid",
            run=khp.RunFolder(directory=tmp_path, name="ds2"),
        )


@pytest.mark.slow
def test_cross_validated_tune_returns_the_same_kind_of_result(tmp_path):
    x, y = khp.datasets.load("iris")
    space = {"units": [4, 8], "epochs": 3, "learning_rate": 0.01, "batch_size": 16}
    result = khp.tune(
        khp.builders.mlp,
        space,
        data=khp.Data((x, y), cv=3),
        algorithm="grid",
        objective="val_accuracy",
        verbose=0,
        seed=0,
        run=khp.RunFolder(directory=tmp_path, name="cv"),
    )
    trials = result.trials
    assert len(trials) == 2 and set(trials["units"]) == {4, 8}
    folds = trials[["fold0", "fold1", "fold2"]].to_numpy()
    np.testing.assert_allclose(trials["score"], folds.mean(axis=1))
    np.testing.assert_allclose(trials["score_std"], folds.std(axis=1))
    assert result.best_params["units"] == trials.loc[trials["score"].idxmax(), "units"]
    model = khp.load_result(tmp_path / "cv", build_fn=khp.builders.mlp).best_model  # refit on all data
    assert model.predict(x[:3], verbose=0).shape == (3, 3)


def test_kept_models_hold_one_bracket_within_their_memory_bound():
    from kerashp.tuning.objective import as_objective
    from kerashp.tuning.promotions import KeptModels

    def model(units):
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(units)])

    small, large = model(2), model(200)  # 10 and 1000 weights: 40 and 4000 bytes
    kept = KeptModels(as_objective("val_accuracy"))
    kept.max_bytes = 4050
    kept.keep("a", None, small, 0.5, group=2)
    kept.keep("b", None, large, 0.9, group=2)
    assert len(kept) == 2
    kept.keep("c", None, model(2), 0.7, group=2)  # over the bound: the worst (a, 0.5) goes
    assert kept.take("a", None) is None and len(kept) == 2
    assert kept.take("b", None) is large and kept.take("b", None) is None  # taken once
    kept.keep("d", None, model(2), 0.1, group=1)  # a new bracket: the old one's models go
    assert kept.take("c", None) is None and len(kept) == 1


@pytest.mark.slow
def test_a_resume_with_any_setting_that_gives_trials_their_meaning_changed_is_refused(digits_small, tmp_path):
    x, y = digits_small
    base = {"data": khp.Data((x, y)), "algorithm": "random", "seed": 0, "max_epochs": 1, "batch_size": 64,
            "verbose": 0, "objective": "val_accuracy"}
    space = {"units": [8, 16]}
    khp.tune(khp.builders.mlp, space, max_trials=1, run=khp.RunFolder(tmp_path, "r"), **base)
    run_json = (tmp_path / "r" / "run.json").read_bytes()
    weights = np.ones(len(x))
    weights[:10] = 0
    changed = {
        "data: other arrays": {"data": khp.Data((x[:-1], y[:-1]))},
        "space entry 'units'": {"space": {"units": [8, 32]}},
        "builder": {"build_fn": khp.builders.cnn},
        "seed": {"seed": 1},
        "max_epochs": {"max_epochs": 2},
        "batch_size": {"batch_size": 32},
        "validation_split": {"data": khp.Data((x, y), validation_split=0.3)},
        "cv": {"data": khp.Data((x, y), cv=2)},
        "objective": {"objective": "val_loss"},
        "algorithm": {"algorithm": "tpe"},
        "options": {"algorithm": khp.algorithms.Random(pruner=khp.pruners.ASHA())},
        "class_weight": {"data": khp.Data((x, y), class_weight="balanced")},
        "data: other arrays than then": {"data": khp.Data((x, y), sample_weight=weights)},
        "task": {"data": khp.Data((x, y), task="regression")},
        "precision": {"execution": khp.Execution(precision="mixed_bfloat16")},
    }
    for name, change in changed.items():
        call = {"build_fn": khp.builders.mlp, "space": space, **base, **change}
        with pytest.raises(khp.RunFolderError, match=rf"different settings: .*{name}"):
            khp.tune(call.pop("build_fn"), call.pop("space"), max_trials=2,
                     run=khp.RunFolder(tmp_path, "r", if_exists="resume"), **call)
        assert (tmp_path / "r" / "run.json").read_bytes() == run_json  # never rewritten by a refused resume
    result = khp.tune(khp.builders.mlp, space, max_trials=2, run=khp.RunFolder(tmp_path, "r", if_exists="resume"),
                      **{**base, "verbose": 1})
    assert len(result.records) == 2  # max_trials and verbose may change
