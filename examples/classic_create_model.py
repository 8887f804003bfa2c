"""The classic recipe, unchanged: `create_model(optimizer, init)` wrapped as
`KerasClassifier(build_fn=create_model)` and searched with `GridSearchCV` over
batch size, epochs, optimizer and kernel initializer.

Only the imports and the data differ from the tutorials' version: the wrapper
comes from `kerashp.sklearn`, and the data is scikit-learn's digits (offline,
8x8 images of 10 digits) instead of a CSV file. kerashp sees that
`create_model` takes its hyperparameters by name and calls
`create_model(optimizer=..., init=...)`; `batch_size` and `epochs` go to `fit`.

    python examples/classic_create_model.py            # about a minute on 2 cores
    python examples/classic_create_model.py --quick    # a few seconds: a smoke run
"""

from __future__ import annotations

import argparse

import numpy
from keras.layers import Dense, Input
from keras.models import Sequential
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from kerashp.sklearn import KerasClassifier


# Function to create model, required for KerasClassifier
def create_model(optimizer="rmsprop", init="glorot_uniform"):
    # create model
    model = Sequential()
    model.add(Input(shape=(64,)))
    model.add(Dense(12, kernel_initializer=init, activation="relu"))
    model.add(Dense(8, kernel_initializer=init, activation="relu"))
    model.add(Dense(10, kernel_initializer=init, activation="softmax"))
    # Compile model
    model.compile(loss="sparse_categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    return model


def main(quick: bool = False, n_jobs: int = 2) -> GridSearchCV:
    # fix random seed for reproducibility
    seed = 7
    numpy.random.seed(seed)
    # load dataset
    X, Y = load_digits(return_X_y=True)
    X = X / 16.0
    # create model
    model = KerasClassifier(build_fn=create_model, verbose=0, random_state=seed)
    # grid search epochs, batch size, optimizer and initializer
    optimizers = ["rmsprop", "adam"]
    inits = ["glorot_uniform", "normal", "uniform"]
    epochs = [10, 20]
    batches = [16, 64]
    if quick:
        X, Y = X[:400], Y[:400]
        inits, epochs, batches = ["glorot_uniform", "uniform"], [1], [64]
    param_grid = dict(optimizer=optimizers, epochs=epochs, batch_size=batches, init=inits)
    grid = GridSearchCV(estimator=model, param_grid=param_grid, n_jobs=n_jobs, cv=2 if quick else 3)
    grid_result = grid.fit(X, Y)
    # summarize results
    print(f"Best: {grid_result.best_score_:f} using {grid_result.best_params_}")
    means = grid_result.cv_results_["mean_test_score"]
    stds = grid_result.cv_results_["std_test_score"]
    params = grid_result.cv_results_["params"]
    for mean, stdev, param in zip(means, stds, params, strict=True):
        print(f"{mean:f} ({stdev:f}) with: {param!r}")
    return grid


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny grid, for a smoke run")
    parser.add_argument("--n-jobs", type=int, default=2, help="parallel fits (default 2)")
    args = parser.parse_args()
    main(quick=args.quick, n_jobs=args.n_jobs)
