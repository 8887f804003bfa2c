"""What the Ray driver does when a worker is lost (`_Driver.lost`), driven
directly with a real oracle and run store: no cluster, no training."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import kerashp as khp
from kerashp.exceptions import KerashpError

SPACE = {"units": khp.Int(8, 32, log=True), "batch_size": 64, "epochs": 2}


@pytest.fixture
def driver(make_oracle, tmp_path):
    from kerashp.parallel.on_ray import _Driver
    from kerashp.parallel.oracle_service import OracleService
    from kerashp.space import as_space
    from kerashp.storage.run_store import RunStore

    seen = []
    tuner = SimpleNamespace(space=as_space(SPACE), store=RunStore(tmp_path, "run"), tensorboard=None)
    made = _Driver(tuner, OracleService(make_oracle("random", SPACE)), seen.append)
    made.seen = seen
    return made


def _start(driver, worker_id: str) -> str:
    from kerashp._keras_tuner_compat import protos

    request = protos.get_service().CreateTrialRequest(tuner_id=worker_id)
    return driver.service.CreateTrial(request, None).trial.trial_id


def test_a_lost_trial_runs_again_on_the_next_worker_until_it_has_died_too_often(driver):
    from kerashp.parallel.on_ray import _Slot
    from kerashp.parallel.workers import RESTARTS

    slots = [_Slot("worker0"), _Slot("worker1")]
    trial_id = _start(driver, "worker0")
    for death in range(RESTARTS):  # each time on another worker: the deaths are the trial's, not a worker's
        driver.lost(slots[death % 2], "WorkerCrashedError")
        assert not driver.service.oracle.ongoing_trials  # given back to the queue
        assert _start(driver, slots[(death + 1) % 2].worker_id) == trial_id  # the next worker to ask runs it
    driver.lost(slots[RESTARTS % 2], "NodeDiedError")  # its death number RESTARTS + 1: the trial fails, with a record
    assert driver.service.oracle.trials[trial_id].status == "FAILED"
    [record] = driver.tuner.store.records()
    assert (record.trial_id, record.status.value) == (trial_id, "FAILED") and "NodeDiedError" in record.error
    assert driver.seen == [record]  # the observers (progress, on_trial_end) hear of it once
    assert _start(driver, "worker0") != trial_id  # the search goes on with another trial


def test_a_trial_whose_record_arrived_is_ended_as_recorded_not_run_again(driver):
    from kerashp.parallel.on_ray import _Slot
    from kerashp.tuning.trial import TrialRecord, TrialStatus

    trial_id = _start(driver, "worker0")
    driver.service.oracle.update_trial(trial_id, {driver.service.oracle.objective.name: 0.5})
    record = TrialRecord(int(trial_id), trial_id, TrialStatus.COMPLETED, {"units": 8}, score=0.5)
    driver.answer("worker0", "WriteRecord", {"record": record.to_dict(), "logs": {}})
    driver.lost(_Slot("worker0"), "WorkerCrashedError")  # died after sending its record, before the oracle's end
    assert driver.service.oracle.trials[trial_id].status == "COMPLETED"
    assert _start(driver, "worker1") != trial_id
    assert [r.trial_id for r in driver.seen] == [trial_id]


def test_a_worker_that_keeps_dying_outside_a_trial_ends_the_search_naming_the_cause(driver):
    from kerashp.parallel.on_ray import _Slot
    from kerashp.parallel.workers import RESTARTS

    slot = _Slot("worker0")
    for _ in range(RESTARTS):
        driver.lost(slot, "ModuleNotFoundError: No module named 'mybuilders'")
    _start(driver, "worker0")
    driver.lost(slot, "WorkerCrashedError")  # a death in a trial: the deaths outside one are no longer in a row
    for _ in range(RESTARTS):
        driver.lost(slot, "ModuleNotFoundError: No module named 'mybuilders'")
    with pytest.raises(KerashpError, match=r"died 3 times in a row.*mybuilders.*working_dir"):
        driver.lost(slot, "ModuleNotFoundError: No module named 'mybuilders'")


def test_a_worker_cannot_write_outside_the_run_or_the_log_folder(driver, tmp_path):
    from kerashp.tuning.trial import TrialRecord, TrialStatus

    driver.tuner.tensorboard = SimpleNamespace(root=tmp_path / "logs")
    record = TrialRecord(0, "0", TrialStatus.COMPLETED, {"units": 8}, score=0.5).to_dict()
    for name in ("../escape.txt", "/etc/passwd", "trial_0/../../x", ""):
        with pytest.raises(KerashpError, match="outside the TensorBoard folder"):
            driver.answer("w", "WriteRecord", {"record": record, "logs": {name: b"x"}})
    for trial_id, fold in (("../0", None), ("0", -1), ("0", True)):
        with pytest.raises(KerashpError, match="not one"):
            driver.answer("w", "PutWeights", (trial_id, fold, b""))
    assert not (tmp_path / "escape.txt").exists() and not driver.tuner.store.records()


def test_a_worker_on_another_node_trains_a_promoted_trial_from_weights_the_driver_sends(driver, tmp_path):
    """A Hyperband promotion whose parent ran on another node: the worker's own folder lacks the parent's
    weights, so its store fetches them from the driver (`GetWeights`), and keeps what it saves here too."""
    import keras
    import numpy as np

    from kerashp.parallel.on_ray import _ShippingStore

    def model(seed):
        keras.utils.set_random_seed(seed)
        made = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        made.compile(optimizer="adam", loss="mse", run_eagerly=True)
        made.fit(np.ones((4, 3)), np.zeros((4, 2)), epochs=1, verbose=0)  # its optimizer's moments too
        return made

    parent = model(1)
    driver.store.save_weights(parent, "0")  # the parent's weights reached the driver from its node

    class Relayed:  # a worker's oracle whose kerashp questions the driver answers
        def _call(self, kind, payload):
            return driver.answer("worker1", kind, payload)

    worker = _ShippingStore(Relayed(), tmp_path / "node", logs=None)  # a folder of its own node, empty
    assert not worker.weights_path("0").exists()
    child = model(2)
    worker.load_weights(child, "0")
    for mine, theirs in zip(child.get_weights(), parent.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    worker.save_weights(child, "1")  # sent to the driver's run folder
    assert driver.store.weights_path("1").exists() and worker.weights_path("1").exists()
    with pytest.raises(KerashpError, match="missing|no weights|not found|does not exist"):
        worker.load_weights(model(3), "7")  # a parent the driver has no weights of either
