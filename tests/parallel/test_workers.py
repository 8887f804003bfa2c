"""`tune(..., workers=N)`: real worker processes against a real gRPC chief on loopback."""

from __future__ import annotations

import os
import signal
import time

import grpc
import pytest

import kerashp as khp
from kerashp.exceptions import ArgumentError

SPACE = {"units": khp.Int(8, 32, log=True), "learning_rate": khp.Float(1e-3, 1e-2, log=True), "batch_size": 64,
         "epochs": 2}


def _worker_pids() -> list[int]:
    """The worker processes this (chief) process started."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if b"kerashp.parallel.workers" in cmdline and parent == os.getpid():
            pids.append(int(entry))
    return pids


def _listening(port: int) -> set[str]:
    """The local addresses (hex, as /proc/net lists them) of sockets listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hexport = local.split(":")
                if state == "0A" and int(hexport, 16) == port:
                    found.add(address.removeprefix("0000000000000000FFFF0000"))  # IPv4 mapped into IPv6
    return found


@pytest.mark.subprocess
def test_two_workers_run_the_same_trials_as_one_process_through_ctrl_c_and_resume(digits_small, tmp_path):
    options = {"data": digits_small, "algorithm": "random", "seed": 3, "verbose": 0}
    alone = khp.tune(khp.builders.mlp, SPACE, max_trials=4, run=khp.RunFolder(tmp_path, "alone"), **options)

    def ctrl_c(record):
        raise KeyboardInterrupt  # what Ctrl-C raises in the chief there

    with pytest.raises(KeyboardInterrupt):
        khp.tune(
            khp.builders.mlp,
            SPACE,
            max_trials=4,
            on_trial_end=ctrl_c,
            run=khp.RunFolder(tmp_path, "pair"),
            execution=khp.Execution(workers=2),
            **options,
        )
    assert _worker_pids() == []  # Ctrl-C in the chief stopped every worker
    kept = khp.load_result(tmp_path / "pair").records
    assert kept and all(r.completed for r in kept)

    seen = []
    result = khp.tune(
        khp.builders.mlp,
        SPACE,
        max_trials=4,
        on_trial_end=seen.append,
        run=khp.RunFolder(tmp_path, "pair", if_exists="resume"),
        execution=khp.Execution(workers=2),
        **options,
    )
    table = result.trials.sort_values("trial")
    assert list(table["trial"]) == [0, 1, 2, 3] and set(table["status"]) == {"COMPLETED"}
    assert sorted(r.number for r in seen) == sorted(set(range(4)) - {r.number for r in kept})  # each once
    assert [r.params for r in result.records] == [r.params for r in alone.records]  # one oracle, same proposals
    for mine, theirs in zip(result.records, alone.records, strict=True):  # the same seeded training elsewhere
        assert mine.score == pytest.approx(theirs.score, rel=1e-3)
    reopened = khp.load_result(tmp_path / "pair")
    assert reopened.best_params == result.best_params and len(reopened.records) == 4
    assert reopened.best_model.count_params() > 0
    assert not (tmp_path / "pair" / "workers" / "data").exists()  # the shared arrays go when the search ends


@pytest.mark.subprocess
def test_bohb_with_workers_prunes_through_the_chief_and_workers_are_replaced(digits_small, tmp_path, monkeypatch):
    from kerashp.parallel import workers

    monkeypatch.setattr(workers, "TRIALS_PER_PROCESS", 3)
    space = {**SPACE, "epochs": 9}
    result = khp.tune(
        khp.builders.mlp,
        space,
        data=digits_small,
        algorithm="bohb",
        max_trials=8,
        seed=0,
        verbose=0,
        run=khp.RunFolder(directory=tmp_path, name="bohb"),
        execution=khp.Execution(workers=2),
    )
    table = result.trials
    assert sorted(table["trial"]) == list(range(8)) and len({r.trial_id for r in result.records}) == 8
    assert (table["status"] == "PRUNED").any()  # ASHA's answers reached the workers mid-fit
    # the chief's rungs, sized to the search (9 epochs, 8 trials: one rung, at 3), are the workers' too
    assert {(r.epochs, r.state["pruned_at"]) for r in result.records if r.status.value == "PRUNED"} == {(3, 3)}
    assert (table["status"] != "FAILED").all()
    reopened = khp.load_result(tmp_path / "bohb")
    assert sorted(r.number for r in reopened.records) == list(range(8)) and reopened.best_params == result.best_params
    logs = "".join(p.read_text() for p in (tmp_path / "bohb" / "workers").glob("*.log"))
    assert logs.count(" started (pid ") >= 3  # 8 trials, 3 per process: a worker was replaced


@pytest.mark.subprocess
def test_a_killed_worker_loses_only_its_trial_which_runs_again(digits_small, tmp_path):
    killed = []

    def kill_one(record):
        if not killed:
            pids = _worker_pids()
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    space = {**SPACE, "epochs": 4}
    result = khp.tune(
        khp.builders.mlp,
        space,
        data=digits_small,
        algorithm="random",
        max_trials=5,
        seed=0,
        verbose=0,
        on_trial_end=kill_one,
        run=khp.RunFolder(directory=tmp_path, name="kill"),
        execution=khp.Execution(workers=2),
    )
    assert killed
    assert sorted(r.number for r in result.records) == [0, 1, 2, 3, 4]
    assert all(r.status.value == "COMPLETED" for r in result.records)
    logs = "".join(p.read_text(errors="replace") for p in (tmp_path / "kill" / "workers").glob("*.log"))
    assert logs.count(" started (pid ") == 3  # two workers started, one of them twice


@pytest.mark.subprocess
def test_an_error_in_a_worker_reaches_the_caller_by_kind(digits_small, tmp_path):
    with pytest.raises(ArgumentError, match="not among the metrics"):
        khp.tune(
            khp.builders.mlp,
            SPACE,
            data=digits_small,
            algorithm="random",
            max_trials=2,
            objective="val_auc",
            verbose=0,
            run=khp.RunFolder(directory=tmp_path, name="fatal"),
            execution=khp.Execution(workers=2),
        )


def test_bad_workers_values_are_refused_before_anything_trains(digits_small, tmp_path):
    for bad in (0, -1, 1.5, "two", True):
        with pytest.raises(ArgumentError, match="workers"):
            khp.tune(
                khp.builders.mlp,
                SPACE,
                data=digits_small,
                verbose=0,
                run=khp.RunFolder(directory=tmp_path),
                execution=khp.Execution(workers=bad),
            )
    assert not any(tmp_path.iterdir())


def test_the_chief_refuses_requests_without_its_token_and_listens_on_loopback(make_oracle):
    from keras_tuner.src import protos

    from kerashp.parallel.oracle_service import TOKEN_KEY, OracleService, serve

    server, port = serve(OracleService(make_oracle("random", SPACE)), "s3cret")
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = protos.get_service_grpc().OracleStub(channel)
        request = protos.get_service().GetSpaceRequest()
        for metadata in ((), ((TOKEN_KEY, "wrong"),)):
            with pytest.raises(grpc.RpcError) as refused:
                stub.GetSpace(request, metadata=metadata, timeout=10)
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        answer = stub.GetSpace(request, metadata=((TOKEN_KEY, "s3cret"),), timeout=10)
        from keras_tuner.src.engine.hyperparameters import HyperParameters

        assert "units" in HyperParameters.from_proto(answer.hyperparameters).values
        # the socket bound, as the kernel lists it: 127.0.0.1 only (not 0.0.0.0 or ::), perhaps as ::ffff:127.0.0.1
        assert _listening(port) == {"0100007F"}
        channel.close()
    finally:
        server.stop(0)


def test_a_workers_start_up_counts_inside_the_budget():
    """The deadline is a moment on the one clock every process reads, not a
    number of seconds left: what a worker spends starting up is spent."""
    import cloudpickle

    from kerashp.tuning.deadline import Deadline

    deadline = Deadline(time.time() + 40.0)
    sent = cloudpickle.dumps(deadline)
    time.sleep(0.2)  # the worker starts up
    received = cloudpickle.loads(sent)
    assert received == deadline and received.left() < 39.85
    assert Deadline(time.time() - 9.0).left() == 0.0 and Deadline(time.time() - 9.0).passed()
    assert Deadline.after(None) is None


def test_no_trial_starts_after_the_time_budget_for_any_worker(make_oracle):
    from keras_tuner.src import protos

    from kerashp.parallel.oracle_service import OracleService
    from kerashp.tuning.deadline import Deadline

    service = OracleService(make_oracle("random", SPACE), deadline=Deadline.after(60))
    request = protos.get_service().CreateTrialRequest(tuner_id="worker0")
    first = service.CreateTrial(request, None).trial
    assert first.status == protos.get_proto().TrialStatus.RUNNING
    service.deadline = Deadline(time.time() - 1)  # the budget is spent
    again = service.CreateTrial(request, None).trial  # worker0 restarted mid-trial: its trial still goes on
    assert again.trial_id == first.trial_id
    other = service.CreateTrial(protos.get_service().CreateTrialRequest(tuner_id="worker1"), None).trial
    assert other.status == protos.get_proto().TrialStatus.STOPPED and service.stopped == "budget"


def test_auto_is_one_worker_per_gpu_else_per_core(monkeypatch):
    from kerashp.parallel import workers

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert workers.worker_count("auto") == 2
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert workers.worker_count("auto") == 8
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1,2")
    assert workers.worker_count("auto") == 3
    assert workers.worker_count(None) == 0 and workers.worker_count(4) == 4


def test_the_chief_hands_each_record_to_its_observers_once_and_never_a_write_under_way(tmp_path):
    from kerashp.parallel.workers import _Records
    from kerashp.storage.run_store import RunStore
    from kerashp.tuning.trial import TrialRecord, TrialStatus

    store = RunStore(tmp_path, "run")
    seen = []
    records = _Records(store, seen.append)
    record = TrialRecord(number=0, trial_id="0", status=TrialStatus.COMPLETED, params={"units": 8}, score=0.5)
    store.write_record(record)
    (store.trials_dir / ".1.json.x7f3.tmp.json").write_text((store.trials_dir / "0.json").read_text())  # mid-write
    records.poll()
    records.poll()
    assert [r.number for r in seen] == [0]
    assert [r.number for r in store.records()] == [0]
