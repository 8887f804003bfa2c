"""The progress display: a bar with a total for every algorithm (Hyperband's
from its schedule), a widget in notebooks, plain lines in logs, and the true
best after a resume."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import tqdm.auto
import tqdm.std

import kerashp as khp
from kerashp.algorithms.hyperband import hyperband_trials
from kerashp.reporting.progress import Progress
from kerashp.tuning.objective import as_objective
from kerashp.tuning.trial import TrialRecord, TrialStatus


def _record(number: int, score: float) -> TrialRecord:
    return TrialRecord(number=number, trial_id=f"{number:02d}", status=TrialStatus.COMPLETED, params={"units": 8},
                       score=score, epochs=1, total_epochs=1, seconds=0.5)


@pytest.mark.parametrize(("max_epochs", "factor", "iterations"), [(2, 2, 1), (3, 3, 1), (9, 3, 2), (10, 3, 1),
                                                                  (27, 3, 1), (30, 4, 1)])
def test_the_hyperband_total_is_the_number_of_trials_keras_tuners_oracle_runs(max_epochs, factor, iterations, tmp_path):
    import random

    import keras_tuner as kt

    hp = kt.HyperParameters()
    hp.Float("x", 0.0, 1.0)  # never runs out of new values
    oracle = kt.oracles.HyperbandOracle(objective=kt.Objective("score", "max"), max_epochs=max_epochs, factor=factor,
                                        hyperband_iterations=iterations, hyperparameters=hp, seed=0)
    oracle._set_project_dir(str(tmp_path), "oracle")
    oracle.verbose = 0
    scores = random.Random(0)
    trials = 0
    while (trial := oracle.create_trial("tuner0")).status != "STOPPED":
        oracle.update_trial(trial.trial_id, {"score": scores.random()})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
        trials += 1
    assert hyperband_trials(max_epochs, factor, iterations) == trials


class _Recorded(tqdm.std.tqdm):
    """A bar that shows (whatever stdout is) and is kept for the test to read."""

    made: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "disable": False})
        self.made.append(self)


@pytest.mark.slow
def test_a_hyperband_search_fills_a_bar_whose_total_is_its_trial_count(digits_small, monkeypatch, tmp_path):
    monkeypatch.setattr(tqdm.auto, "tqdm", _Recorded)
    monkeypatch.setattr(_Recorded, "made", [])
    result = khp.tune(
        khp.builders.mlp,
        {"units": khp.Int(4, 32), "batch_size": 128},
        data=digits_small,
        algorithm=khp.algorithms.Hyperband(reduction_factor=2),
        max_epochs=2,
        seed=0,
        run=khp.RunFolder(directory=tmp_path, name="hb"),
    )
    (bar,) = _Recorded.made
    assert bar.total == len(result.records) == hyperband_trials(2, 2) == 5
    assert bar.n == 5


def test_in_a_log_file_each_trial_is_one_plain_line_without_a_bar(capsys):
    progress = Progress(3, as_objective("val_loss"))
    for number, score in enumerate([0.5, 0.7, 0.4]):
        progress.trial_done(_record(number, score))
    progress.close(finished=True)
    out = capsys.readouterr().out
    assert "\r" not in out and "trial/s" not in out and "|" not in out
    lines = out.splitlines()
    assert [line.split()[:2] for line in lines] == [["trial", "0"], ["trial", "1"], ["trial", "2"]]
    assert [line.split()[4] for line in lines] == ["best=0.5", "best=0.5", "best=0.4"]


NOTEBOOK = textwrap.dedent(
    """
    import sys, types
    import IPython  # a Jupyter kernel (ipykernel.zmqshell) with ipywidgets, as in Colab
    sys.modules["ipykernel.zmqshell"] = types.ModuleType("ipykernel.zmqshell")
    widgets = types.ModuleType("ipywidgets")

    class Widget:
        def __init__(self, **kwargs):
            self.value, self.bar_style = None, ""
            self.layout, self.style = types.SimpleNamespace(), types.SimpleNamespace(bar_color=None)
            self.__dict__.update(kwargs)
        def close(self):
            self.closed = True

    widgets.HTML = widgets.HBox = Widget
    widgets.FloatProgress = type("FloatProgress", (Widget,), {"made": []})
    widgets.FloatProgress.__init__ = lambda self, **kw: (Widget.__init__(self, **kw), self.made.append(self))[0]
    sys.modules["ipywidgets"] = widgets

    from kerashp.tuning.objective import as_objective
    from kerashp.reporting.progress import Progress
    from kerashp.tuning.trial import TrialRecord, TrialStatus
    progress = Progress(4, as_objective("val_loss"))
    for number in range(3):
        progress.trial_done(TrialRecord(number=number, trial_id=str(number), status=TrialStatus.COMPLETED,
                                        params={}, score=0.5, epochs=1, total_epochs=1, seconds=0.1))
    progress.close(finished=True)
    (bar,) = widgets.FloatProgress.made
    print("widget", bar.value, bar.max, repr(bar.bar_style))
    """
)


def test_in_a_notebook_the_bar_is_a_widget_though_stdout_is_not_a_terminal(tmp_path):
    """Jupyter's and Colab's stdout is not a terminal: `tqdm(disable=None)` from
    `tqdm.std` showed no bar there; `tqdm.auto`'s widget does."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", NOTEBOOK], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                         env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    # 3 of the 4 trials expected ran, and the search ended as planned: no error's red bar ('danger')
    assert "widget 3 4 ''" in out.stdout
    assert out.stdout.count("trial ") == 3


def test_a_resumed_run_shows_the_best_of_every_trial_not_only_the_new_ones(digits_small, tmp_path, capsys):
    """The grid runs a good learning rate first, then one too small to learn:
    the resumed run's trial is worse than the best already on disk."""
    space = {"units": 16, "learning_rate": [3e-2, 1e-7], "batch_size": 64, "epochs": 2}
    run = {"data": digits_small, "algorithm": "grid", "seed": 0}
    khp.tune(khp.builders.mlp, space, max_trials=1, run=khp.RunFolder(tmp_path, "r"), **run)
    capsys.readouterr()
    result = khp.tune(khp.builders.mlp, space, run=khp.RunFolder(tmp_path, "r", if_exists="resume"), **run)
    first, second = result.records
    assert second.score > first.score  # val_loss: the new trial is worse
    out = capsys.readouterr().out
    assert f"1 trials finished before, best val_loss={first.score:.4g}" in out
    line = next(line for line in out.splitlines() if line.startswith("trial 1 "))
    assert f"best={first.score:.4g} " in line
