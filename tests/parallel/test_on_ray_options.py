"""Execution(workers=, ray=, trial_cpus=, trial_gpus=), checked before anything runs (no cluster is started)."""

from __future__ import annotations

import os

import pytest

import kerashp as khp
from kerashp.exceptions import ArgumentError

SPACE = {"units": [8, 16], "batch_size": 64, "epochs": 1}


def test_ray_options_are_checked_before_anything_runs():
    with pytest.raises(ArgumentError, match=r"trial_cpus.*without workers or ray.*workers=N"):
        khp.Execution(trial_cpus=2)
    with pytest.raises(ArgumentError, match=r"trial_gpus.*without workers or ray"):
        khp.Execution(trial_gpus=0.5)
    assert khp.Execution(workers=2, trial_gpus=0.5).cluster == "local"  # workers alone: a cluster of this machine
    for bad in ("", 6379, True):
        with pytest.raises(ArgumentError, match=r"`ray` names a Ray cluster.*'local'"):
            khp.Execution(ray=bad)
    for bad in (0, -1, "two", True):
        with pytest.raises(ArgumentError, match="trial_cpus"):
            khp.Execution(ray="local", trial_cpus=bad)
    with pytest.raises(ArgumentError, match="trial_gpus"):
        khp.Execution(ray="local", trial_gpus=-0.5)
    assert khp.Execution(ray="local", trial_cpus=0.5, trial_gpus=0.25).trial_gpus == 0.25


def test_without_ray_installed_the_option_says_how_to_install_it(monkeypatch):
    import importlib.util

    found = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else found(name, *a))
    with pytest.raises(ArgumentError, match=r"Received: ray='auto'.*pip install 'kerashp\[ray\]'"):
        khp.Execution(ray="auto")
    with pytest.raises(ArgumentError, match=r"Received: workers=2.*pip install 'kerashp\[ray\]'.*one at a time"):
        khp.Execution(workers=2)
    assert khp.Execution().cluster is None  # one process needs no Ray


def test_an_address_where_no_cluster_answers_is_named(digits_small, tmp_path, monkeypatch):
    import ray

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert not ray.is_initialized()
    # nothing listens there. Not 'auto': it finds any cluster of this machine (Ray looks for its processes),
    # and under xdist another test's may be running
    for address in ("127.0.0.1:1", "ray://127.0.0.1:1"):
        with pytest.raises(ArgumentError, match=rf"ray='{address}'.*ray start --head"):
            khp.tune(khp.builders.mlp, SPACE, data=digits_small, verbose=0, run=khp.RunFolder(tmp_path, "r"),
                     execution=khp.Execution(ray=address))
    assert not os.path.exists(tmp_path / "r" / "trials")
