"""The example runs as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "callbacks_in_existing_loop.py"


@pytest.mark.e2e
def test_example_runs():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=EXAMPLE.parent.parent,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "LRFinder: swept" in result.stdout
    assert "custom loop epoch 2" in result.stdout
