"""Small data and a tiny space shared by the tuning tests."""

from __future__ import annotations

import pytest

import kerashp as khp


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
