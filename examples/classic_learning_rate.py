"""The classic binary recipe: `create_model(learning_rate=...)` compiles its own
Adam; `GridSearchCV` searches the learning rate and batch size, then
`kerashp.tune` searches the same builder, unchanged, with a log-scale range.

The data is scikit-learn's breast cancer set (569 samples, 30 features, two
classes), standardized. kerashp calls `create_model(learning_rate=...)`
by name; `batch_size` and `epochs` go to `fit`.

    python examples/classic_learning_rate.py            # about a minute on 2 cores
    python examples/classic_learning_rate.py --quick    # a few seconds: a smoke run
"""

from __future__ import annotations

import argparse

from keras.layers import Dense, Input
from keras.models import Sequential
from keras.optimizers import Adam
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

import kerashp as khp
from kerashp.sklearn import KerasClassifier


def create_model(learning_rate=0.001):
    model = Sequential()
    model.add(Input(shape=(30,)))
    model.add(Dense(16, activation="relu"))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer=Adam(learning_rate=learning_rate), metrics=["accuracy"])
    return model


def main(quick: bool = False, n_jobs: int = 2, directory: str = "kerashp_runs") -> tuple:
    X, Y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)

    model = KerasClassifier(build_fn=create_model, epochs=20, batch_size=32, verbose=0, random_state=0)
    param_grid = dict(learning_rate=[1e-4, 1e-3, 1e-2], batch_size=[16, 64])
    if quick:
        model.set_params(epochs=1)
        param_grid = dict(learning_rate=[1e-3, 1e-2], batch_size=[64])
    grid = GridSearchCV(estimator=model, param_grid=param_grid, n_jobs=n_jobs, cv=2 if quick else 3)
    grid_result = grid.fit(X, Y)
    print(f"Best: {grid_result.best_score_:f} using {grid_result.best_params_}")

    # The same builder in kerashp's own search: learning_rate on a log scale.
    space = {"learning_rate": khp.Float(1e-4, 1e-1, log=True), "batch_size": [16, 32, 64], "epochs": 2 if quick else 20}
    result = khp.tune(
        create_model,
        space,
        data=(X, Y),
        algorithm="random",
        max_trials=2 if quick else 10,
        objective="val_accuracy",
        seed=0,
        verbose=0 if quick else 1,
        run=khp.RunFolder(directory=directory, name="classic-learning-rate", if_exists="overwrite"),
    )
    print(f"kerashp.tune best: {result.best_score:.3f} using {result.best_params}")
    return grid, result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny search, for a smoke run")
    parser.add_argument("--n-jobs", type=int, default=2, help="parallel fits (default 2)")
    args = parser.parse_args()
    main(quick=args.quick, n_jobs=args.n_jobs)
