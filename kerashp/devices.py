"""Choosing a `tf.distribute` strategy: TPU, several GPUs, or the default."""

from __future__ import annotations

import os
from typing import Any

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
