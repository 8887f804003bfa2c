"""examples/sklearn_grid_search.py runs (its --quick grid, in this process)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sklearn_grid_search.py"


@pytest.mark.e2e
def test_example_runs(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [str(EXAMPLE), "--quick", "--n-jobs", "1"])
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "Best: " in out and "'init': 'he_normal'" in out
    assert "Held-out test accuracy of the refit best model" in out
