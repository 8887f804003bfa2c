"""A run killed (kill -9) or interrupted (Ctrl-C) mid-trial resumes: nothing
finished is lost or run again, the interrupted trial runs once more, and a
seeded run proposes the same trials as one never interrupted.

The kill happens in a child process (nothing of it survives); the resumed and
the uninterrupted runs happen here, in the test's own process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import pytest

import kerashp as khp


def search(directory, name, algorithm, callbacks=None):
    """The search every case runs: 4 tiny trials, seeded."""
    x, y = khp.datasets.load("digits")
    space = {"units": khp.Int(4, 64), "batch_size": 64}
    if algorithm != "hyperband":
        space["epochs"] = 2
    options = {"max_epochs": 3} if algorithm == "hyperband" else {}
    return khp.tune(
        khp.builders.mlp,
        space,
        data=(x[:300], y[:300]),
        algorithm=algorithm,
        max_trials=4,
        objective="val_accuracy",
        seed=3,
        callbacks=callbacks,
        verbose=0,
        run=khp.RunFolder(directory=directory, name=name, if_exists="resume"),
        **options,
    )


class Stop(keras.callbacks.Callback):
    """Ends the process (`kill`) or raises what Ctrl-C raises (`interrupt`) after an epoch."""

    def __init__(self, how):
        super().__init__()
        self.how = how

    def on_epoch_end(self, epoch, logs=None):
        if self.how == "kill":
            os.kill(os.getpid(), signal.SIGKILL)  # an abrupt end: no cleanup runs
        raise KeyboardInterrupt


def logging_callbacks(log: Path, stop_at: int = 0, how: str = "kill"):
    """Callbacks of a search that writes each trial's values to `log` and stops in fit number `stop_at`."""

    def callbacks(hp):
        with open(log, "a") as f:
            f.write(repr(sorted(hp.items())) + "\n")
        return [Stop(how)] if len(log.read_text().splitlines()) == stop_at else []

    return callbacks


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from test_interrupted import logging_callbacks, search
    search({directory!r}, "r", {algorithm!r}, logging_callbacks(Path({log!r}), stop_at=3, how="kill"))
    """
)


def _stop_at_third_trial(tmp_path, algorithm, how, log):
    if how == "interrupt":
        with pytest.raises(KeyboardInterrupt):
            search(tmp_path, "r", algorithm, logging_callbacks(log, stop_at=3, how=how))
        return
    code = CHILD.format(tests=str(Path(__file__).parent), directory=str(tmp_path), algorithm=algorithm, log=str(log))
    killed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr[-2000:]


@pytest.mark.parametrize(
    ("algorithm", "how"),
    [pytest.param("random", "interrupt", marks=pytest.mark.slow),  # in this process
     *(pytest.param(algorithm, "kill", marks=pytest.mark.subprocess)  # a process killed mid-fit
       for algorithm in ("bayesian", "hyperband", "tpe", "bohb"))],
)
def test_an_interrupted_run_resumes_as_if_never_interrupted(algorithm, how, tmp_path):
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    _stop_at_third_trial(tmp_path, algorithm, how, first_log)
    records = tmp_path / "r" / "trials"
    done = sorted(p.name for p in records.glob("*.json"))
    assert len(done) == 2  # two trials finished; the third was stopped mid-fit
    saved = {name: (records / name).read_text() for name in done}

    resumed = search(tmp_path, "r", algorithm, logging_callbacks(second_log))
    first_fits = first_log.read_text().splitlines()
    second_fits = second_log.read_text().splitlines()
    assert second_fits[0] == first_fits[2]  # the interrupted trial ran once more, first
    finished = {name.removesuffix(".json") for name in done}
    # Hyperband trains a finished trial's model on as a new trial with the same values: not a rerun
    promotions = {repr(sorted((k, r.params[k]) for k in ("batch_size", "units"))) for r in resumed.records
                  if r.promoted_from in finished}
    assert not (set(second_fits) & set(first_fits[:2])) - promotions  # finished ones were not run again
    assert {name: (records / name).read_text() for name in done} == saved  # nor rewritten
    statuses = [json.loads(p.read_text())["status"] for p in records.glob("*.json")]
    assert len(statuses) == 4 and "FAILED" not in statuses

    whole = search(tmp_path, "whole", algorithm)
    assert [r.params for r in resumed.records] == [r.params for r in whole.records]  # as if never interrupted


ENDING_KILLED = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from keras_tuner.src.engine import base_tuner
    from test_interrupted import logging_callbacks, search

    ending = base_tuner.BaseTuner.on_trial_end  # tells the oracle the trial ended, then saves its state

    def killed_at_the_second(self, trial):
        if int(trial.trial_id) == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        ending(self, trial)

    base_tuner.BaseTuner.on_trial_end = killed_at_the_second
    search({directory!r}, "r", "random", logging_callbacks(Path({log!r})))
    """
)


@pytest.mark.subprocess
def test_a_process_killed_as_a_trial_ends_keeps_that_trial(tmp_path):
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    code = ENDING_KILLED.format(tests=str(Path(__file__).parent), directory=str(tmp_path), log=str(first_log))
    killed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr[-2000:]
    records = tmp_path / "r" / "trials"
    saved = {p.name: p.read_text() for p in records.glob("*.json")}
    assert len(saved) == 2  # the second trial's record was written before the oracle heard it ended

    resumed = search(tmp_path, "r", "random", logging_callbacks(second_log))
    first_fits, second_fits = first_log.read_text().splitlines(), second_log.read_text().splitlines()
    assert len(first_fits) == 2 and not set(second_fits) & set(first_fits)  # neither ran again
    assert {name: (records / name).read_text() for name in saved} == saved
    assert sorted(r.number for r in resumed.records) == [0, 1, 2, 3]
    whole = search(tmp_path, "whole", "random")
    assert [r.params for r in resumed.records] == [r.params for r in whole.records]
