"""Plots of a small search: each kind's data, what its Figure draws, the
PNGs, and the command line. The run is written with the run store as random
search with ASHA leaves one (completed and stopped trials), without training;
a real search draws every kind in the full tier.

`KERASHP_DOCS_IMAGES=docs/images pytest tests/plots/test_plots.py -k png` writes
the README's images (from the real search) instead of temporary ones.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

import kerashp as khp
from kerashp import plots
from kerashp.tuning.trial import TrialRecord, TrialStatus

SEARCHED = ["units", "learning_rate", "activation"]
SPACE = {"units": khp.Int(4, 32), "learning_rate": khp.Float(1e-3, 1e-1, log=True), "activation": ["relu", "tanh"],
         "epochs": 4, "batch_size": 16}


@pytest.fixture
def result(write_run):
    """Nine trials: six trained 4 epochs, three stopped at ASHA's rungs (epochs 1 and 2);
    the loss is lowest near learning_rate=0.01, and tanh adds to it."""
    rng = np.random.default_rng(2)
    curves = []
    for number in range(9):
        params = {"units": int(rng.integers(4, 33)), "learning_rate": float(10 ** rng.uniform(-3, -1)),
                  "activation": ["relu", "tanh"][number % 2], "epochs": 4, "batch_size": 16}
        final = 0.3 + 0.4 * abs(np.log10(params["learning_rate"]) + 2) + 0.1 * (params["activation"] == "tanh")
        curve = [float(v) for v in np.linspace(1.1 + rng.uniform(0, 0.1), final + rng.uniform(0, 0.05), 4)]
        stopped = {2: 1, 5: 1, 7: 2}.get(number)
        curves.append((params, curve[:stopped], "PRUNED") if stopped else (params, curve))
    return khp.load_result(write_run(curves, space=SPACE, name="plots"))


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """A real search: random with ASHA on iris."""
    run = khp.tune(
        khp.builders.mlp,
        SPACE,
        data="iris",
        algorithm=khp.algorithms.Random(pruner=khp.pruners.ASHA(reduction_factor=2)),
        max_trials=9,
        seed=2,
        verbose=0,
        run=khp.RunFolder(directory=tmp_path_factory.mktemp("runs"), name="plots"),
    )
    statuses = [r.status for r in run.records]
    assert statuses.count(TrialStatus.COMPLETED) >= 3 and TrialStatus.PRUNED in statuses, statuses
    return run


def _copy(result, tmp_path, name="copy"):
    shutil.copytree(result.path, tmp_path / name)
    return khp.load_result(tmp_path / name)


def _lines(ax, label):
    return [line for line in ax.get_lines() if line.get_label() == label]


def test_scores_x_axis_is_the_trial_number_and_best_so_far_never_worsens(result):
    data = plots.scores_data(result)
    done = [r for r in result.records if r.completed]
    assert data.trials == [r.number for r in done] and all(type(n) is int for n in data.trials)
    assert data.running_best == list(np.minimum.accumulate(data.scores))  # val_loss: lower is better
    assert data.running_best[-1] == result.best_score
    assert [n for n, _ in data.pruned] == [r.number for r in result.records if r.status is TrialStatus.PRUNED]

    ax = result.plot("scores").axes[0]
    (dots,), (best,) = _lines(ax, "completed trial"), _lines(ax, "best so far")
    assert list(dots.get_xdata()) == data.trials and list(best.get_xdata()) == data.trials
    assert np.all(np.diff(best.get_ydata()) <= 0)
    assert ax.get_xlabel() == "trial number" and ax.get_ylabel() == "val_loss"
    assert all(float(tick).is_integer() for tick in ax.get_xticks())


def test_history_highlights_the_top_trials_and_marks_the_stopped_ones(result):
    data = plots.history_data(result, top=2)
    ranked = [r.number for r in result._ranked()]
    assert data.top == ranked[:2] and data.best_trial == ranked[0]
    pruned = [r for r in result.records if r.status is TrialStatus.PRUNED]
    assert set(data.curves) == {r.number for r in result.records if r.score is not None}
    assert data.pruned == {r.number: (r.total_epochs, r.history["val_loss"][-1]) for r in pruned}

    ax = result.plot("history", top=2).axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert labels == [f"stopped early ({len(pruned)})", f"trial {ranked[0]} (best)", f"trial {ranked[1]}"]
    grey = [line for line in ax.get_lines() if line.get_color() == "0.55"]
    assert len(grey) == len(data.curves) - 2
    (markers,) = ax.collections
    assert sorted(map(tuple, markers.get_offsets())) == sorted(data.pruned.values())


def test_history_of_seventy_trials_stays_readable(result, tmp_path):
    run = _copy(result, tmp_path)
    best = run.best_trial
    rng = np.random.default_rng(0)
    for number in range(len(run.records), 70):
        values = list(1.2 - np.cumsum(rng.uniform(0, 0.1, 4)))
        run.store.write_record(TrialRecord(number, f"{number:02d}", TrialStatus.COMPLETED, dict(best.params),
                                           score=min(values), total_epochs=4, history={"val_loss": values}))
    run = khp.load_result(run.path)
    assert len(run.records) == 70
    ax = run.plot("history").axes[0]
    bold = [line for line in ax.get_lines() if line.get_linewidth() >= 1.5]
    faded = [line for line in ax.get_lines() if line not in bold]
    assert len(bold) == 5 and len(faded) == len(plots.history_data(run).curves) - 5
    assert all(line.get_linewidth() <= 0.5 and line.get_alpha() <= 0.35 for line in faded)
    assert len(ax.get_legend().get_texts()) == 6  # the top 5 and the stopped trials


def test_parallel_and_slice_show_every_searched_hyperparameter(result):
    frame = plots.parallel_data(result)
    assert list(frame.columns) == ["trial", *SEARCHED, "score"]
    assert len(frame) == sum(r.completed for r in result.records)
    ax = result.plot("parallel").axes[0]
    assert set(SEARCHED) <= {t.get_text() for t in ax.get_xticklabels()}

    data = plots.slice_data(result)
    assert list(data) == SEARCHED and all(len(v) == len(s) == len(frame) for v, s in data.values())
    fig = result.plot("slice")
    assert {ax.get_xlabel() for ax in fig.axes} >= set(SEARCHED)
    panels = [ax for ax in fig.axes if ax.get_xlabel() in SEARCHED]
    assert len(panels) == 3 and all(len(ax.collections[0].get_offsets()) == len(frame) for ax in panels)


def test_importance_names_the_hyperparameters_and_sums_to_one(result):
    importance = plots.importance_data(result)
    assert set(importance) == set(SEARCHED) and sum(importance.values()) == pytest.approx(1.0)
    assert list(importance.values()) == sorted(importance.values(), reverse=True)
    assert plots.importance_data(result) == importance  # seeded
    ax = result.plot("importance").axes[0]
    assert {t.get_text() for t in ax.get_yticklabels()} == set(SEARCHED)
    assert len(ax.patches) == 3


def test_contour_defaults_to_the_two_most_important(result):
    first, second = list(plots.importance_data(result))[:2]
    assert plots.contour_params(result) == (first, second)
    ax = result.plot("contour").axes[0]  # Optuna orders the two axes by name
    assert {ax.get_xlabel(), ax.get_ylabel()} == {first, second} and first in ax.get_title()
    ax = result.plot("contour", params=("units", "activation")).axes[0]
    assert {ax.get_xlabel(), ax.get_ylabel()} == {"units", "activation"}
    with pytest.raises(khp.ArgumentError, match=r"searched hyperparameters of the run: .*Received: 'lr'"):
        result.plot("contour", params=("units", "lr"))


def test_edf_is_the_share_of_trials_at_or_below_each_score(result):
    data = plots.edf_data(result)
    scores = [r.score for r in result.records if r.completed]
    assert data.scores == sorted(scores) and data.fractions[-1] == 1.0
    assert data.fractions[0] == scores.count(min(scores)) / len(scores)
    (line,) = result.plot("edf").axes[0].get_lines()
    y = line.get_ydata()
    assert np.all(np.diff(y) >= 0) and y[-1] == 1.0 and line.get_xdata()[-1] == pytest.approx(max(scores))


def test_the_study_holds_each_trial_with_the_space_distributions(result):
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    from kerashp.plots._study import to_study

    study = to_study(result)
    assert len(study.trials) == len(result.records)
    for trial, record in zip(study.trials, result.records, strict=True):
        assert trial.user_attrs["number"] == record.number
        assert trial.state.name == {"COMPLETED": "COMPLETE", "PRUNED": "PRUNED"}[record.status.value]
        assert trial.params == {k: record.params[k] for k in SEARCHED}  # fixed epochs and batch size left out
        assert trial.value == (record.score if record.completed else None)
    dists = study.trials[0].distributions
    assert dists["units"] == IntDistribution(4, 32)
    assert dists["learning_rate"] == FloatDistribution(1e-3, 1e-1, log=True)
    assert dists["activation"] == CategoricalDistribution(["relu", "tanh"])


def test_a_conditional_entry_is_absent_where_inactive(result, tmp_path):
    from kerashp.plots._study import to_study

    run = _copy(result, tmp_path)
    settings = json.loads((run.path / "run.json").read_text())
    settings["space"]["activation"] = {"type": "choice", "values": ["relu"], "when": {"units": list(range(4, 17))}}
    (run.path / "run.json").write_text(json.dumps(settings))
    for record in khp.load_result(run.path).records:
        params = dict(record.params, activation="relu")
        if params["units"] > 16:
            del params["activation"]
        record.params = params
        run.store.write_record(record)
    run = khp.load_result(run.path)
    for trial, record in zip(to_study(run).trials, run.records, strict=True):
        assert ("activation" in trial.params) == (record.params["units"] <= 16)


def test_too_few_trials_is_a_clear_error(result, tmp_path):
    run = _copy(result, tmp_path)
    for record in run.records[1:]:
        if record.completed:
            (run.store.trials_dir / f"{record.trial_id}.json").unlink()
    run = khp.load_result(run.path)
    for kind in ("importance", "contour", "parallel", "slice"):
        with pytest.raises(khp.KerashpError,
                           match=rf"The '{kind}' plot needs at least 2 completed trials; the run has 1"):
            run.plot(kind)
    assert run.plot("scores") and run.plot("edf")
    written, skipped = plots.save(run, directory=tmp_path / "few")
    assert (set(skipped) == {"importance", "contour", "parallel", "slice"}
            and set(written) == set(plots.KINDS) - set(skipped))


def test_optuna_leaves_no_warning_and_no_style_behind(result):
    import matplotlib.pyplot as plt

    before = dict(plt.rcParams)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for kind in ("parallel", "slice", "importance", "contour", "edf"):
            plt.close(result.plot(kind))
    assert not [w for w in caught if "experimental" in str(w.message).lower()]
    assert dict(plt.rcParams) == before  # Optuna's plt.style.use("ggplot") stays inside its figure


def test_png_for_every_kind(result, tmp_path):
    written, skipped = plots.save(result, directory=tmp_path)
    assert not skipped and set(written) == set(plots.KINDS)
    for kind, path in written.items():
        assert path == tmp_path / f"{kind}.png" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_png_for_every_kind_of_a_real_search(searched, tmp_path):
    """The README's images: `KERASHP_DOCS_IMAGES=docs/images` writes them there."""
    folder = Path(os.environ.get("KERASHP_DOCS_IMAGES") or tmp_path)
    written, skipped = plots.save(searched, directory=folder)
    assert not skipped and set(written) == set(plots.KINDS)
    for kind, path in written.items():
        assert path == folder / f"{kind}.png" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = plots.scores_data(searched)  # the records of real trials, stopped ones among them
    assert data.trials == [r.number for r in searched.records if r.completed] and data.pruned
    assert data.running_best[-1] == searched.best_score


def test_cli_plot_writes_the_pngs_and_names_the_kinds(result, tmp_path, capsys):
    from kerashp import cli

    assert cli.main(["plot", str(result.path), "--out", str(tmp_path)]) == 0
    assert f"plots written to {tmp_path}" in capsys.readouterr().out
    assert sorted(p.stem for p in tmp_path.glob("*.png")) == sorted(plots.KINDS)
    assert cli.main(["plot", str(result.path), "scores"]) == 0
    assert (result.path / "plots" / "scores.png").exists()
    assert cli.main(["plot", str(result.path), "pie"]) == 2
    assert "`kind` must be one of 'history', 'scores'," in capsys.readouterr().err
