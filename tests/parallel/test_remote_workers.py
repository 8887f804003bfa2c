"""Workers on other machines: `tune(listen=...)`, `kerashp worker`, tokens, leases."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
import yaml

import kerashp as khp
from kerashp.exceptions import ArgumentError

SPACE = {"units": khp.Int(8, 32, log=True), "learning_rate": khp.Float(1e-3, 1e-2, log=True), "batch_size": 64,
         "epochs": 2}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_listening_beyond_loopback_needs_a_token_and_an_address(monkeypatch):
    from kerashp.parallel.remote import parse_listen

    monkeypatch.delenv("KERASHP_TOKEN", raising=False)
    monkeypatch.delenv("KERASHP_TOKEN_FILE", raising=False)
    assert parse_listen("127.0.0.1:8470") == ("127.0.0.1", 8470, None)
    with pytest.raises(ArgumentError, match="KERASHP_TOKEN"):
        parse_listen("0.0.0.0:8470")
    for bad in ("8470", "host:port", "0.0.0.0:70000", 8470):
        with pytest.raises(ArgumentError, match="listen"):
            parse_listen(bad)
    monkeypatch.setenv("KERASHP_TOKEN", "s3cret")
    host, port, token = parse_listen("0.0.0.0:8470")
    assert (host, port, token) == ("0.0.0.0", 8470, "s3cret")


def test_a_silent_workers_trial_goes_to_the_next_worker(make_oracle):
    from keras_tuner.src import protos

    from kerashp.parallel.oracle_service import OracleService

    service = OracleService(make_oracle("random", SPACE))
    ask = protos.get_service().CreateTrialRequest
    service.seen("far-1")
    lost = service.CreateTrial(ask(tuner_id="far-1"), None).trial
    assert service.expire_leases(keep=set(), lease=60) == []  # heard from just now
    service.last_seen["far-1"] -= 61
    assert service.expire_leases(keep={"far-1"}, lease=60) == []  # a local worker: restarted, not expired
    assert service.expire_leases(keep=set(), lease=60) == [lost.trial_id]
    again = service.CreateTrial(ask(tuner_id="far-2"), None).trial
    assert again.trial_id == lost.trial_id  # run again by the next worker that asks


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
    oracle = distributed.RemoteOracle(f"127.0.0.1:{port}", "t", kt.Objective("val_loss", "min"), "waiting")
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
    oracle = distributed.RemoteOracle(f"127.0.0.1:{_free_port()}", "t", kt.Objective("val_loss", "min"), "w")
    started = time.monotonic()
    with pytest.raises(khp.exceptions.ChiefLostError, match="Lost the chief"):
        oracle.get_space()
    # patience is wall-clock time, waits for answers included: two tries, not as many as fit in 2 s of pauses
    assert time.monotonic() - started < 6
    oracle.close()


@pytest.mark.subprocess
@pytest.mark.timeout(240)  # a chief that listens waits for its workers by design: fail, do not hang
def test_a_chief_serves_workers_started_with_the_command(digits_small, tmp_path, monkeypatch):
    x, y = digits_small
    config = tmp_path / "search.yaml"
    config.write_text(yaml.safe_dump({"builder": "mlp",
                                      "run": {"directory": str(tmp_path / "runs"), "name": "shared"}}))
    port = _free_port()
    env = {**os.environ, "KERASHP_TOKEN": "t0ken"}
    command = [sys.executable, "-m", "kerashp.cli", "worker", str(config)]  # the address from the run folder
    workers = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for _ in range(2)]
    monkeypatch.setenv("KERASHP_TOKEN", "t0ken")
    try:
        result = khp.tune(
            khp.builders.mlp,
            SPACE,
            data=(x, y),
            algorithm="random",
            max_trials=4,
            seed=0,
            verbose=0,
            run=khp.RunFolder(directory=tmp_path / "runs", name="shared"),
            execution=khp.Execution(listen=f"127.0.0.1:{port}"),
        )
    except BaseException:  # the timeout's failure among them: the workers go too, their output with it
        for worker in workers:
            worker.kill()
        print(" | ".join(w.communicate()[0][-2000:] for w in workers))
        raise
    outputs = [w.communicate(timeout=120)[0] for w in workers]
    assert sorted(r.number for r in result.records) == [0, 1, 2, 3]
    assert all(r.completed for r in result.records)
    assert [w.returncode for w in workers] == [0, 0]
    assert all("no trial left" in out for out in outputs)
    assert sum(out.count(": trials of ") for out in outputs) == 2


def test_conditional_spaces_cross_grpc_without_keras_tuners_stray_print(capfd):
    from keras_tuner.src.engine import conditions

    import kerashp.parallel.oracle_service  # noqa: F401 - silences keras-tuner's print on import

    conditions.Parent("optimizer", ["sgd"]).to_proto()
    conditions.Parent("layers", [2, 3]).to_proto()
    assert capfd.readouterr().out == ""
