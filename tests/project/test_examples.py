"""examples/tune_digits.py runs as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tune_digits.py"


@pytest.mark.e2e
def test_tune_digits_example_runs(tmp_path):
    out = subprocess.run([sys.executable, str(EXAMPLE), "--quick"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert "held-out test accuracy of the best model" in out.stdout
    assert (tmp_path / "kerashp_runs" / "tune-digits" / "run.json").exists()


@pytest.mark.e2e
@pytest.mark.parametrize(("name", "expected"), [("from_keras_tuner", "best with the tuned fit:"),
                                                ("from_optuna", "Best trial:")])
def test_the_ported_keras_tuner_and_optuna_examples_run(name, expected, tmp_path):
    example = EXAMPLE.parent / f"{name}.py"
    out = subprocess.run([sys.executable, str(example), "--quick"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert expected in out.stdout
