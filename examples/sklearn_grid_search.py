"""The classic recipe: wrap a Keras model for scikit-learn, then GridSearchCV.

Grid over batch size, epochs, optimizer and kernel initializer, on scikit-learn's
digits (an offline, 8x8 MNIST), with 3-fold cross-validation on two processes.

    python examples/sklearn_grid_search.py            # about two minutes on 2 cores
    python examples/sklearn_grid_search.py --quick    # a few seconds: a smoke run
"""

from __future__ import annotations

import argparse

import keras
from sklearn.model_selection import GridSearchCV, train_test_split

import kerashp as khp


def create_model(hp: dict) -> keras.Model:
    """The model, from one dict of hyperparameters.

    `hp` holds every hyperparameter of the estimator (here `init`, `units`,
    `optimizer`, `batch_size`, `epochs`). The model is returned uncompiled:
    kerashp compiles it from `hp["optimizer"]` (and `learning_rate`, if given)
    with the loss and metric of the task.
    """
    spec = khp.datasets.current_spec()  # input shape and classes of this fold's training data
    return keras.Sequential(
        [
            keras.Input(spec.input_shape),
            keras.layers.Rescaling(1.0 / 16),  # digits' pixels are 0..16
            keras.layers.Dense(hp["units"], activation="relu", kernel_initializer=hp["init"]),
            keras.layers.Dense(spec.num_classes, activation="softmax", kernel_initializer=hp["init"]),
        ]
    )


def main(quick: bool = False, n_jobs: int = 2) -> GridSearchCV:
    x, y = khp.datasets.load("digits")
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, stratify=y, random_state=0)

    space = {
        "batch_size": [16, 64],
        "epochs": [5, 15],
        "optimizer": ["adam", "rmsprop", "sgd"],
        "init": ["glorot_uniform", "he_normal", "uniform"],
        "units": 64,
    }
    if quick:
        space = {"batch_size": [64], "epochs": [3], "optimizer": ["adam", "sgd"], "init": ["he_normal"], "units": 16}

    model = khp.sklearn.KerasClassifier(create_model, verbose=0, random_state=0)
    grid = GridSearchCV(model, khp.sklearn.param_grid(space), cv=2 if quick else 3, n_jobs=n_jobs)
    grid.fit(x_train, y_train)

    print(f"Best: {grid.best_score_:.3f} using {grid.best_params_}")
    results = grid.cv_results_
    for mean, std, params in zip(
        results["mean_test_score"], results["std_test_score"], results["params"], strict=True
    ):
        print(f"{mean:.3f} ({std:.3f}) with: {params}")
    print(f"Held-out test accuracy of the refit best model: {grid.score(x_test, y_test):.3f}")
    return grid


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny grid, for a smoke run")
    parser.add_argument("--n-jobs", type=int, default=2, help="parallel fits (default 2)")
    args = parser.parse_args()
    main(quick=args.quick, n_jobs=args.n_jobs)
