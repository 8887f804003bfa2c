"""The small seeded searches the reliability tests run and damage (in a module
of its own name: `from conftest import ...` finds whichever conftest was
imported last when several test folders run together)."""

from __future__ import annotations

import kerashp as khp

#: Per algorithm: the space and options of a tiny seeded search that stops
#: part-way through (Hyperband mid-bracket, ASHA with trials stopped early).
SEARCHES = {
    "random": ({"units": khp.Int(4, 32), "learning_rate": khp.Float(1e-3, 1e-2, log=True), "epochs": 2},
               {"max_trials": 3}),  # two values drawn per trial
    "grid": ({"units": [4, 8, 16, 32], "epochs": 1}, {"max_trials": 3}),
    "bayesian": ({"units": khp.Int(4, 32), "epochs": 2}, {"max_trials": 4}),
    "tpe": ({"units": khp.Int(4, 32), "epochs": 2}, {"max_trials": 4}),
    "bohb": ({"units": khp.Int(4, 32)}, {"max_trials": 6, "max_epochs": 3}),
    "hyperband": ({"units": khp.Int(4, 32)}, {"max_trials": 6, "max_epochs": 9}),  # stops in round 0
}


def run_search(algorithm, directory, name="run", callbacks=None, **overrides):
    """The algorithm's search of `SEARCHES` on 300 digits (resumed if it exists)."""
    x, y = khp.datasets.load("digits")
    space, options = SEARCHES[algorithm]
    kwargs = {**options, **overrides}
    return khp.tune(
        khp.builders.mlp,
        {**space, "batch_size": 64},
        data=(x[:300], y[:300]),
        algorithm=algorithm,
        objective="val_accuracy",
        seed=5,
        verbose=0,
        callbacks=callbacks,
        run=khp.RunFolder(directory=directory, name=name, if_exists="resume"),
        **kwargs,
    )
