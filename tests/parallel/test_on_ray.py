"""`tune(..., execution=Execution(ray=...))`: trials on a real two-node Ray
cluster on loopback (`ray.cluster_utils.Cluster`), with no folder shared
between the driver and the workers but what Ray carries."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import keras
import pytest

import kerashp as khp
from kerashp.exceptions import ArgumentError

SPACE = {"units": khp.Int(8, 32, log=True), "learning_rate": khp.Float(1e-3, 1e-2, log=True), "batch_size": 64,
         "epochs": 2}


@pytest.fixture(scope="module")
def two_nodes():
    """A head node and a second node, one CPU each: each worker of `workers=2` on its own node."""
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    second = cluster.add_node(num_cpus=1)
    tests = str(Path(__file__).parent)  # the workers import this module's callbacks, as a user's working_dir
    ray.init(address=cluster.address, log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": tests}})
    cluster.wait_for_nodes()
    yield cluster, second
    ray.shutdown()
    cluster.shutdown()


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _nothing_left_on_the_cluster() -> bool:
    """No relay of a search is alive and no worker holds a CPU (waiting a moment for Ray to free them)."""
    import ray

    for _ in range(50):
        relays = [a for a in ray.util.list_named_actors(all_namespaces=True) if "kerashp-relay" in a["name"]]
        if not relays and ray.available_resources().get("CPU") == ray.cluster_resources().get("CPU"):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.subprocess
def test_a_seeded_search_on_two_ray_nodes_leaves_the_run_folder_of_one_process(two_nodes, digits_small, tmp_path):
    options = {"data": digits_small, "algorithm": "random", "seed": 3, "verbose": 0, "max_trials": 4}
    alone = khp.tune(khp.builders.mlp, SPACE, run=khp.RunFolder(tmp_path / "alone", "run"), **options)
    nodes = set()

    def where(record):
        nodes.add(record.number)

    result = khp.tune(
        khp.builders.mlp, SPACE, on_trial_end=where,
        run=khp.RunFolder(tmp_path / "ray", "run", tensorboard=tmp_path / "logs"),
        execution=khp.Execution(ray="auto", workers=2), **options,
    )
    assert [r.params for r in result.records] == [r.params for r in alone.records]  # one oracle, same proposals
    for mine, theirs in zip(result.records, alone.records, strict=True):  # the same seeded training elsewhere
        assert mine.status == theirs.status and mine.score == pytest.approx(theirs.score, rel=1e-3)
    assert sorted(nodes) == [0, 1, 2, 3]  # on_trial_end once per trial, in the driver
    ignore = {"run.json"}  # it records the execution
    assert _files(tmp_path / "ray" / "run") - ignore == _files(tmp_path / "alone" / "run") - ignore
    for number in range(4):  # each trial's TensorBoard logs came back with its record
        assert list((tmp_path / "logs" / f"trial_{number}").rglob("events.out.tfevents.*"))
    assert khp.load_result(tmp_path / "ray" / "run").best_model.count_params() > 0
    assert _nothing_left_on_the_cluster()  # every worker ended, the relay was killed


@pytest.mark.subprocess
def test_ctrl_c_in_the_driver_cancels_every_worker_and_resume_goes_on(two_nodes, digits_small, tmp_path):
    options = {"data": digits_small, "algorithm": "random", "seed": 3, "verbose": 0, "max_trials": 4,
               "execution": khp.Execution(ray="auto", workers=2)}

    def ctrl_c(record):
        os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        khp.tune(khp.builders.mlp, SPACE, on_trial_end=ctrl_c, run=khp.RunFolder(tmp_path, "r"), **options)
    assert _nothing_left_on_the_cluster()
    kept = khp.load_result(tmp_path / "r").records
    assert kept and all(r.completed for r in kept)
    seen = []
    result = khp.tune(khp.builders.mlp, SPACE, on_trial_end=seen.append,
                      run=khp.RunFolder(tmp_path, "r", if_exists="resume"), **options)
    assert sorted(r.number for r in result.records) == [0, 1, 2, 3]
    assert sorted(r.number for r in seen) == sorted(set(range(4)) - {r.number for r in kept})  # each once


@pytest.mark.subprocess
def test_an_error_in_a_ray_worker_reaches_the_caller_by_kind(two_nodes, digits_small, tmp_path):
    with pytest.raises(ArgumentError, match="not among the metrics"):  # raised in a worker, by the first trial
        khp.tune(khp.builders.mlp, SPACE, data=digits_small, algorithm="random", max_trials=2, objective="val_auc",
                 verbose=0, run=khp.RunFolder(tmp_path, "fatal"), execution=khp.Execution(ray="auto", workers=2))
    assert _nothing_left_on_the_cluster()  # the error ended the search: every worker cancelled


class _PausedOnNode(keras.callbacks.Callback):
    """At its first epoch end on node `node_id`, a trial says so in `marker` and waits (to be lost with its node)."""

    def __init__(self, node_id: str, marker: Path):
        super().__init__()
        self.node_id, self.marker = node_id, marker

    def on_epoch_end(self, epoch, logs=None):
        import ray

        if ray.get_runtime_context().get_node_id() == self.node_id and not self.marker.exists():
            self.marker.write_text("mid-trial")
            time.sleep(60)


@pytest.mark.subprocess
def test_bohb_on_two_nodes_loses_and_duplicates_nothing_when_a_node_is_removed(two_nodes, digits_small, tmp_path):
    cluster, second = two_nodes
    marker = tmp_path / "paused"

    def remove_the_second_node_mid_trial():
        while not marker.exists():
            time.sleep(0.1)
        cluster.remove_node(second)  # the trial's worker dies with the node's raylet

    remover = threading.Thread(target=remove_the_second_node_mid_trial, daemon=True)
    remover.start()
    seen = []
    result = khp.tune(
        khp.builders.mlp, {**SPACE, "epochs": 9}, data=digits_small, algorithm="bohb", max_trials=8, seed=0,
        verbose=0, on_trial_end=seen.append, callbacks=[_PausedOnNode(second.node_id, marker)],
        run=khp.RunFolder(tmp_path, "bohb"), execution=khp.Execution(ray="auto", workers=2),
    )
    remover.join(timeout=1)
    assert marker.exists() and not remover.is_alive()  # a trial was running on the node when it went
    numbers = sorted(r.number for r in result.records)
    assert numbers == list(range(8)) and sorted(r.number for r in seen) == numbers  # each recorded, observed once
    statuses = {r.status.value for r in result.records}
    assert "FAILED" not in statuses
    assert "PRUNED" in statuses  # ASHA's answers reached the workers mid-fit through the relay
    assert _nothing_left_on_the_cluster()
