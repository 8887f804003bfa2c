"""`tune(..., execution=Execution(workers=N))`: real worker processes on a
Ray cluster of this machine, started for the search and shut down after it."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

import kerashp as khp
from kerashp.exceptions import ArgumentError

SPACE = {"units": khp.Int(8, 32, log=True), "learning_rate": khp.Float(1e-3, 1e-2, log=True), "batch_size": 64,
         "epochs": 2}


def _descendants() -> dict[int, bytes]:
    """This process's descendants (Ray's processes and its workers), by pid, with their command lines."""
    parents, commands = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                commands[int(entry)] = f.read()
            with open(f"/proc/{entry}/stat") as f:
                parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
    mine, grew = {os.getpid()}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in mine} - mine
        mine |= more
        grew = bool(more)
    return {pid: commands[pid] for pid in mine - {os.getpid()} if pid in commands}


def _workers_running_trials() -> list[int]:
    return [pid for pid, command in _descendants().items() if command.startswith(b"ray::_work")]


@pytest.mark.subprocess
def test_two_workers_run_the_same_trials_as_one_process_through_ctrl_c_and_resume(digits_small, tmp_path):
    import ray

    options = {"data": digits_small, "algorithm": "random", "seed": 3, "verbose": 0}
    alone = khp.tune(khp.builders.mlp, SPACE, max_trials=4, run=khp.RunFolder(tmp_path, "alone"), **options)

    def ctrl_c(record):
        raise KeyboardInterrupt  # what Ctrl-C raises in the driver there

    with pytest.raises(KeyboardInterrupt):
        khp.tune(khp.builders.mlp, SPACE, max_trials=4, on_trial_end=ctrl_c, run=khp.RunFolder(tmp_path, "pair"),
                 execution=khp.Execution(workers=2), **options)
    assert not ray.is_initialized()  # the cluster started for the search is shut down
    for _ in range(50):
        if not _workers_running_trials():
            break
        time.sleep(0.2)
    assert _workers_running_trials() == []  # and no worker goes on with a trial
    kept = khp.load_result(tmp_path / "pair").records
    assert kept and all(r.completed for r in kept)

    seen = []
    result = khp.tune(khp.builders.mlp, SPACE, max_trials=4, on_trial_end=seen.append,
                      run=khp.RunFolder(tmp_path, "pair", if_exists="resume"),
                      execution=khp.Execution(workers=2), **options)
    table = result.trials.sort_values("trial")
    assert list(table["trial"]) == [0, 1, 2, 3] and set(table["status"]) == {"COMPLETED"}
    assert sorted(r.number for r in seen) == sorted(set(range(4)) - {r.number for r in kept})  # each once
    assert [r.params for r in result.records] == [r.params for r in alone.records]  # one oracle, same proposals
    for mine, theirs in zip(result.records, alone.records, strict=True):  # the same seeded training elsewhere
        assert mine.score == pytest.approx(theirs.score, rel=1e-3)
    reopened = khp.load_result(tmp_path / "pair")
    assert reopened.best_params == result.best_params and len(reopened.records) == 4
    assert reopened.best_model.count_params() > 0


@pytest.mark.subprocess
def test_a_killed_worker_loses_only_its_trial_and_processes_are_replaced(digits_small, tmp_path, monkeypatch):
    from kerashp.parallel import on_ray

    monkeypatch.setattr(on_ray, "TRIALS_PER_PROCESS", 3)
    started = []
    work = on_ray._work

    class Counted:  # counts the worker processes the driver starts
        def options(self, **kw):
            made = work.options(**kw)
            return type("Started", (), {"remote": lambda _, *a: started.append(1) or made.remote(*a)})()

    monkeypatch.setattr(on_ray, "_work", Counted())
    killed = []

    def kill_one(record):
        if not killed:
            for _ in range(100):  # the next trials are starting: kill a worker that runs one
                pids = _workers_running_trials()
                if pids:
                    break
                time.sleep(0.1)
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    result = khp.tune(khp.builders.mlp, {**SPACE, "epochs": 4}, data=digits_small, algorithm="random", max_trials=8,
                      seed=0, verbose=0, on_trial_end=kill_one, run=khp.RunFolder(tmp_path, "kill"),
                      execution=khp.Execution(workers=2))
    assert killed
    assert sorted(r.number for r in result.records) == list(range(8))  # each trial recorded once
    assert all(r.status.value == "COMPLETED" for r in result.records)
    # two workers, one started again after the kill, and fresh ones after each 3 trials (8 trials: at least 2)
    assert len(started) >= 5


def test_bad_workers_values_are_refused_before_anything_runs():
    for bad in (0, -1, 1.5, "two", True):
        with pytest.raises(ArgumentError, match=r"`workers` is how many trials run at once.*Received: .*workers"):
            khp.Execution(workers=bad)
    assert khp.Execution(workers=2).cluster == "local" and khp.Execution().cluster is None
    assert khp.Execution(workers="auto", ray="auto").cluster == "auto"


def test_auto_is_as_many_workers_as_the_cluster_holds(monkeypatch):
    import ray

    from kerashp.parallel import cluster

    monkeypatch.setattr(ray, "cluster_resources", lambda: {"CPU": 2.0})
    assert cluster.trial_gpus_default() == 0 and cluster.slots(1, 0) == 2 and cluster.slots(0.5, 0) == 4
    monkeypatch.setattr(ray, "cluster_resources", lambda: {"CPU": 16.0, "GPU": 2.0})
    assert cluster.trial_gpus_default() == 1 and cluster.slots(1, 1) == 2  # one trial per GPU
    assert cluster.slots(1, 0.5) == 4 and cluster.slots(1, 0.25) == 8  # two and four trials on each GPU


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


def test_a_dataset_is_refused_before_any_worker_starts(tmp_path):
    import numpy as np
    import ray
    import tensorflow as tf

    x = np.zeros((40, 4), "float32")
    dataset = tf.data.Dataset.from_tensor_slices((x, np.arange(40) % 2)).batch(8)
    with pytest.raises(ArgumentError, match=r"tf.data.Dataset.*workers=2.*arrays"):
        khp.tune(khp.builders.mlp, {"units": [8]}, data=khp.Data(dataset, validation_split=0.25), verbose=0,
                 run=khp.RunFolder(tmp_path, "ds"), execution=khp.Execution(workers=2))
    assert not ray.is_initialized() and not (tmp_path / "ds" / "trials").exists()


@pytest.mark.subprocess
def test_a_parallel_search_over_a_conditional_space_prints_only_kerashps_lines(digits_small, tiny_space, tmp_path,
                                                                              capfd, monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:1")  # names no cluster: workers alone start one of this machine
    khp.tune(khp.builders.mlp, {**tiny_space, "epochs": 1}, data=digits_small, algorithm="random", max_trials=4,
             seed=0, verbose=1, run=khp.RunFolder(tmp_path, "quiet"), execution=khp.Execution(workers=2))
    out, err = capfd.readouterr()
    lines = [line for line in out.splitlines() if line.strip()]
    assert len([line for line in lines if line.startswith("trial ")]) == 4
    assert all(line.startswith(("trial ", "2 workers on the Ray cluster", "best ")) for line in lines), lines
    noise = [line for line in (out + err).splitlines() if line.strip().isdigit() or "Token authentication" in line]
    assert noise == []  # keras-tuner's stray print of a condition's values, Ray's note on its token


def test_the_clusters_start_counts_inside_the_time_budget(digits_small, tmp_path, monkeypatch):
    from kerashp.parallel import cluster, on_ray

    class Ran(Exception):
        pass

    left = []

    def slow_start(name):  # a cluster that takes a second to start
        time.sleep(1.0)
        return False

    def run_on_ray(tuner, *, deadline, **kwargs):
        left.append(deadline.left())
        raise Ran

    monkeypatch.setattr(cluster, "connect", slow_start)
    monkeypatch.setattr(cluster, "trial_gpus_default", lambda: 0.0)
    monkeypatch.setattr(on_ray, "run_on_ray", run_on_ray)
    with pytest.raises(Ran):
        khp.tune(khp.builders.mlp, SPACE, data=digits_small, time_budget=30, verbose=0,
                 run=khp.RunFolder(tmp_path, "budget"), execution=khp.Execution(workers=2))
    assert left and left[0] <= 29.0  # the second the cluster took was the budget's


JAX_WORKERS = '''
import json, sys
import keras
import numpy as np
import kerashp as khp

def build(hp):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(hp["units"], activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model

x, y = khp.datasets.load("iris")
result = khp.tune(build, {"units": [4, 8], "epochs": 2, "batch_size": 32}, data=(x.astype("float32"), y),
                  algorithm="random", max_trials=2, seed=0, verbose=0, run=khp.RunFolder(sys.argv[1], "run"),
                  execution=khp.Execution(workers=1))
print(json.dumps({"completed": sum(r.completed for r in result.records), "errors": [r.error for r in result.records],
                  "tensorflow": "tensorflow" in sys.modules}))
'''


@pytest.mark.subprocess
def test_under_jax_without_tensorflow_workers_run_trials(tmp_path, under_jax):
    out = under_jax(JAX_WORKERS, str(tmp_path), tensorflow=False)  # nor in Ray's worker processes
    assert out == {"completed": 2, "errors": [None, None], "tensorflow": False}


SHARED_GPU = '''
import json, os, sys
import keras, ray
import kerashp as khp

ray.init(num_cpus=2, num_gpus=1, log_to_driver=False, include_dashboard=False)  # one GPU declared (none here)
folder = sys.argv[1]

def build(hp):  # runs in the workers: notes what their environment says about GPU memory
    with open(os.path.join(folder, f"env-{os.getpid()}.json"), "w") as f:
        json.dump({k: os.environ.get(k) for k in ("XLA_PYTHON_CLIENT_PREALLOCATE", "TF_FORCE_GPU_ALLOW_GROWTH")}, f)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model

x, y = khp.datasets.load("iris")
result = khp.tune(build, {"learning_rate": [1e-2, 3e-2], "epochs": 1, "batch_size": 32}, data=(x.astype("float32"), y),
                  algorithm="grid", verbose=0, run=khp.RunFolder(sys.argv[1], "run"),
                  execution=khp.Execution(workers=2, ray="auto", trial_gpus=float(sys.argv[2])))
print(json.dumps({"completed": sum(r.completed for r in result.records)}))
'''


@pytest.mark.subprocess
@pytest.mark.parametrize("trial_gpus", [0.5, 1.0])
def test_workers_that_share_a_gpu_take_its_memory_as_they_need_it(tmp_path, under_jax, trial_gpus):
    assert under_jax(SHARED_GPU, str(tmp_path), str(trial_gpus)) == {"completed": 2}
    seen = [json.loads(p.read_text()) for p in tmp_path.glob("env-*.json")]
    assert seen
    if trial_gpus < 1:  # two trials a GPU: neither backend takes it all at start
        assert all(s == {"XLA_PYTHON_CLIENT_PREALLOCATE": "false", "TF_FORCE_GPU_ALLOW_GROWTH": "true"} for s in seen)
    else:  # a GPU each: JAX as it was (Keras under JAX sets TensorFlow's growth itself, for its tf.data)
        assert all(s["XLA_PYTHON_CLIENT_PREALLOCATE"] == os.environ.get("XLA_PYTHON_CLIENT_PREALLOCATE") for s in seen)
