"""`tune(..., execution=Execution(ray=...))`: trials on a real two-node Ray
cluster on loopback (`ray.cluster_utils.Cluster`), with no folder shared
between the driver and the workers but what Ray carries."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import keras
import pytest
import ray

import kerashp as khp
from kerashp.exceptions import ArgumentError

SPACE = {"units": khp.Int(8, 32, log=True), "learning_rate": khp.Float(1e-3, 1e-2, log=True), "batch_size": 64,
         "epochs": 2}


@pytest.fixture(scope="module")
def worker_tmp(tmp_path_factory):
    """The workers' temporary folder (their `TMPDIR`)."""
    return tmp_path_factory.mktemp("worker_tmp")


@pytest.fixture(scope="module")
def two_nodes(worker_tmp):
    """Two nodes of one CPU each, and a head node without CPUs (its GCS must stay): each worker of
    `workers=2` on a node of its own."""
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
    nodes = [cluster.add_node(num_cpus=1) for _ in range(2)]
    # the workers import this module's callbacks: Ray sends its folder, as a user's code (docs/guide/ray.md)
    ray.init(address=cluster.address, log_to_driver=False,
             runtime_env={"working_dir": str(Path(__file__).parent), "env_vars": {"TMPDIR": str(worker_tmp)}})
    cluster.wait_for_nodes()
    yield cluster, nodes
    ray.shutdown()
    cluster.shutdown()


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _nothing_left_on_the_cluster() -> bool:
    """No relay of a search is alive and no worker holds a CPU (waiting a moment for Ray to free them)."""
    for _ in range(50):
        relays = [a for a in ray.util.list_named_actors(all_namespaces=True) if "kerashp-relay" in a["name"]]
        if not relays and ray.available_resources().get("CPU") == ray.cluster_resources().get("CPU"):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.subprocess
def test_a_seeded_search_on_two_ray_nodes_leaves_the_run_folder_of_one_process(two_nodes, worker_tmp, digits_small,
                                                                               tmp_path):
    options = {"data": digits_small, "algorithm": "random", "seed": 3, "verbose": 0, "max_trials": 4}
    alone = khp.tune(khp.builders.mlp, SPACE, run=khp.RunFolder(tmp_path / "alone", "run"), **options)
    left_before = set(worker_tmp.glob("kerashp-*"))  # by a cancelled worker of another test of this module
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
    assert set(worker_tmp.glob("kerashp-*")) == left_before  # each worker removed its folder of records and logs


@pytest.mark.subprocess
def test_ctrl_c_in_the_driver_cancels_every_worker_and_resume_goes_on(two_nodes, digits_small, tmp_path):
    options = {"data": digits_small, "algorithm": "random", "seed": 3, "verbose": 0, "max_trials": 4,
               "execution": khp.Execution(ray="auto", workers=2)}

    def ctrl_c(record):
        raise KeyboardInterrupt  # what Ctrl-C raises in the driver there

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


@ray.remote(num_cpus=0)
class _Flag:
    """A flag the driver and the workers share through Ray, not a folder."""

    def __init__(self):
        self.up = False

    def raise_(self, node_id: str) -> bool:
        was, self.up = self.up, self.up or node_id
        return bool(was)

    def is_up(self) -> str | bool:
        return self.up


class _PausedOnNode(keras.callbacks.Callback):
    """At its first epoch end on one of `node_ids`, a trial raises `flag` with its node and waits (to be lost with
    the node)."""

    def __init__(self, node_ids: set, flag):
        super().__init__()
        self.node_ids, self.flag = node_ids, flag

    def on_epoch_end(self, epoch, logs=None):
        here = ray.get_runtime_context().get_node_id()
        if here in self.node_ids and not ray.get(self.flag.raise_.remote(here)):
            time.sleep(60)


@pytest.mark.subprocess
def test_bohb_on_two_nodes_loses_and_duplicates_nothing_when_a_node_is_removed(two_nodes, digits_small, tmp_path):
    cluster, nodes = two_nodes
    flag = _Flag.options(resources={"node:__internal_head__": 0.001}).remote()  # on the node that stays
    driver = ray.get_runtime_context().get_node_id()  # the driver's node (and the relay's) stays too
    removable = {node.node_id: node for node in nodes if node.node_id != driver}

    def remove_a_node_mid_trial():
        while not (node_id := ray.get(flag.is_up.remote())):
            time.sleep(0.1)
        cluster.remove_node(removable[node_id])  # the trial's worker dies with the node's raylet

    remover = threading.Thread(target=remove_a_node_mid_trial, daemon=True)
    remover.start()
    seen = []
    result = khp.tune(
        khp.builders.mlp, {**SPACE, "epochs": 9}, data=digits_small, algorithm="bohb", max_trials=8, seed=0,
        verbose=0, on_trial_end=seen.append, callbacks=[_PausedOnNode(set(removable), flag)],
        run=khp.RunFolder(tmp_path, "bohb"), execution=khp.Execution(ray="auto", workers=2),
    )
    remover.join(timeout=1)
    assert ray.get(flag.is_up.remote()) and not remover.is_alive()  # a trial ran on the node when it went
    numbers = sorted(r.number for r in result.records)
    assert numbers == list(range(8)) and sorted(r.number for r in seen) == numbers  # each recorded, observed once
    statuses = {r.status.value for r in result.records}
    assert "FAILED" not in statuses
    assert "PRUNED" in statuses  # ASHA's answers reached the workers mid-fit through the relay
    assert _nothing_left_on_the_cluster()
