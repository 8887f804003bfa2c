"""Default search spaces for the built-in builders, sized to the data.

`default_space(builder, data)` returns a plain space dict (kerashp entries,
lists and fixed values) for `kerashp.builders.mlp` or `kerashp.builders.cnn`.
The ranges were chosen from `benchmarks/quality.py` (a tuned MLP against
scikit-learn's tuned baselines on the bundled datasets and synthetic
regression; `benchmarks/RESULTS.md`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from kerashp.exceptions import ArgumentError
from kerashp.space import Float, Int

__all__ = ["default_space"]

#: Gradient steps the longest trial takes at the middle batch size; `epochs`
#: is this over the steps of one epoch, kept within `_EPOCHS`.
_STEPS = 1000
_EPOCHS = (20, 100)


def _batch_sizes(n: int | None) -> list[int]:
    if n is None or n >= 5000:
        return [64, 128, 256]
    if n >= 500:
        return [32, 64, 128]
    return [16, 32, 64]


def _epochs(n: int | None, batch_size: int) -> int:
    if n is None:
        return _EPOCHS[0]
    steps_per_epoch = max(1, math.ceil(n / batch_size))
    return int(min(max(round(_STEPS / steps_per_epoch), _EPOCHS[0]), _EPOCHS[1]))


def _as_spec(data: Any) -> Any:
    from kerashp.datasets import DataSpec, infer_spec

    if isinstance(data, DataSpec):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return infer_spec(*data)
    raise ArgumentError(
        "Argument `data` of default_space must be a kerashp.datasets.DataSpec or (x, y) arrays. "
        f"Received: data of type {type(data).__name__}. Pass kerashp.datasets.infer_spec(x, y), "
        "or the training arrays as (x, y)."
    )


def default_space(builder: Callable, data: Any) -> dict[str, Any]:
    """A search space for a built-in builder, with ranges suited to `data`.

    Every space has `learning_rate` in [1e-4, 1e-2] (log, Adam), `dropout`
    in [0, 0.5], `l2` in [1e-6, 1e-2] (log; 1e-6 is next to no
    regularization), a `batch_size` choice by the number of training
    samples `n` ([16, 32, 64] under 500, [32, 64, 128] under 5000, else
    [64, 128, 256]; the last when `n` is unknown, as for `tf.data`) and a
    fixed `epochs`: about 1000 gradient steps at the middle batch size,
    within [20, 100] (20 when `n` is unknown) — the most a trial trains; BOHB
    and Hyperband stop most trials far sooner (BOHB's first rung is sized to
    the search: 20 trials of 100 epochs are first compared at 11 epochs), and
    a search keeps each trial's best epoch, so a long budget on small data is
    not overfitting.

    - `kerashp.builders.mlp`: `layers` 0-3 (0 is a linear model, chosen on
      linear data), `units` 16-512 (log).
    - `kerashp.builders.cnn`: `conv_layers` 1-3, `filters` {16, 32, 64},
      `kernel_size` {3, 5}, `units` 32-256 (log); no `l2` (the builder has none).

    Args:
        builder: `kerashp.builders.mlp` or `kerashp.builders.cnn`.
        data: The training data's `kerashp.datasets.DataSpec` (its
            `num_samples` sizes the batches and epochs), or `(x, y)` arrays
            to infer it from.

    Returns:
        A plain dict for `kerashp.tune(builder, space, ...)`; edit it freely.

    Raises:
        ArgumentError: `builder` is not a built-in builder, or `data` is neither
            a `DataSpec` nor `(x, y)`.

    Example:
        >>> space = default_space(kerashp.builders.mlp, (x_train, y_train))
        >>> kerashp.tune(kerashp.builders.mlp, space, data=(x_train, y_train))
    """
    from kerashp.builders.cnn import cnn
    from kerashp.builders.mlp import mlp

    if builder is not mlp and builder is not cnn:
        name = getattr(builder, "__qualname__", None) or type(builder).__name__
        raise ArgumentError(
            f"default_space knows the built-in builders kerashp.builders.mlp and kerashp.builders.cnn only. "
            f"Received: builder={name}. Pass your own space for it, e.g. "
            "{'units': kerashp.Int(16, 512, log=True), 'learning_rate': kerashp.Float(1e-4, 1e-2, log=True)}."
        )
    spec = _as_spec(data)
    batch_sizes = _batch_sizes(spec.num_samples)
    common = {
        "dropout": Float(0.0, 0.5),
        "learning_rate": Float(1e-4, 1e-2, log=True),
        "batch_size": batch_sizes,
        "epochs": _epochs(spec.num_samples, batch_sizes[1]),
    }
    if builder is cnn:
        return {
            "conv_layers": Int(1, 3),
            "filters": [16, 32, 64],
            "kernel_size": [3, 5],
            "units": Int(32, 256, log=True),
            **common,
        }
    return {"layers": Int(0, 3), "units": Int(16, 512, log=True), "l2": Float(1e-6, 1e-2, log=True), **common}
