"""Files of a run folder cut short, emptied or overwritten: each is reported
by path, and the run reopens with every intact trial (`load_result` and
`resume=True`), its search state rebuilt from what is intact. The fast tier
damages a finished random search (made once per test process, before the
first test that uses it); the other algorithms' runs are in the full tier."""

from __future__ import annotations

import json

import pytest
from searches import run_search

import kerashp as khp
from kerashp.exceptions import DamagedFileError

DAMAGE = {
    "cut in half": lambda data: data[: len(data) // 2],
    "emptied": lambda data: b"",
    "garbage": lambda data: b"\x89HDF\r\n\x1a\n\x00\xff" * 8,
    "not a record": lambda data: b'{"hello": 1}',
}


def damage(path, how="cut in half"):
    path.write_bytes(DAMAGE[how](path.read_bytes()))


def fits_logged(log):
    """Callbacks that write one line to `log` per fit, and the way to count them."""

    def callbacks(hp):
        with open(log, "a") as f:
            f.write(f"{sorted(hp.items())}\n")
        return []

    return callbacks


@pytest.mark.parametrize("how", list(DAMAGE))
def test_a_damaged_record_is_reported_by_path_and_the_others_reopen(how, finished_run):
    run = finished_run("random")
    damage(run / "trials" / "1.json", how)
    with pytest.warns(RuntimeWarning, match=r"trials/1\.json is damaged.*if_exists='resume'\) runs it again"):
        result = khp.load_result(run)
    assert [r.trial_id for r in result.records] == ["0", "2"]
    assert result.best_trial.trial_id in ("0", "2")


@pytest.mark.slow
def test_resume_runs_the_trial_of_a_damaged_record_again_and_nothing_else(finished_run, tmp_path):
    run = finished_run("random")
    before = {r.trial_id: r for r in khp.load_result(run).records}
    damage(run / "trials" / "1.json", "emptied")
    log = tmp_path / "fits.log"
    with pytest.warns(RuntimeWarning, match="damaged"):
        result = run_search("random", run.parent, callbacks=fits_logged(log), max_trials=4)
    assert [r.trial_id for r in result.records] == ["0", "1", "2", "3"]
    assert all(r.status.value == "COMPLETED" for r in result.records)
    assert result.record("1").params == before["1"].params  # the same trial, run again
    assert len(log.read_text().splitlines()) == 2  # trial 1 again, then the new trial 3
    assert result.record("0").to_dict() == before["0"].to_dict()


@pytest.mark.parametrize("algorithm", ["random", *(pytest.param(name, marks=pytest.mark.slow)
                                                    for name in ("grid", "bayesian", "tpe", "bohb", "hyperband"))])
@pytest.mark.parametrize("files", [["oracle.json"], ["oracle.json", "trial_1/trial.json", "tuner0.json"]])
def test_damaged_keras_tuner_state_is_rebuilt_as_it_was(algorithm, files, finished_run, tmp_path):
    run = finished_run(algorithm)
    lost = json.loads((run / "oracle.json").read_text())
    trial_1 = json.loads((run / "trial_1" / "trial.json").read_text())
    for name in files:
        damage(run / name, "cut in half") if name != "tuner0.json" else (run / name).unlink()
    log = tmp_path / "fits.log"
    with pytest.warns(RuntimeWarning, match=r"oracle\.json is damaged"):
        run_search(algorithm, run.parent, callbacks=fits_logged(log))
    assert not log.exists()  # the run had finished: nothing ran again
    rebuilt = json.loads((run / "oracle.json").read_text())
    for key in ("start_order", "end_order", "ongoing_trials", "retry_queue", "id_to_hash", "hyperparameters",
                "brackets", "current_bracket", "current_iteration", "kerashp_asha"):
        assert rebuilt.get(key) == lost.get(key), key
    if algorithm == "random":  # the random draws' seed where the search left it (two values a trial)
        assert rebuilt["seed_state"] == lost["seed_state"]
    assert sorted(rebuilt["tried_so_far"]) == sorted(lost["tried_so_far"])
    again = json.loads((run / "trial_1" / "trial.json").read_text())
    assert (again["hyperparameters"]["values"], again["status"]) == (
        trial_1["hyperparameters"]["values"], trial_1["status"])
    assert again["score"] == pytest.approx(trial_1["score"])


@pytest.mark.parametrize("algorithm", ["random", pytest.param("bayesian", marks=pytest.mark.slow)])
def test_a_trial_recorded_but_not_ended_by_keras_tuner_leaves_the_random_draws_where_they_were(
        algorithm, finished_run, tmp_path):
    """Stopped between kerashp's record of a trial and keras-tuner's end of it
    (Ctrl-C in `on_trial_end`), the state is rebuilt from the records; the
    search's next random draw is still the one an uninterrupted run makes (the
    seed moves one step per value drawn: two per trial of the random search,
    none for the Gaussian process's proposal after the first three)."""
    run = finished_run(algorithm)
    lost = json.loads((run / "oracle.json").read_text())
    path = run / "trial_2" / "trial.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "status": "RUNNING"}))
    log = tmp_path / "fits.log"
    with pytest.warns(RuntimeWarning, match="Rebuilt the search state"):
        run_search(algorithm, run.parent, callbacks=fits_logged(log))
    assert not log.exists()  # trial 2 has its record: done
    assert json.loads((run / "oracle.json").read_text())["seed_state"] == lost["seed_state"]


def test_an_oracle_file_older_than_the_last_trial_does_not_rewind_the_random_draws(finished_run, tmp_path):
    """Killed after keras-tuner wrote a new trial's file and before its
    `oracle.json` (which still has the seed from before that trial's draw):
    the seed is counted from the trials, not taken from the older file."""
    run = finished_run("random")
    lost = json.loads((run / "oracle.json").read_text())
    older = {**lost, "start_order": ["0", "1"], "end_order": ["0", "1"], "seed_state": lost["seed_state"] - 2}
    (run / "oracle.json").write_text(json.dumps(older))
    log = tmp_path / "fits.log"
    with pytest.warns(RuntimeWarning, match="Rebuilt the search state"):
        run_search("random", run.parent, callbacks=fits_logged(log))
    assert not log.exists()  # trial 2 has its record: done
    assert json.loads((run / "oracle.json").read_text())["seed_state"] == lost["seed_state"]


@pytest.mark.parametrize("how", ["emptied", "garbage"])
@pytest.mark.parametrize("name", ["oracle.json", "trial_1/trial.json", "tuner0.json"])
def test_every_keras_tuner_file_emptied_or_garbage_reopens(name, how, finished_run, tmp_path):
    run = finished_run("random")
    damage(run / name, how)
    log = tmp_path / "fits.log"
    result = run_search("random", run.parent, callbacks=fits_logged(log), max_trials=4)
    assert len(log.read_text().splitlines()) == 1  # only the new trial ran
    assert [r.trial_id for r in result.records] == ["0", "1", "2", "3"]


@pytest.mark.slow
def test_a_hyperband_run_goes_on_from_rebuilt_brackets(finished_run, tmp_path):
    run = finished_run("hyperband")
    intact = tmp_path / "intact"
    intact.mkdir()
    run.rename(intact / "run")
    finished_run("hyperband")
    damage(run / "oracle.json")
    with pytest.warns(RuntimeWarning, match="damaged"):
        result = run_search("hyperband", run.parent, max_trials=10)
    expected = run_search("hyperband", intact, max_trials=10)

    def promotions(res):
        return [(r.state["round"], r.promoted_from) for r in res.records if r.state.get("round")]

    assert len(result.records) == 10 and all(r.completed for r in result.records)
    assert promotions(result) and promotions(result) == promotions(expected)  # the same trial promoted


def test_a_trial_with_nothing_left_is_recorded_failed_and_its_number_not_reused(finished_run):
    run = finished_run("random")
    damage(run / "trials" / "1.json", "emptied")
    damage(run / "trial_1" / "trial.json", "emptied")
    with pytest.warns(RuntimeWarning, match="damaged"):
        result = run_search("random", run.parent, max_trials=4)
    assert [r.trial_id for r in result.records] == ["0", "1", "2", "3"]
    assert result.record("1").status.value == "FAILED" and "values are lost" in result.record("1").error
    assert result.record("3").completed


def test_a_damaged_run_json_names_itself_and_resume_writes_it_again(finished_run):
    run = finished_run("random")
    damage(run / "run.json", "emptied")
    with pytest.raises(DamagedFileError, match=r"run\.json is damaged.*if_exists='resume'") as info:
        khp.load_result(run)
    assert info.value.path == run / "run.json"
    with pytest.warns(RuntimeWarning, match=r"run\.json is damaged"):
        run_search("random", run.parent)
    assert len(khp.load_result(run).records) == 3


@pytest.mark.parametrize("how", ["cut in half", "garbage"])
def test_damaged_weights_name_the_file_and_what_to_do(how, finished_run):
    run = finished_run("random")
    result = khp.load_result(run)
    weights = run / "trials" / f"{result.best_trial.trial_id}.weights.npz"
    damage(weights, how)
    with pytest.raises(DamagedFileError, match=r"weights\.npz is damaged.*Delete it and the trial's record") as info:
        _ = result.best_model
    assert info.value.path == weights


def test_files_are_replaced_whole_never_written_in_place(finished_run, monkeypatch):
    """A write that fails half-way (a full disk) leaves the old file as it was."""
    import os

    run = finished_run("random")
    before = {p: p.read_bytes() for p in [run / "oracle.json", run / "trials" / "0.json"]}

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    from kerashp.storage.run_store import RunStore

    store = RunStore(run.parent, run.name)
    record = store.records()[0]
    with pytest.raises(OSError, match="No space"):
        store.write_record(record)
    assert {p: p.read_bytes() for p in before} == before
    assert not [p for p in run.rglob("*") if ".tmp" in p.name]  # no temporary file left behind


def test_a_trial_syncs_its_record_and_weights_and_not_what_they_rebuild(eager_mlp, digits_small, tmp_path,
                                                                        monkeypatch):
    """Through a power cut a finished trial's record and weights survive (they
    are synced, with their folder); keras-tuner's files, which the records
    rebuild (the tests above), are written whole but not synced: 4 syncs a
    trial instead of 16, each a wait on the disk."""
    import os

    synced = []
    fsync = os.fsync

    def noted(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return fsync(fd)

    x, y = digits_small
    space, options = {"units": khp.Int(8, 16), "epochs": 1, "batch_size": 128}, {"data": (x[:100], y[:100]),
                                                                                 "seed": 0, "verbose": 0}
    khp.tune(eager_mlp, space, max_trials=1, run=khp.RunFolder(tmp_path, "r"), **options)
    monkeypatch.setattr(os, "fsync", noted)  # the second trial's writes
    khp.tune(eager_mlp, space, max_trials=2, run=khp.RunFolder(tmp_path, "r", if_exists="resume"), **options)
    names = [os.path.basename(path) for path in synced]
    assert any(n.startswith(".1.json.") for n in names) and any(n.startswith(".1.weights.npz.") for n in names)
    assert str(tmp_path / "r" / "trials") in synced  # the folder of each, for the rename
    assert not [n for n in names if n.startswith((".oracle.json.", ".trial.json.", ".tuner0.json."))]
    settings = [p for p in synced if os.path.basename(p).startswith(".run.json.") or p == str(tmp_path / "r")]
    assert len(synced) - len(settings) == 4  # the search's start wrote its settings again, synced
