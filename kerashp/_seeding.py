"""Seeds: the one way a run's seed turns into the seeds of its parts.

- `trial_seed(seed, number)`: a trial's weights, dropout and shuffling.
- `split_seed(seed)`: hold-out splits and cross-validation folds (0 when the
  run has no seed, so the split is the same from run to run).
- `keras_tuner_seed(seed)`: what a keras-tuner oracle is given.
- `seeded(seed)`: seeds Python, NumPy and TensorFlow for a block, then
  restores them; `seeds_kept()` only restores.
- `as_seed(random_state)`: an integer from a scikit-learn `random_state`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from kerashp.exceptions import ArgumentError

__all__ = ["as_seed", "keras_tuner_seed", "seeded", "seeds_kept", "split_seed", "trial_seed"]


def trial_seed(seed: int | None, number: int) -> int | None:
    """The seed of trial `number` of a run seeded with `seed` (`None` stays `None`).

    Distinct trials get unrelated seeds, and (seed, number) pairs do not
    collide the way `seed + number` would.

    Example:
        >>> trial_seed(0, 1) != trial_seed(1, 0)
        True
    """
    if seed is None:
        return None
    return int(np.random.SeedSequence([int(seed), int(number)]).generate_state(1)[0] % (2**31 - 1))


def split_seed(seed: int | None) -> int:
    """The seed of the data split and the folds: `seed`, or 0 when unseeded."""
    return 0 if seed is None else int(seed)


def keras_tuner_seed(seed: int | None) -> int | None:
    """The seed handed to a keras-tuner oracle.

    keras-tuner 1.4 reads `seed=0` as "no seed" (`seed or random.randint(...)`),
    so the seed is shifted by one.
    """
    return None if seed is None else int(seed) + 1


def as_seed(random_state: Any) -> int | None:
    """An integer seed from `None`, an int or a `numpy.random.RandomState`
    (the same state gives the same integer, as scikeras does)."""
    if random_state is None:
        return None
    if isinstance(random_state, np.random.RandomState):
        copy = np.random.RandomState()
        copy.set_state(random_state.get_state())
        return int(copy.randint(2**31 - 1))
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state)
    raise ArgumentError(
        "Argument `random_state` must be None, an int or a numpy RandomState. "
        f"Received: random_state={random_state!r}"
    )


@contextlib.contextmanager
def seeds_kept(*, tensorflow: bool = True) -> Iterator[None]:
    """Restores Python's, NumPy's and TensorFlow's global random state after the block.

    `tensorflow=False` leaves TensorFlow's global seed as the block set it:
    resetting it empties TensorFlow's eager kernel cache (see `seeded`), and
    it seeds only random ops created later without a seed of their own,
    which a Keras fit under way does not create (its data is made, its
    dropout draws on its layers' seed state): what building the next
    trial's model during a fit needs (`kerashp.tuning.ahead`).
    """
    import random

    try:
        import tensorflow as tf
        from tensorflow.python.eager import context

        tf_seed = context.global_seed()
    except ImportError:  # a JAX or torch backend without TensorFlow
        tf = None
    if not tensorflow:
        tf = None
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        if tf is not None:
            tf.random.set_seed(tf_seed)


@contextlib.contextmanager
def seeded(seed: int | None, *, restore: bool = True) -> Iterator[None]:
    """Seeds Python, NumPy and TensorFlow (weight init, dropout, shuffling) for
    the block, then restores their previous state (`restore=False`: the
    caller does, as a search does once for all its trials); `None` changes
    nothing.

    Restoring costs: TensorFlow's `set_seed` empties its eager kernel cache,
    which the next model pays to fill (about 0.1 s for a small MLP on a CPU).

    Unlike scikeras's `tensorflow_random_state`, this leaves TensorFlow's op
    determinism alone: that helper sets `TF_DETERMINISTIC_OPS`, which
    TensorFlow caches, so every later unseeded random op in the process fails
    with "Random ops require a seed".
    """
    if seed is None:
        yield
        return
    import keras

    with seeds_kept() if restore else contextlib.nullcontext():
        keras.utils.set_random_seed(seed)
        yield
