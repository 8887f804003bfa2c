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


@pytest.fixture
def eager_mlp():
    """kerashp's mlp compiled to run eagerly: on data this small a fit takes a
    third of the time without graph tracing, and kerashp's code runs the same."""

    def build(hp):
        model = khp.builders.mlp(hp)
        model.compile(optimizer=model.optimizer, loss=model.loss, metrics=["accuracy"], run_eagerly=True)
        return model

    return build


@pytest.fixture
def make_oracle(tmp_path):
    """An algorithm's keras-tuner oracle as `tune` makes it, with its space
    declared and a project folder, driven by hand (no tuner, no training)."""
    from kerashp.space import Space
    from kerashp.tuning import algorithms
    from kerashp.tuning.algorithms._keras_tuner import declare
    from kerashp.tuning.objective import as_objective
    from kerashp.tuning.points import initial_values

    def make(algorithm, space, *, objective="val_accuracy", name="oracle", max_trials=20, epochs=9, seed=0,
             prior=(), initial=(), **options):
        space = Space(space)
        algo = algorithms.get(algorithm)
        queued = initial_values(space, list(initial), max_trials)
        oracle = algo.make_oracle(as_objective(objective), space=space, max_trials=max_trials, epochs=epochs,
                                  seed=seed, options={**algo.options, **options}, initial=queued, prior=list(prior))
        oracle._set_project_dir(str(tmp_path), name)
        hp = oracle.get_space()
        declare(space, hp)
        oracle.update_space(hp)
        return oracle

    return make
