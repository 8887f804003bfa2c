"""The chief's side of keras-tuner's protocol (`OracleService`) and a worker's
(`RemoteOracle` over gRPC), driven directly."""

from __future__ import annotations

import socket
import time

import pytest

import kerashp as khp

SPACE = {"units": khp.Int(8, 32, log=True), "learning_rate": khp.Float(1e-3, 1e-2, log=True), "batch_size": 64,
         "epochs": 2}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
    server, port = distributed.serve(service, "t")
    oracle = distributed.RemoteOracle(f"127.0.0.1:{port}", "t", kt.Objective("val_loss", "min"))
    try:
        started = time.monotonic()
        trial = oracle.create_trial("waiting")
        assert trial.status == kt.engine.trial.TrialStatus.IDLE
        assert time.monotonic() - started >= 0.4  # keras-tuner's search loop asks again at once: the pause is ours
    finally:
        oracle.close()
        server.stop(0)


def test_a_worker_gives_up_on_a_chief_that_is_gone(monkeypatch):
    import keras_tuner as kt

    from kerashp.parallel import oracle_service as distributed

    monkeypatch.setattr(distributed, "CALL_SECONDS", 1.5)
    monkeypatch.setattr(distributed, "PATIENCE_SECONDS", 2.0)
    oracle = distributed.RemoteOracle(f"127.0.0.1:{_free_port()}", "t", kt.Objective("val_loss", "min"))
    started = time.monotonic()
    with pytest.raises(khp.exceptions.ChiefLostError, match="Lost the chief"):
        oracle.get_space()
    # patience is wall-clock time, waits for answers included: two tries, not as many as fit in 2 s of pauses
    assert time.monotonic() - started < 6
    oracle.close()


def test_conditional_spaces_cross_grpc_without_keras_tuners_stray_print(capfd):
    from keras_tuner.src.engine import conditions

    import kerashp.parallel.oracle_service  # noqa: F401 - silences keras-tuner's print on import

    conditions.Parent("optimizer", ["sgd"]).to_proto()
    conditions.Parent("layers", [2, 3]).to_proto()
    assert capfd.readouterr().out == ""


def test_a_trial_whose_worker_died_too_often_is_failed_with_a_record(make_oracle, tmp_path):
    from types import SimpleNamespace

    from keras_tuner.src import protos

    from kerashp.parallel.oracle_service import OracleService
    from kerashp.parallel.workers import fail_lost_trial
    from kerashp.space import as_space
    from kerashp.storage.run_store import RunStore

    service = OracleService(make_oracle("random", SPACE))
    store = RunStore(tmp_path, "run")
    tuner = SimpleNamespace(space=as_space(SPACE), store=store)
    assert fail_lost_trial(service, tuner, "worker0", "died") is None  # it ran nothing
    trial = service.CreateTrial(protos.get_service().CreateTrialRequest(tuner_id="worker0"), None).trial
    record = fail_lost_trial(service, tuner, "worker0", "its worker died 3 times")
    assert service.oracle.trials[trial.trial_id].status == "FAILED"
    assert [(r.trial_id, r.status.value, r.error) for r in store.records()] == [
        (trial.trial_id, "FAILED", "its worker died 3 times")]
    assert record.params["units"] == service.oracle.trials[trial.trial_id].hyperparameters.values["units"]
