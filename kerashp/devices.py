"""Choosing a `tf.distribute` strategy: TPU, several GPUs, or the default.

Under another Keras backend (`KERAS_BACKEND=jax` or `torch`) there is no
`tf.distribute`: models are built as they are, and the backend places them on
its first accelerator.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from kerashp.exceptions import ArgumentError

__all__ = ["get_strategy"]


def get_strategy(strategy: Any = "auto") -> Any:
    """The distribution strategy trials build their models under.

    Args:
        strategy: A `tf.distribute.Strategy`, or `"auto"`: a TPU when one is
            attached (Colab/Cloud TPU), `MirroredStrategy` over several GPUs,
            else TensorFlow's default strategy. Defaults to `"auto"`.

    Example:
        >>> get_strategy()  # doctest: +SKIP
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        if strategy != "auto":
            raise ArgumentError(
                f"Argument `strategy` needs the TensorFlow backend; Keras runs on {keras.backend.backend()!r}. "
                f"Received: strategy={strategy!r}. Leave strategy='auto', or set KERAS_BACKEND=tensorflow."
            )
        return _BackendPlacement()
    import tensorflow as tf

    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    if strategy != "auto":
        raise ValueError(
            f"Argument `strategy` must be 'auto' or a tf.distribute.Strategy. Received: strategy={strategy!r}."
        )
    if os.environ.get("COLAB_TPU_ADDR") or os.environ.get("TPU_NAME"):
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


class _BackendPlacement:
    """The strategy of a backend other than TensorFlow's: builds models as they are."""

    def scope(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()
