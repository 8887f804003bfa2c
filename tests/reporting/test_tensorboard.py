"""`tune(tensorboard=...)`: one folder per trial, and HParams data that
TensorBoard's dashboard reads (the event files are read back here)."""

from __future__ import annotations

from pathlib import Path

import pytest

import kerashp as khp

pytest.importorskip("tensorboard")


def _values(folder: Path) -> list:
    """Every summary value in the event files directly in `folder`."""
    import tensorflow as tf
    from tensorboard.compat.proto import event_pb2

    files = sorted(folder.glob("events.out.tfevents.*"))
    return [value for path in files for raw in tf.data.TFRecordDataset(str(path))
            for value in event_pb2.Event.FromString(raw.numpy()).summary.value]


def _hparams(folder: Path, tag: str) -> list:
    from tensorboard.plugins.hparams import metadata

    parse = {metadata.EXPERIMENT_TAG: metadata.parse_experiment_plugin_data,
             metadata.SESSION_START_INFO_TAG: metadata.parse_session_start_info_plugin_data,
             metadata.SESSION_END_INFO_TAG: metadata.parse_session_end_info_plugin_data}[tag]
    return [parse(v.metadata.plugin_data.content) for v in _values(folder) if v.tag == tag]


def _session(folder: Path) -> tuple[dict, int]:
    """The hyperparameter values and the status of the one session in `folder`."""
    from google.protobuf import json_format
    from tensorboard.plugins.hparams import metadata

    (start,) = _hparams(folder, metadata.SESSION_START_INFO_TAG)
    (end,) = _hparams(folder, metadata.SESSION_END_INFO_TAG)
    return {k: json_format.MessageToDict(v) for k, v in start.hparams.items()}, end.status


def _build_adam_only(hp):
    if hp["optimizer"] == "sgd":
        raise ValueError("no sgd in this test")
    return khp.builders.mlp(hp)


def test_each_trial_has_its_folder_and_the_hparams_dashboard_its_data(digits_small, tiny_space, tmp_path):
    from tensorboard.plugins.hparams import api_pb2, metadata

    logs = tmp_path / "logs"
    result = khp.tune(
        _build_adam_only,
        {**tiny_space, "epochs": 1},
        data=digits_small,
        algorithm=khp.algorithms.Random(initial=[{"units": 8, "learning_rate": 3e-3, "optimizer": "adam"},
                               {"units": 16, "learning_rate": 3e-3, "optimizer": "sgd", "momentum": 0.5}]),
        objective="val_accuracy",
        max_trials=3,
        seed=0,
        verbose=0,
        run=khp.RunFolder(directory=tmp_path, name="run", tensorboard=logs),
    )
    records = result.records
    assert sorted(p.name for p in logs.iterdir() if p.is_dir()) == [f"trial_{r.number}" for r in records]
    assert {str(r.status) for r in records} == {"COMPLETED", "FAILED"}  # trial 1 (sgd) failed

    (experiment,) = _hparams(logs, metadata.EXPERIMENT_TAG)
    assert {h.name for h in experiment.hparam_infos} == set(tiny_space)
    domains = {h.name: h for h in experiment.hparam_infos}
    assert list(domains["optimizer"].domain_discrete.values) and domains["learning_rate"].HasField("domain_interval")
    assert {(m.name.group, m.name.tag) for m in experiment.metric_infos} >= {
        ("validation", "epoch_accuracy"), ("validation", "epoch_loss")}

    for record in records:
        folder = logs / f"trial_{record.number}"
        values, status = _session(folder)
        assert values == record.params
        if record.status is khp.tuning.TrialStatus.FAILED:
            assert status == api_pb2.STATUS_FAILURE
            continue
        assert status == api_pb2.STATUS_SUCCESS
        for group in ("train", "validation"):
            assert "epoch_loss" in {v.tag for v in _values(folder / group)}
        assert "epoch_accuracy" in {v.tag for v in _values(folder / "validation")}


def test_a_tensorboard_callback_gets_one_folder_per_trial_and_resuming_repeats_nothing(
        digits_small, tiny_space, tmp_path):
    import keras
    from tensorboard.plugins.hparams import metadata

    logs = tmp_path / "logs"
    space = {**{k: v for k, v in tiny_space.items() if k != "momentum"}, "optimizer": "adam", "epochs": 1}
    run = {"data": digits_small, "algorithm": "random", "seed": 0, "verbose": 0,
           "callbacks": [keras.callbacks.TensorBoard(str(logs))]}
    khp.tune(khp.builders.mlp, space, max_trials=1, run=khp.RunFolder(tmp_path, "run"), **run)
    result = khp.tune(khp.builders.mlp, space, max_trials=2, run=khp.RunFolder(tmp_path, "run", if_exists="resume"),
                      **run)

    shared = {p.name for p in logs.iterdir() if not p.name.startswith("events.out.tfevents.")}
    assert shared == {"trial_0", "trial_1"}  # no logs/train that every trial writes to
    assert len(_hparams(logs, metadata.EXPERIMENT_TAG)) == 1
    for record in result.records:
        folder = logs / f"trial_{record.number}"
        assert _session(folder)[0] == record.params  # exactly one session each
        assert "epoch_loss" in {v.tag for v in _values(folder / "train")}


def test_the_experiment_declares_each_entry_with_its_domain_and_the_objective_as_keras_names_it(tmp_path):
    from google.protobuf import json_format
    from tensorboard.plugins.hparams import metadata

    from kerashp.reporting.tensorboard import TrialLogs
    from kerashp.space import Space
    from kerashp.tuning.objective import as_objective

    space = Space({"units": khp.Int(8, 64), "layers": khp.Int(1, 5, step=2), "lr": khp.Float(1e-4, 1e-1, log=True),
                   "dropout": khp.Float(0.0, 0.5, step=0.25), "scale": [1, 2.5], "act": ["relu", "tanh"],
                   "bn": khp.Bool(), "epochs": 30})
    TrialLogs(tmp_path).start(space, as_objective("accuracy"))
    (experiment,) = _hparams(tmp_path, metadata.EXPERIMENT_TAG)
    domains = {h.name: json_format.MessageToDict(h) for h in experiment.hparam_infos}
    assert {k: d.get("domainDiscrete", d.get("domainInterval")) for k, d in domains.items()} == {
        "units": {"minValue": 8, "maxValue": 64}, "layers": [1, 3, 5], "lr": {"minValue": 1e-4, "maxValue": 0.1},
        "dropout": [0.0, 0.25, 0.5], "scale": [1.0, 2.5], "act": ["relu", "tanh"], "bn": [False, True],
        "epochs": [30]}
    assert [(m.name.group, m.name.tag) for m in experiment.metric_infos] == [
        ("train", "epoch_accuracy"), ("validation", "epoch_loss"), ("train", "epoch_loss")]


def test_a_tensorboard_path_that_is_a_file_is_refused_before_training(digits_small, tiny_space, tmp_path):
    file = tmp_path / "logs"
    file.write_text("not a folder")
    with pytest.raises(khp.ArgumentError, match=r"tensorboard=.*logs.* is a file"):
        khp.tune(
            khp.builders.mlp,
            tiny_space,
            data=digits_small,
            algorithm="random",
            max_trials=1,
            run=khp.RunFolder(directory=tmp_path, name="run", tensorboard=file),
        )
    assert not (tmp_path / "run" / "trials").exists()


def test_a_folder_holding_another_searchs_logs_is_refused_unless_the_run_resumes_or_overwrites(
        digits_small, tiny_space, tmp_path):
    logs = tmp_path / "logs"
    (logs / "trial_3" / "train").mkdir(parents=True)
    (logs / "trial_3" / "train" / "events.out.tfevents.1.host.1.v2").write_bytes(b"")
    (logs / "notes.txt").write_text("not a search's")
    run = {"data": digits_small, "algorithm": "random", "max_trials": 1, "seed": 0, "verbose": 0,
           "run": khp.RunFolder(tmp_path, "other", tensorboard=logs)}
    space = {**tiny_space, "epochs": 1}
    with pytest.raises(khp.ArgumentError, match=(
            rf"tensorboard='{logs}' already holds the logs of a search \(trial_3\). Pass another folder "
            rf"\(e.g. '{logs / 'run2'}'\), run=khp.RunFolder\(if_exists='resume'\) to continue that run, or "
            rf"run=khp.RunFolder\(if_exists='overwrite'\) to replace its logs.")):
        khp.tune(khp.builders.mlp, space, **run)
    assert not (tmp_path / "other").exists() and (logs / "trial_3").is_dir()  # refused before anything

    run["run"] = khp.RunFolder(tmp_path, "other", tensorboard=logs, if_exists="overwrite")
    khp.tune(khp.builders.mlp, space, **run)
    names = sorted(p.name for p in logs.iterdir())
    assert names[1:] == ["notes.txt", "trial_0"] and names[0].startswith("events.out.tfevents.")  # the experiment


def _steps(folder: Path, tag: str) -> list[int]:
    import tensorflow as tf
    from tensorboard.compat.proto import event_pb2

    events = [event_pb2.Event.FromString(raw.numpy()) for path in sorted(folder.glob("events.out.tfevents.*"))
              for raw in tf.data.TFRecordDataset(str(path))]
    return sorted(event.step for event in events for value in event.summary.value if value.tag == tag)


@pytest.mark.slow  # the fast tier: a resumed run's logs in test_a_tensorboard_callback_gets_...
def test_an_interrupted_trials_logs_are_replaced_when_the_run_resumes(digits_small, tiny_space, tmp_path):
    """Ctrl-C in the second epoch of trial 1, after its first epoch was
    logged: the resumed run trains trial 1 again, in a folder of its own."""
    import keras

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    fits = []

    def callbacks(hp):
        fits.append(hp)
        return [Interrupt()] if len(fits) == 2 else []

    logs = tmp_path / "logs"
    space = {**{k: v for k, v in tiny_space.items() if k != "momentum"}, "optimizer": "adam", "epochs": 2}
    run = {"data": digits_small, "algorithm": "random", "max_trials": 2, "seed": 0, "verbose": 0,
           "callbacks": callbacks}
    with pytest.raises(KeyboardInterrupt):
        khp.tune(khp.builders.mlp, space, run=khp.RunFolder(tmp_path, "run", tensorboard=logs), **run)
    left = {p.relative_to(logs) for p in (logs / "trial_1").rglob("events.out.tfevents.*")}
    assert left and _steps(logs / "trial_1" / "train", "epoch_loss") == [0]  # what the interrupted attempt wrote

    result = khp.tune(khp.builders.mlp, space, run=khp.RunFolder(tmp_path, "run", if_exists="resume", tensorboard=logs),
                      **run)
    assert [r.number for r in result.records] == [0, 1] and len(fits) == 3
    again = {p.relative_to(logs) for p in (logs / "trial_1").rglob("events.out.tfevents.*")}
    assert not left & again  # the interrupted attempt's files are gone
    assert _steps(logs / "trial_1" / "train", "epoch_loss") == [0, 1]  # each epoch once
    assert _session(logs / "trial_1")[0] == result.records[1].params


@pytest.mark.slow
@pytest.mark.parametrize("workers", [None, 2])
def test_with_folds_each_fold_has_its_curves_and_its_session_in_one_process_or_in_workers(
        workers, digits_small, tmp_path):
    from tensorboard.plugins.hparams import api_pb2

    logs = tmp_path / "logs"
    space = {"units": khp.Int(8, 16), "learning_rate": khp.Float(1e-3, 1e-2, log=True), "epochs": 1}
    result = khp.tune(
        khp.builders.mlp,
        space,
        data=khp.Data(digits_small, cv=2),
        algorithm="random",
        max_trials=2,
        seed=0,
        verbose=0,
        run=khp.RunFolder(directory=tmp_path, name="run", tensorboard=logs),
        execution=khp.Execution(workers=workers),
    )
    assert sorted(p.name for p in logs.iterdir() if p.is_dir()) == ["trial_0", "trial_1"]
    for record in result.records:
        trial = logs / f"trial_{record.number}"
        assert sorted(p.name for p in trial.iterdir()) == ["fold_0", "fold_1"]  # no session beside the folds
        for fold in ("fold_0", "fold_1"):
            assert _session(trial / fold) == (record.params, api_pb2.STATUS_SUCCESS)
            assert "epoch_loss" in {v.tag for v in _values(trial / fold / "validation")}
