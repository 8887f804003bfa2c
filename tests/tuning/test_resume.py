"""A run killed mid-trial resumes: completed trials are kept and not run again."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    import keras
    import kerashp as khp

    directory, kill_at, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]

    class KillSwitch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            os.kill(os.getpid(), signal.SIGKILL)  # an abrupt end: no cleanup runs

    def callbacks(hp):
        with open(log, "a") as f:
            f.write(repr(sorted(hp.items())) + "\\n")
        fits = sum(1 for _ in open(log))
        return [KillSwitch()] if fits == kill_at else []

    x, y = khp.datasets.load("digits")
    space = {"units": khp.Int(4, 64), "epochs": 2, "batch_size": 64}
    khp.tune(khp.builders.mlp, space, data=(x[:300], y[:300]), algorithm="random", max_trials=5,
             objective="val_accuracy", directory=directory, name="r", resume=True, seed=3,
             callbacks=callbacks, verbose=0)
    print("finished")
    """
)


def test_killed_run_resumes_without_repeating_completed_trials(tmp_path):
    script = tmp_path / "search.py"
    script.write_text(SCRIPT)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    killed = subprocess.run([sys.executable, str(script), str(tmp_path), "3", str(first_log)],
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr[-2000:]
    records = tmp_path / "r" / "trials"
    done = sorted(p.name for p in records.glob("*.json"))
    assert done == ["0.json", "1.json"]  # trials 0 and 1 finished; trial 2 was killed
    saved = {name: (records / name).read_text() for name in done}

    resumed = subprocess.run([sys.executable, str(script), str(tmp_path), "0", str(second_log)],
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "finished" in resumed.stdout
    first_fits = first_log.read_text().splitlines()
    second_fits = second_log.read_text().splitlines()
    assert len(second_fits) == 3  # the interrupted trial again, then trials 3 and 4
    assert second_fits[0] == first_fits[2]  # it retried the killed trial's values
    assert not set(second_fits) & set(first_fits[:2])  # completed ones were not run again
    assert {name: (records / name).read_text() for name in done} == saved
    statuses = [json.loads(p.read_text())["status"] for p in sorted(records.glob("*.json"))]
    assert statuses == ["COMPLETED"] * 5
