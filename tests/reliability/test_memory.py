"""A long search releases each trial's objects: no finished trial's model
stays alive, and resident memory grows no faster than a plain Keras loop's
(benchmarks/memory.py measures 100 trials; docs/reliability.md says what grows)."""

from __future__ import annotations

import gc
import weakref

import pytest

import kerashp as khp

pytestmark = pytest.mark.slow


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))


def test_finished_trials_leave_no_model_behind_and_memory_grows_slowly(tmp_path):
    x, y = khp.datasets.load("digits")
    models, rss = [], []

    def build(hp):
        model = khp.builders.mlp(hp)
        models.append(weakref.ref(model))
        return model

    khp.tune(
        build,
        {"units": khp.Int(8, 64), "epochs": 1, "batch_size": 64},
        data=(x[:300], y[:300]),
        algorithm="random",
        max_trials=16,
        seed=0,
        verbose=0,
        on_trial_end=lambda record: rss.append(rss_mb()),
        run=khp.RunFolder(directory=tmp_path, name="m"),
    )
    gc.collect()
    assert len(models) == 16 and not [ref for ref in models if ref() is not None]
    per_trial = (rss[-1] - rss[9]) / (len(rss) - 10)
    assert per_trial < 12  # a plain Keras loop: 5.8 MB per trial (TensorFlow keeps each traced train step)
