"""keras.io's "Getting started with KerasTuner", ported to kerashp.

The builder and the HyperModel are the guide's, as written there; only the
data (scikit-learn's digits, offline, in place of MNIST) and the search
calls differ. keras-tuner's

    tuner = keras_tuner.RandomSearch(hypermodel=build_model, objective="val_accuracy", max_trials=3,
                                     executions_per_trial=2, overwrite=True, directory="my_dir",
                                     project_name="helloworld")
    tuner.search(x_train, y_train, epochs=2, validation_data=(x_val, y_val))
    best_model = tuner.get_best_models()[0]

becomes one call, `kerashp.tune(build_model, data=...)`: kerashp reads the
space from the builder's `hp.Int`/`hp.Choice`/`hp.Boolean`/`hp.Float` calls
(the `units_1` and `units_2` its loop declares for 2 and 3 layers
included) and searches it with any of its algorithms.

    python examples/from_keras_tuner.py            # about a minute on 2 cores
    python examples/from_keras_tuner.py --quick    # a few seconds: a smoke run
"""

from __future__ import annotations

import argparse

import keras
import keras_tuner
from keras import layers
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import kerashp


def build_model(hp):
    model = keras.Sequential()
    model.add(layers.Flatten())
    # Tune the number of layers.
    for i in range(hp.Int("num_layers", 1, 3)):
        model.add(
            layers.Dense(
                # Tune number of units separately.
                units=hp.Int(f"units_{i}", min_value=32, max_value=512, step=32),
                activation=hp.Choice("activation", ["relu", "tanh"]),
            )
        )
    if hp.Boolean("dropout"):
        model.add(layers.Dropout(rate=0.25))
    model.add(layers.Dense(10, activation="softmax"))
    learning_rate = hp.Float("lr", min_value=1e-4, max_value=1e-2, sampling="log")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


class MyHyperModel(keras_tuner.HyperModel):
    """The guide's "tune model training": `fit` declares hyperparameters too."""

    def build(self, hp):
        return build_model(hp)

    def fit(self, hp, model, x, y, **kwargs):
        if hp.Boolean("normalize"):
            x = layers.Normalization()(x)
        return model.fit(
            x,
            y,
            # Tune whether to shuffle the data in each epoch.
            shuffle=hp.Boolean("shuffle"),
            **kwargs,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 trials of 1 epoch each")
    args = parser.parse_args()

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    y = keras.utils.to_categorical(y, 10)  # the guide's categorical_crossentropy wants one-hot labels
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0)
    trials, epochs = (2, 1) if args.quick else (10, 5)

    result = kerashp.tune(
        build_model,
        data=kerashp.Data((x_train, y_train), test=(x_test, y_test)),
        algorithm="random",
        objective="val_accuracy",
        max_trials=trials,
        max_epochs=epochs,
        seed=0,
        verbose=0,
        run=kerashp.RunFolder(directory="kerashp_runs", name="from-keras-tuner", if_exists="overwrite"),
    )
    print(result.summary())
    print("best hyperparameters:", result.best_params)
    print(f"test accuracy of the best model: {result.settings['test']['accuracy']:.4f}")

    tuned_fit = kerashp.tune(
        MyHyperModel(),
        data=(x_train, y_train),
        algorithm="bohb",
        objective="val_accuracy",
        max_trials=trials,
        max_epochs=epochs,
        seed=0,
        verbose=0,
        run=kerashp.RunFolder(directory="kerashp_runs", name="from-keras-tuner-fit", if_exists="overwrite"),
    )
    print("best with the tuned fit:", tuned_fit.best_params)


if __name__ == "__main__":
    main()
