"""kerashp callbacks in code that already trains a Keras model -- no tuner involved.

Run it as a user would:

    python examples/callbacks_in_existing_loop.py

It trains a small classifier three ways:

1. `LRFinder` picks a peak learning rate for the model you are about to train
   (and leaves its weights as they were);
2. a plain `model.fit` with `WarmupCosine` + `ReduceLROnPlateau` (they compose:
   the plateau scales the schedule) + `EarlyStopping` + `TimeBudget`;
3. a hand-written training loop that calls the same callbacks' hooks itself.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from kerashp.callbacks import (  # noqa: E402
    EarlyStopping,
    LRFinder,
    OneCycle,
    ReduceLROnPlateau,
    TimeBudget,
    WarmupCosine,
)


def make_data(n=1024, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype("float32")
    y = (x[:, :4].sum(axis=1) > x[:, 4:].sum(axis=1)).astype("int32")
    return x, y


def make_model():
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(2)]
    )
    model.compile(
        keras.optimizers.Adam(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def main():
    keras.utils.set_random_seed(0)
    x, y = make_data()

    # 1. The learning-rate range test, on the model we are about to train.
    model = make_model()
    finder = LRFinder(min_lr=1e-5, max_lr=1.0, num_steps=60)
    model.fit(x, y, batch_size=32, epochs=10, verbose=0, callbacks=[finder])
    peak = finder.suggestion()
    print(f"LRFinder: swept {len(finder.lrs)} rates, suggests {peak:.3g}")

    # 2. A plain fit with a schedule, plateau reduction, early stopping and a time budget.
    stop = EarlyStopping(patience=4)  # restores the best weights by default
    budget = TimeBudget(120)
    history = model.fit(
        x,
        y,
        batch_size=32,
        epochs=20,
        validation_split=0.2,
        verbose=0,
        callbacks=[
            WarmupCosine(peak, warmup_epochs=1, min_lr=peak / 100),
            ReduceLROnPlateau(factor=0.5, patience=2),
            stop,
            budget,
        ],
    )
    rates = ", ".join(f"{lr:.2g}" for lr in history.history["learning_rate"])
    print(f"fit: {len(history.history['loss'])} epochs, learning rate per epoch: {rates}")
    print(
        f"     best epoch {stop.best_epoch}, stopped at {stop.stopped_epoch or 'the end'}, "
        f"timed out: {budget.timed_out}, val_accuracy {max(history.history['val_accuracy']):.3f}"
    )

    # 3. A custom training loop calling the hooks itself: OneCycle over 3 epochs.
    model = make_model()
    batch_size, epochs = 32, 3
    steps = len(x) // batch_size
    callbacks = keras.callbacks.CallbackList(
        [OneCycle(max_lr=peak)],
        add_history=True,
        model=model,
        epochs=epochs,
        steps=steps,
        verbose=0,
    )
    callbacks.on_train_begin()
    for epoch in range(epochs):
        callbacks.on_epoch_begin(epoch)
        for batch in range(steps):
            callbacks.on_train_batch_begin(batch)
            sl = slice(batch * batch_size, (batch + 1) * batch_size)
            loss, accuracy = model.train_on_batch(x[sl], y[sl])
            callbacks.on_train_batch_end(batch, {"loss": loss, "accuracy": accuracy})
        callbacks.on_epoch_end(epoch, {"loss": loss, "accuracy": accuracy})
    callbacks.on_train_end()
    # OneCycle wrote the rate and momentum (Adam's beta_1) into the logs History keeps.
    logged = model.history.history
    for epoch in range(epochs):
        print(
            f"custom loop epoch {epoch}: loss {logged['loss'][epoch]:.3f}, learning rate "
            f"{logged['learning_rate'][epoch]:.3g}, momentum {logged['momentum'][epoch]:.3f}"
        )


if __name__ == "__main__":
    main()
