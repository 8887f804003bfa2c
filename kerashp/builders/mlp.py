"""A multi-layer perceptron builder."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras

from kerashp.builders.compile import compile_model, resolve_spec
from kerashp.datasets import DataSpec

__all__ = ["mlp", "head", "inputs"]


def inputs(spec: DataSpec) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """Input layer plus normalization with the training data's statistics."""
    x_in = keras.Input(shape=spec.input_shape)
    x = x_in
    if spec.mean is not None:
        x = keras.layers.Normalization(mean=spec.mean, variance=spec.variance)(x)
    return x_in, x


def head(x: keras.KerasTensor, spec: DataSpec) -> keras.KerasTensor:
    """Output layer of the task: softmax over classes, or linear targets.

    Its weights start at zero (`kernel_initializer="zeros"`): a new model
    predicts equal probabilities for every class, or the training targets'
    mean, the know-nothing baseline, rather than a random function of its
    inputs that training must first undo. The layers below still start
    random, so they learn from the first step on; with no hidden layer
    (`layers=0`) the model is a logistic or linear regression started at
    zero, as scikit-learn's solvers start. On small data this shrinks the
    early epochs' models toward the baseline, which the search's best-epoch
    choice turns into regularization (`benchmarks/RESULTS.md`, model quality).

    For regression with the training targets' statistics in `spec`, the Dense
    layer produces standardized targets and an inverted `Normalization` layer
    maps them back (`y = mean + sqrt(variance) * z`), so the model predicts,
    and its metrics read, in the targets' own units while its weights start
    at the right scale (targets in the hundreds or offset by 1e3 train like
    targets near 0).
    """
    # float32 under a mixed-precision policy too: a softmax or a scale in float16 loses digits
    if spec.task == "classification":
        return keras.layers.Dense(spec.num_classes, activation="softmax", kernel_initializer="zeros",
                                  dtype="float32")(x)
    x = keras.layers.Dense(spec.output_dim, kernel_initializer="zeros", dtype="float32")(x)
    if spec.target_mean is None:
        return x  # a spec without target statistics (written before they existed)
    return keras.layers.Normalization(
        mean=spec.target_mean, variance=spec.target_variance, invert=True, name="target_scale", dtype="float32"
    )(x)


def mlp(hp: Mapping[str, Any], *, spec: DataSpec | None = None) -> keras.Model:
    """A compiled MLP for classification or regression.

    Args:
        hp: Hyperparameters; every key is optional: `layers` (2), `units` (64),
            `activation` ("relu"), `dropout` (0.0), `l2` (0.0), plus the
            compile keys `optimizer` ("adam"), `learning_rate` (the
            optimizer's Keras default: 0.01 for SGD, 1e-3 for the others),
            `momentum`, `nesterov`, `loss`.
        spec: The data's `DataSpec`. Defaults to `None`: the one of the running
            search.

    Returns:
        A compiled `keras.Model`.

    Example:
        >>> spec = kerashp.datasets.infer_spec(x, y)
        >>> model = mlp({"layers": 2, "units": 128, "dropout": 0.2}, spec=spec)
    """
    spec = resolve_spec(spec, "mlp")
    x_in, x = inputs(spec)
    if len(spec.input_shape) > 1:
        x = keras.layers.Flatten()(x)
    l2 = float(hp.get("l2", 0.0))
    regularizer = keras.regularizers.L2(l2) if l2 > 0 else None
    for _ in range(int(hp.get("layers", 2))):
        x = keras.layers.Dense(
            int(hp.get("units", 64)), activation=hp.get("activation", "relu"), kernel_regularizer=regularizer
        )(x)
        if float(hp.get("dropout", 0.0)) > 0:
            x = keras.layers.Dropout(float(hp["dropout"]))(x)
    return compile_model(keras.Model(x_in, head(x, spec)), hp, spec, standardized_loss=True)


#: The keys `mlp` reads (besides the reserved ones); others are refused before training.
mlp.hyperparameters = frozenset({"layers", "units", "activation", "dropout", "l2"})
