"""Tune an MLP on scikit-learn's digits, then use what the search found.

    python examples/tune_digits.py            # about a minute on 2 cores
    python examples/tune_digits.py --quick    # a few seconds: a smoke run
"""

from __future__ import annotations

import argparse

import kerashp as khp


def main(quick: bool = False) -> khp.TuneResult:
    space = {
        "layers": khp.Int(1, 3),
        "units": khp.Int(16, 512, log=True),
        "activation": ["relu", "tanh"],
        "dropout": (0.0, 0.5),
        "learning_rate": khp.Float(1e-4, 1e-1, log=True),
        "optimizer": ["adam", "sgd"],
        "momentum": khp.Float(0.0, 0.99, when={"optimizer": "sgd"}),
        "batch_size": [32, 64, 128],
    }
    x, y = khp.datasets.load("digits")
    x_test, y_test = x[-300:], y[-300:]  # kept out of the search entirely
    result = khp.tune(
        khp.builders.mlp,
        space,
        data=(x[:-300], y[:-300]),
        algorithm="bohb",
        objective="val_accuracy",
        max_epochs=3 if quick else 27,
        max_trials=4 if quick else None,
        seed=0,
        run=khp.RunFolder(directory="kerashp_runs", name="tune-digits", if_exists="overwrite"),
    )
    print(result.summary())
    _, accuracy = result.best_model.evaluate(x_test, y_test, verbose=0)
    print(f"held-out test accuracy of the best model: {accuracy:.4f}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a tiny budget, for a smoke run")
    main(parser.parse_args().quick)
