"""Shared test settings: quiet TensorFlow, the TensorFlow backend, a seed fixture."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402


@pytest.fixture
def seed() -> int:
    """Seeds Python, NumPy and Keras; returns the seed."""
    import keras

    keras.utils.set_random_seed(1234)
    return 1234
