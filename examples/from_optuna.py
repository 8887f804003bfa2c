# ruff: noqa: UP032 - Optuna's example keeps its str.format calls, as written there
"""Optuna's Keras example (optuna-examples, keras/keras_simple.py), ported to kerashp.

`create_model(trial)` is Optuna's, as written there: kerashp reads its
`trial.suggest_int` / `suggest_float` calls as the search space (the
`n_units_l1`, `dropout_l1`, ... its loop declares for more layers
included) and calls it with each trial's values. What Optuna's `objective`
did by hand (load the data, `clear_session`, `fit`, `evaluate`, return the
score) and `study.optimize(objective, n_trials=100, timeout=600)` become
one `kerashp.tune` call with `max_trials` and `time_budget`. The data is
scikit-learn's digits (offline) in place of MNIST.

    python examples/from_optuna.py            # about a minute on 2 cores
    python examples/from_optuna.py --quick    # a few seconds: a smoke run
"""

from __future__ import annotations

import argparse

import keras
from keras.layers import Dense, Dropout
from keras.models import Sequential
from keras.optimizers import RMSprop
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import kerashp

BATCHSIZE = 128
CLASSES = 10
EPOCHS = 10


def create_model(trial):
    # We optimize the number of layers, hidden units and dropout in each layer and
    # the learning rate of RMSProp optimizer.

    # We define our MLP.
    model = Sequential()
    n_layers = trial.suggest_int("n_layers", 1, 3)
    for i in range(n_layers):
        num_hidden = trial.suggest_int("n_units_l{}".format(i), 4, 128, log=True)
        model.add(Dense(num_hidden, activation="relu"))
        dropout = trial.suggest_float("dropout_l{}".format(i), 0.2, 0.5)
        model.add(Dropout(rate=dropout))
    model.add(Dense(CLASSES, activation="softmax"))

    # We compile our model with a sampled learning rate.
    learning_rate = trial.suggest_float("learning_rate", 1e-5, 1e-1, log=True)
    model.compile(
        loss="categorical_crossentropy",
        optimizer=RMSprop(learning_rate=learning_rate),
        metrics=["accuracy"],
    )

    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 trials of 1 epoch each")
    args = parser.parse_args()

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    y = keras.utils.to_categorical(y, CLASSES)
    x_train, x_valid, y_train, y_valid = train_test_split(x, y, test_size=0.25, random_state=0)

    # study = optuna.create_study(direction="maximize")
    # study.optimize(objective, n_trials=100, timeout=600)
    result = kerashp.tune(
        create_model,
        data=(x_train, y_train, x_valid, y_valid),
        objective="val_accuracy",
        algorithm="tpe",
        max_trials=2 if args.quick else 100,
        time_budget="10s" if args.quick else "60s",
        max_epochs=1 if args.quick else EPOCHS,
        batch_size=BATCHSIZE,
        seed=0,
        verbose=0,
        run=kerashp.RunFolder(directory="kerashp_runs", name="from-optuna", if_exists="overwrite"),
    )

    print("Number of finished trials: {}".format(len(result.records)))
    print("Best trial:")
    print("  Value: {}".format(result.best_score))
    print("  Params: ")
    for key, value in result.best_params.items():
        print("    {}: {}".format(key, value))


if __name__ == "__main__":
    main()
