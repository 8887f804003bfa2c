"""Lets a finished trial's traced train step go with its model.

Under TensorFlow, tracing a Keras train step registers custom gradients
(`tf.custom_gradient` in graph mode; Keras's optimizer reaches one through
`ReplicaContext.all_reduce`) under unique names in TensorFlow's global
gradient registry, and never removes them (TensorFlow issue 97697). Each
entry's closure holds tensors of the step's `FuncGraph`, so every model a
process ever trained keeps its traced graphs alive after the model itself is
collected: 5.5-7.5 MB and about 9,000 Python objects per one-epoch trial of a
small MLP on a CPU, which a plain Keras loop and Optuna's loop keep too, and
which makes each full collection of Python's garbage collector slower as a
search goes on (`benchmarks/memory.py`, `docs/reliability.md`).

`released_with(model)` notes the entries registered while its block runs
(the model's fit, which traces its steps) and removes them when `model` is
garbage collected. A search's trials and kerashp's scikit-learn estimators
(which scikit-learn's search classes clone and fit many times) fit in it.
A registry entry is read only while the graph that registered it is
traced, or differentiated from outside it; a model that is gone is not
trained again, so nothing reads them.
A kept model (`CompiledModels`, a promotion's parent) keeps its entries as
long as it is kept. Other backends, or a TensorFlow without that registry,
are left as they are.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator
from typing import Any

__all__ = ["released_with"]

PREFIX = "CustomGradient-"  # the names `tf.custom_gradient` registers in graph mode


def _registry() -> dict | None:
    """TensorFlow's gradient registry (name -> entry), or `None` where there is none."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return None
    try:
        from tensorflow.python.framework import ops

        registry = ops._gradient_registry._registry
    except (ImportError, AttributeError):
        return None
    return registry if isinstance(registry, dict) else None


def _forget(registry: dict, names: list[str]) -> None:
    for name in names:
        registry.pop(name, None)


@contextlib.contextmanager
def released_with(model: Any) -> Iterator[None]:
    """Custom gradients registered in the block are removed from TensorFlow's
    registry once `model` is garbage collected (see the module docstring)."""
    registry = _registry()
    if registry is None:
        yield
        return
    before = set(registry)
    try:
        yield
    finally:
        # a copy of the names: another thread (the next trial's compile, `ahead`) may be tracing
        added = [name for name in list(registry) if name.startswith(PREFIX) and name not in before]
        if added:
            try:
                weakref.finalize(model, _forget, registry, added)
            except TypeError:  # an object without weak references: its entries stay, as without kerashp
                pass
