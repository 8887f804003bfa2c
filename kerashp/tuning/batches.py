"""One shape for each compiled step.

A backend that compiles a model's steps (XLA under `jit_compile=True`, every
model under JAX) compiles them again for each new input shape. Keras's
`fit` on `n` samples in batches of `b` feeds two shapes when `b` does not
divide `n` (the last batch is short), and so does its validation: four
compiles for a new model where two would do. On this project's CPU under
XLA the first epoch of a new digits MLP took 2.2 s, and 1.4 s with one
shape for each step (`benchmarks/RESULTS.md`); on a GPU a compile is most of
a short trial.

- **Validation** runs in batches of a size that divides the validation set
  (`validation_batch_size`): the largest divisor of its size from `b / 2`
  to `2 b`, so memory stays near the training batch's. Every Keras metric
  accumulates over samples, so the scores do not change. It applies to
  every model (fewer, larger validation steps); with no such divisor Keras
  keeps its batches of `b`.
- **Training**, for a model that compiles, is a stream of full batches
  (`full_batches`): the samples shuffled anew each pass, the passes joined
  and cut into batches of `b`, `ceil(n / b)` of them an epoch (the same
  batches from every iterator of the stream). Every sample
  is seen once a pass as before; an epoch's last batch is completed from
  the next pass instead of being short, so an epoch trains at most `b - 1`
  samples more. A model that does not compile (TensorFlow's traced steps
  take any batch size) trains on Keras's own epochs.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np

__all__ = ["batched", "compiles_per_shape", "fit_inputs", "full_batches", "validation_batch_size"]


def compiles_per_shape(model: Any) -> bool:
    """Whether `model`'s steps are compiled for each input shape (XLA, JAX)."""
    return bool(getattr(model, "jit_compile", False)) and not getattr(model, "run_eagerly", False)


def validation_batch_size(samples: int, batch_size: int) -> int | None:
    """The largest divisor of `samples` from `batch_size / 2` to `2 * batch_size`
    (all of them when fewer than that), or `None` when there is none.

    Example:
        >>> validation_batch_size(360, 32), validation_batch_size(100, 128), validation_batch_size(359, 32)
        (60, 100, None)
    """
    if samples <= 2 * batch_size:
        return samples
    for size in range(2 * batch_size, max(1, math.ceil(batch_size / 2)) - 1, -1):
        if samples % size == 0:
            return size
    return None


def full_batches(arrays: tuple, batch_size: int) -> tuple[Any, int] | None:
    """`(stream, steps per epoch)`: `arrays` (`(x, y)` or `(x, y, sample_weight)`,
    each an array or a structure of arrays with the samples first) as an
    endless stream of full batches, each pass a new permutation; `None` when
    there are fewer samples than a batch.

    Every iterator of the stream yields the same batches: the permutations
    come from one seed drawn from NumPy's random state (which a trial seeds)
    as the stream is made, not from the iterator. So a fit that peeks at the
    stream before training (Keras's JAX trainer does, for a model it has not
    fitted before) or a compile step run on it first (`kerashp.tuning.ahead`)
    leaves the fit's batches as they were.

    Under TensorFlow the stream is a `tf.data.Dataset`; under the other
    backends it is NumPy batches (`_Stream`), which needs no TensorFlow and,
    under JAX, ran an epoch in about half the time of a `tf.data` stream
    (measured on this project's CPU, `docs/speed.md`).
    """
    samples = _samples(arrays)
    if samples < batch_size:
        return None
    seed, steps = int(np.random.randint(2**31 - 1)), math.ceil(samples / batch_size)
    if keras.backend.backend() != "tensorflow":
        return _Stream(arrays, batch_size, seed), steps
    import tensorflow as tf

    tensors = tf.nest.map_structure(tf.convert_to_tensor, arrays)

    def permutation(number: Any) -> Any:
        order = tf.random.experimental.stateless_shuffle(
            tf.range(samples, dtype=tf.int64), seed=tf.stack([tf.constant(seed, tf.int64), number]))
        return tf.data.Dataset.from_tensor_slices(order)

    batches = tf.data.Dataset.counter().flat_map(permutation).batch(batch_size, drop_remainder=True).map(
        lambda index: tf.nest.map_structure(lambda tensor: tf.gather(tensor, index), tensors))
    return batches.prefetch(tf.data.AUTOTUNE), steps


class _Stream(keras.utils.PyDataset):
    """`full_batches`'s stream as NumPy batches: batch `i` is samples `i * b`
    to `(i + 1) * b` of the passes joined, pass `p` the permutation that
    `seed` and `p` give."""

    def __init__(self, arrays: tuple, batch_size: int, seed: int):
        super().__init__()
        self.arrays = keras.tree.map_structure(np.asarray, arrays)  # once, not per batch
        self.batch_size, self.seed = batch_size, seed
        self.samples = _samples(arrays)
        self._order: tuple[int, Any] = (-1, None)  # the pass last drawn, and its permutation

    @property
    def num_batches(self) -> None:  # endless: the fit's steps_per_epoch cuts its epochs
        return None

    def _pass(self, number: int) -> Any:
        if self._order[0] != number:
            self._order = (number, np.random.default_rng([self.seed, number]).permutation(self.samples))
        return self._order[1]

    def __getitem__(self, index: int) -> tuple:
        start = index * self.batch_size
        first, offset = divmod(start, self.samples)
        rows = self._pass(first)[offset:offset + self.batch_size]
        if len(rows) < self.batch_size:  # the batch runs into the next pass
            rows = np.concatenate([rows, self._pass(first + 1)[:self.batch_size - len(rows)]])
        return keras.tree.map_structure(lambda array: array[rows], self.arrays)


def fit_inputs(model: Any, train: Any, val: Any, batch_size: int, sample_weight: Any = None, *,
               hook: bool = False, batch_searched: bool = True) -> tuple[tuple, dict, Any]:
    """`(args, kwargs, validation_data)` for fitting `model` on `train` and
    `val` (arrays `(x, y)`, or datasets; `val` may be `None`) in batches of
    `batch_size`: the one rule of a trial's fit and of a refit.

    - datasets are batched unless they are already;
    - arrays that kerashp fits get one shape a step where `model` compiles
      per shape (see the module docstring), the sample weights with them;
    - arrays for a fit hook (`hook`: a keras-tuner HyperModel's `fit`) go as
      they are, with `batch_size` only when it is searched
      (`batch_searched`): else the hook sizes its batches.
    """
    if not isinstance(train, tuple):
        return (batched(train, batch_size),), {"shuffle": False}, None if val is None else batched(val, batch_size)
    kwargs: dict[str, Any] = {} if sample_weight is None else {"sample_weight": sample_weight}
    if hook:
        return train, {**kwargs, **({"batch_size": batch_size} if batch_searched else {})}, val
    if val is not None:
        kwargs["validation_batch_size"] = validation_batch_size(_samples(val), batch_size) or batch_size
    stream = full_batches(train if sample_weight is None else (*train, sample_weight), batch_size) \
        if compiles_per_shape(model) else None
    if stream is None:
        return train, {**kwargs, "batch_size": batch_size}, val
    kwargs.pop("sample_weight", None)  # the stream carries them, and shuffles
    return (stream[0],), {**kwargs, "steps_per_epoch": stream[1], "shuffle": False}, val


def batched(dataset: Any, batch_size: int) -> Any:
    """`dataset` in batches of `batch_size`, unless it is batched already."""
    from kerashp.datasets import is_batched

    if is_batched(dataset):
        return dataset
    import tensorflow as tf

    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _samples(arrays: tuple) -> int:
    return len(keras.tree.flatten(arrays)[0])
