"""Run folders written by kerashp 0.1.0 (before run.json had a schema version)
still reopen: records, the trials table, the best model with its weights."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import kerashp as khp

LEGACY = Path(__file__).resolve().parents[1] / "data" / "legacy_runs"


@pytest.fixture
def legacy(tmp_path):
    shutil.copytree(LEGACY, tmp_path / "runs")
    return tmp_path / "runs"


def test_a_holdout_run_of_version_0_reopens_with_its_best_model(legacy):
    result = khp.load_result(legacy / "v0")
    assert len(result.trials) == 3
    assert result.best_score == pytest.approx(0.6000000238418579)
    assert result.best_params["units"] == 4
    x, y = khp.datasets.load("iris")
    predictions = result.best_model.predict(x[:5], verbose=0)
    assert predictions.shape == (5, 3)
    assert np.allclose(predictions.sum(axis=1), 1.0, atol=1e-5)


def test_a_cross_validated_run_of_version_0_reopens(legacy):
    result = khp.load_result(legacy / "v0cv")
    trials = result.trials
    assert list(trials["status"]) == ["COMPLETED", "COMPLETED"]
    assert {"fold0", "fold1", "score_std"} <= set(trials.columns)
    assert result.best_params["units"] in (4, 8)
