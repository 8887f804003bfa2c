"""A small convolutional network builder for images."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import keras

from kerashp.builders.compile import compile_model, resolve_spec
from kerashp.builders.mlp import head, inputs
from kerashp.datasets import DataSpec
from kerashp.exceptions import DataError

__all__ = ["cnn"]


def _image_shape(shape: tuple[int, ...]) -> tuple[int, int, int]:
    if len(shape) == 3:
        return shape
    if len(shape) == 2:
        return (*shape, 1)
    side = math.isqrt(shape[0])
    if len(shape) == 1 and side * side == shape[0]:
        return (side, side, 1)  # flat square images, e.g. digits' 64 pixels
    raise DataError(
        f"cnn() needs images: inputs of shape (h, w), (h, w, c) or a flat square. "
        f"Received: input_shape={shape}. Use kerashp.builders.mlp for tabular data."
    )


def cnn(hp: Mapping[str, Any], *, spec: DataSpec | None = None) -> keras.Model:
    """A compiled convolutional network: conv blocks, global pooling, a dense layer.

    Args:
        hp: Hyperparameters; every key is optional: `conv_layers` (2),
            `filters` (32, doubled each block), `kernel_size` (3),
            `activation` ("relu"), `units` (64), `dropout` (0.0), plus the
            compile keys `optimizer`, `learning_rate`, `momentum`, `nesterov`, `loss`.
        spec: The data's `DataSpec`. Defaults to `None`: the one of the running search.

    Returns:
        A compiled `keras.Model`.

    Example:
        >>> model = cnn({"conv_layers": 2, "filters": 16}, spec=spec)
    """
    spec = resolve_spec(spec, "cnn")
    shape = _image_shape(spec.input_shape)
    x_in, x = inputs(spec)
    if x.shape[1:] != shape:
        x = keras.layers.Reshape(shape)(x)
    activation = hp.get("activation", "relu")
    filters = int(hp.get("filters", 32))
    kernel = int(hp.get("kernel_size", 3))
    for block in range(int(hp.get("conv_layers", 2))):
        x = keras.layers.Conv2D(filters * 2**block, kernel, padding="same", activation=activation)(x)
        if min(x.shape[1], x.shape[2]) >= 4:
            x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(int(hp.get("units", 64)), activation=activation)(x)
    if float(hp.get("dropout", 0.0)) > 0:
        x = keras.layers.Dropout(float(hp["dropout"]))(x)
    return compile_model(keras.Model(x_in, head(x, spec)), hp, spec, standardized_loss=True)


#: The keys `cnn` reads (besides the reserved ones); others are refused before training.
cnn.hyperparameters = frozenset({"conv_layers", "filters", "kernel_size", "activation", "units", "dropout"})
