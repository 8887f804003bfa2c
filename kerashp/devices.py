"""Choosing a `tf.distribute` strategy: TPU, several GPUs, or the default.

Under another Keras backend (`KERAS_BACKEND=jax` or `torch`) there is no
`tf.distribute`: models are built as they are, and the backend places them on
its first accelerator.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from kerashp.exceptions import ArgumentError

__all__ = ["PRECISIONS", "dtype_policy", "get_strategy", "resolve_precision"]

#: Keras's dtype policies `Execution(precision=...)` may name, besides `"auto"`.
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


def gpu_count() -> int:
    """The GPUs this process may use, counted without starting TensorFlow:
    those `CUDA_VISIBLE_DEVICES` names when it is set, else the NVIDIA devices
    in `/dev` (`get_strategy` goes by it; Ray counts a cluster's GPUs for
    `Execution(workers=...)`)."""
    if "CUDA_VISIBLE_DEVICES" in os.environ:
        return len([d for d in os.environ["CUDA_VISIBLE_DEVICES"].split(",") if d.strip()])
    return len(list(Path("/dev").glob("nvidia[0-9]*")))


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
        raise ArgumentError(
            f"Argument `strategy` must be 'auto' or a tf.distribute.Strategy. Received: strategy={strategy!r}."
        )
    if os.environ.get("COLAB_TPU_ADDR") or os.environ.get("TPU_NAME"):
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    if gpu_count() > 1 and len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


class _BackendPlacement:
    """The strategy of a backend other than TensorFlow's: builds models as they are."""

    def scope(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()


def resolve_precision(precision: str | None, strategy: Any) -> str:
    """The Keras dtype policy trials build under.

    `"auto"`: `mixed_bfloat16` on a TPU and on GPUs of compute capability 8.0
    or more (Ampere and later: bfloat16 needs no loss scaling),
    `mixed_float16` on 7.x GPUs (Volta, Turing: float16 tensor cores; Keras
    scales the loss), `float32` on older GPUs, on CPUs and under other Keras
    backends. Layers compute in the policy's type and keep float32
    variables; the built-in builders' outputs stay float32.

    Example:
        >>> resolve_precision("auto", get_strategy())  # on a CPU
        'float32'
    """
    if precision is None:
        return "float32"
    if precision in PRECISIONS:
        return precision
    if precision != "auto":
        raise ArgumentError(
            f"Argument `precision` must be 'auto' or one of {list(PRECISIONS)}. Received: "
            f"precision={precision!r}. Pass 'auto' to let kerashp pick by device, or 'float32' for none."
        )
    import keras

    if keras.backend.backend() != "tensorflow":
        return "float32"
    import tensorflow as tf

    if isinstance(strategy, tf.distribute.TPUStrategy):
        return "mixed_bfloat16"
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "float32"
    capability = tf.config.experimental.get_device_details(gpus[0]).get("compute_capability") or (0, 0)
    return "mixed_bfloat16" if capability >= (8, 0) else "mixed_float16" if capability >= (7, 0) else "float32"


@contextlib.contextmanager
def dtype_policy(name: str | None):
    """Keras's global dtype policy set to `name` inside the block, as it was after."""
    if name is None:
        yield
        return
    import keras

    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)
