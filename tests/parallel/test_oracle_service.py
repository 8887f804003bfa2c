"""The driver's side of keras-tuner's protocol (`OracleService`, answered by
the Ray driver's dispatch) and a worker's (`ProtocolOracle`), driven directly
in one process."""

from __future__ import annotations

import time
from types import SimpleNamespace

import kerashp as khp

SPACE = {"units": khp.Int(8, 32, log=True), "learning_rate": khp.Float(1e-3, 1e-2, log=True), "batch_size": 64,
         "epochs": 2}


def _direct(service):
    """A worker's `ProtocolOracle` whose messages the Ray driver's dispatch answers in this process."""
    import keras_tuner as kt

    from kerashp._keras_tuner_compat import protos
    from kerashp.parallel.on_ray import _Driver
    from kerashp.parallel.oracle_service import ProtocolOracle

    driver = _Driver(tuner=SimpleNamespace(store=None), service=service, observers=None)

    class Direct(ProtocolOracle):
        def _call(self, method, request):
            answer = driver.answer("w", method, request.SerializeToString())
            return getattr(protos.get_service(), f"{method}Response").FromString(answer)

    return Direct(kt.Objective("val_loss", "min"))


def test_a_lost_workers_trial_goes_to_the_next_worker_or_ends_as_told(make_oracle):
    from keras_tuner.src import protos

    from kerashp.parallel.oracle_service import OracleService

    service = OracleService(make_oracle("random", SPACE))
    ask = protos.get_service().CreateTrialRequest
    lost = service.CreateTrial(ask(tuner_id="worker0"), None).trial
    assert service.give_back("worker1") is None  # it runs nothing
    assert service.give_back("worker0") == lost.trial_id
    again = service.CreateTrial(ask(tuner_id="worker1"), None).trial
    assert again.trial_id == lost.trial_id  # run again by the next worker that asks
    service.oracle.update_trial(lost.trial_id, {service.oracle.objective.name: 0.5})  # its worker reported it
    assert service.end_ongoing("worker1", "COMPLETED") == lost.trial_id
    assert service.oracle.trials[lost.trial_id].status == "COMPLETED" and not service.oracle.ongoing_trials
    failed = service.CreateTrial(ask(tuner_id="worker0"), None).trial
    assert service.end_ongoing("worker0", "FAILED", "its worker died 3 times") == failed.trial_id
    assert service.oracle.trials[failed.trial_id].message == "its worker died 3 times"


def test_a_worker_told_to_wait_by_hyperband_pauses_before_it_asks_again(make_oracle, monkeypatch):
    import keras_tuner as kt
    from keras_tuner.src import protos

    from kerashp.parallel import oracle_service as distributed

    monkeypatch.setattr(distributed, "IDLE_PAUSE", 0.4)
    service = distributed.OracleService(make_oracle("hyperband", SPACE, epochs=3))
    ask = protos.get_service().CreateTrialRequest
    idle = protos.get_proto().TrialStatus.IDLE
    # other workers hold every trial of the first rung, so the next one must wait for them
    answers = [service.CreateTrial(ask(tuner_id=f"busy-{i}"), None).trial.status for i in range(20)]
    assert idle in answers
    oracle = _direct(service)
    started = time.monotonic()
    trial = oracle.create_trial("waiting")
    assert trial.status == kt.engine.trial.TrialStatus.IDLE
    assert time.monotonic() - started >= 0.4  # keras-tuner's search loop asks again at once: the pause is ours


def test_conditional_spaces_reach_workers_without_keras_tuners_stray_print(capfd):
    from keras_tuner.src.engine import conditions

    import kerashp.parallel.oracle_service  # noqa: F401 - silences keras-tuner's print on import

    conditions.Parent("optimizer", ["sgd"]).to_proto()
    conditions.Parent("layers", [2, 3]).to_proto()
    assert capfd.readouterr().out == ""


def test_a_trial_the_driver_ended_is_not_run_again_when_the_driver_stops_there(make_oracle, tmp_path):
    """keras-tuner saves its oracle before it drops an ended trial from the ongoing ones; a driver stopped
    right after (Ctrl-C in `on_trial_end`) leaves that file, and the resume must not run the trial again."""
    from keras_tuner.src import protos

    from kerashp.parallel.oracle_service import OracleService
    from kerashp.storage.recovery import reload_oracle
    from kerashp.storage.run_store import RunStore
    from kerashp.tuning.trial import TrialRecord, TrialStatus

    service = OracleService(make_oracle("random", SPACE, name="run"))
    store = RunStore(tmp_path, "run")
    ended = service.CreateTrial(protos.get_service().CreateTrialRequest(tuner_id="worker0"), None).trial
    running = service.CreateTrial(protos.get_service().CreateTrialRequest(tuner_id="worker1"), None).trial
    service.oracle.update_trial(ended.trial_id, {"val_accuracy": 0.5})
    store.write_record(TrialRecord(0, ended.trial_id, TrialStatus.COMPLETED, {"units": 8}, score=0.5))
    trial = service.oracle.trials[ended.trial_id]
    trial.status = "COMPLETED"
    service.EndTrial(protos.get_service().EndTrialRequest(trial=trial.to_proto()), None)  # the driver stops here

    fresh = make_oracle("random", SPACE, name="run")
    reload_oracle(fresh, store, values_of=lambda record: record.params, declare=lambda: None)
    assert fresh._retry_queue == [running.trial_id]  # the running one runs again, the ended one does not
