"""Shared test settings: quiet TensorFlow, the TensorFlow backend, a seed
fixture, run folders written without a search, a script run under JAX, and
the guard that keeps the fast tier fast."""

from __future__ import annotations

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

import kerashp as khp  # noqa: E402

#: A test marked with none of these is in the fast tier (`make test`); `make test-all` runs them all.
TIER_MARKERS = ("slow", "subprocess", "e2e")
#: The most CPU seconds a fast-tier test's call may take; a costlier one fails and names the markers.
#: CPU time of this process (every thread), not wall time: other work on a busy machine, or a stalled
#: virtual machine, leaves it as it is, so the guard does not fail a cheap test there.
FAST_TEST_SECONDS = 5.0
#: A fast-tier test's call that waits (a sleep, a socket) costs little CPU: it fails past this many
#: wall-clock seconds. Checked only when the fast tier runs alone (`make test`): beside the full tier's
#: subprocess tests, a cheap test can wait that long for a core (CI saw 0.9 s of CPU in 21 s of wall).
FAST_TEST_WALL_SECONDS = 4 * FAST_TEST_SECONDS


def _fast_tier_alone(config) -> bool:
    """True when the session's marker expression leaves out every other tier."""
    expression = config.getoption("markexpr") or ""
    return all(f"not {name}" in expression for name in TIER_MARKERS)


@pytest.fixture(scope="session", autouse=True)
def _tensorflow_started():
    """Imports Keras and runs TensorFlow once per test process, before the
    first test: those seconds are the process's, not the first test's to time."""
    import keras
    import numpy as np

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.zeros((4, 2)), np.zeros(4), epochs=1, verbose=0)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    wall, cpu = time.perf_counter(), time.process_time()
    result = yield  # a test that fails is reported as it failed; only a passing one is timed
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    waited_too_long = wall > FAST_TEST_WALL_SECONDS and _fast_tier_alone(item.config)
    if (cpu > FAST_TEST_SECONDS or waited_too_long) and not any(
            item.get_closest_marker(name) for name in TIER_MARKERS):
        pytest.fail(
            f"{item.nodeid} took {cpu:.1f} s of CPU time and {wall:.1f} s of wall time, over the fast tier's "
            f"{FAST_TEST_SECONDS:g} s of CPU (or {FAST_TEST_WALL_SECONDS:g} s waiting; tests/conftest.py). Make it "
            "cheaper (drive the oracle with make_oracle, write the run folder with write_run, train fewer trials), "
            "or mark it for the full tier: @pytest.mark.slow for a longer search or fit, @pytest.mark.subprocess "
            "for Python processes that import TensorFlow, @pytest.mark.e2e for notebooks, README blocks, examples "
            "and the wheel.",
            pytrace=False,
        )
    return result


NO_TENSORFLOW = """
import sys


class NoTensorFlow:  # as on a GPU machine with JAX alone: TensorFlow is not installed
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "tensorflow_datasets"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


sys.meta_path.insert(0, NoTensorFlow())
"""


@pytest.fixture
def under_jax(tmp_path_factory):
    """`under_jax(script, *args, tensorflow=True)`: the JSON object a Python `script` prints last,
    run in its own process under `KERAS_BACKEND=jax` on the CPU (skipped without JAX);
    `tensorflow=False`: where TensorFlow cannot be imported, as on a machine with JAX alone (a
    `sitecustomize` on `PYTHONPATH`, so Ray's worker processes cannot import it either)."""
    import json
    import subprocess
    import sys

    pytest.importorskip("jax")

    def run(script: str, *args: str, tensorflow: bool = True) -> dict:
        env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
        if not tensorflow:
            site = tmp_path_factory.mktemp("no_tensorflow")
            (site / "sitecustomize.py").write_text(NO_TENSORFLOW)
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), env.get("PYTHONPATH")) if p)
        proc = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])

    return run


@pytest.fixture
def seed() -> int:
    """Seeds Python, NumPy and Keras; returns the seed."""
    import keras

    keras.utils.set_random_seed(1234)
    return 1234


@pytest.fixture
def write_run(tmp_path):
    """`write_run(curves, space=..., objective="val_loss", name="run", weights=False, **settings)`:
    a run folder as `tune` leaves one on iris, written with the run store: no
    search, no training. `curves` holds one `(params, val_curve)` per trial
    (the objective's value at each epoch) or `(params, val_curve, status)`;
    a FAILED trial's curve is `[]`. With `weights=True` each completed trial
    gets weights (an untrained model of its params). Returns the run's path."""
    import kerashp as khp
    from kerashp.builders._calling import build_model
    from kerashp.storage.run_store import RunStore
    from kerashp.tuning.objective import as_objective
    from kerashp.tuning.trial import TrialRecord

    def write(curves, *, space, objective="val_loss", name="run", weights=False, **settings):
        goal = as_objective(objective)
        spec = khp.datasets.prepare("iris", seed=0).spec
        space = khp.space.as_space(space)
        store = RunStore(tmp_path, name)
        store.write_settings({
            "algorithm": "random", "objective": {"name": goal.name, "direction": goal.direction},
            "space": space.to_config(), "builder": "kerashp.builders.mlp:mlp", "seed": 0,
            "max_trials": len(curves), "max_epochs": max(len(c[1]) for c in curves), "cv": None, "batch_size": 32,
            "validation_split": None, "workers": 0, "options": {}, "tensorboard": None, "class_weight": None,
            "data": "iris", "spec": spec.to_dict(), "precision": "float32", **settings})
        pick = min if goal.direction == "min" else max
        for number, (params, curve, *status) in enumerate(curves):
            status = status[0] if status else "COMPLETED"
            best = curve.index(pick(curve)) if curve else None
            record = TrialRecord(
                number=number, trial_id=str(number), status=status, params=dict(params),
                score=None if best is None else curve[best], epochs=len(curve), total_epochs=len(curve),
                best_epoch=None if best is None else best + 1, seconds=0.5,
                history={goal.name: list(curve)} if curve else {},
                metrics={goal.name: curve[best]} if curve else {},
                error="ValueError: a failure written by the test" if status == "FAILED" else None)
            store.write_record(record)
            if weights and status == "COMPLETED":
                store.save_weights(build_model(khp.builders.mlp, record.params, spec), record.trial_id)
        return store.path

    return write


@pytest.fixture(scope="session")
def digits_small():
    """400 digits images: enough to learn something in two epochs."""
    x, y = khp.datasets.load("digits")
    return x[:400], y[:400]


@pytest.fixture
def tiny_space():
    return {
        "layers": 1,
        "units": [8, 16],
        "learning_rate": khp.Float(1e-3, 1e-2, log=True),
        "optimizer": ["adam", "sgd"],
        "momentum": khp.Float(0.0, 0.9, when={"optimizer": "sgd"}),
        "batch_size": 64,
        "epochs": 2,
    }


@pytest.fixture
def eager_mlp():
    """kerashp's mlp compiled to run eagerly: on data this small a fit takes a
    third of the time without graph tracing, and kerashp's code runs the same."""

    def build(hp):
        model = khp.builders.mlp(hp)
        model.compile(optimizer=model.optimizer, loss=model.loss, metrics=["accuracy"], run_eagerly=True)
        return model

    return build


@pytest.fixture
def make_oracle(tmp_path):
    """An algorithm's keras-tuner oracle as `tune` makes it, with its space
    declared and a project folder, driven by hand (no tuner, no training)."""
    from kerashp import algorithms
    from kerashp.algorithms._keras_tuner import declare
    from kerashp.space import Space
    from kerashp.tuning.objective import as_objective
    from kerashp.tuning.starting_points import initial_values

    def make(algorithm, space, *, objective="val_accuracy", name="oracle", max_trials=20, epochs=9, seed=0,
             prior=(), initial=(), **options):
        """`algorithm`: a name (with its `options`) or an algorithm object."""
        space = Space(space)
        algo = algorithms.get({"name": algorithm, **options} if isinstance(algorithm, str) else algorithm)
        queued = initial_values(space, list(initial), max_trials)
        oracle = algo.make_oracle(as_objective(objective), space=space, max_trials=max_trials, epochs=epochs,
                                  seed=seed, initial=queued, prior=list(prior))
        oracle._set_project_dir(str(tmp_path), name)
        hp = oracle.get_space()
        declare(space, hp)
        oracle.update_space(hp)
        return oracle

    return make
