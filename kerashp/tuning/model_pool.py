"""Compiled models that later trials of the same graph train again.

A new Keras model pays for its train and test steps before its first epoch
ends: TensorFlow traces them (about 0.4 s for a small MLP on a CPU), XLA and
JAX also compile them (seconds on a GPU). Two trials whose models have the
same architecture, input shapes, dtype policy, loss, metrics and optimizer
class and settings build the same steps, whatever their learning rates:
Keras keeps the learning rate in a variable the step reads.

`CompiledModels` keeps the models of finished trials, keyed by that graph
(`graph_key`). A new trial's freshly built model is looked up: on a hit,
its initial state (every weight, the dropout seed state, the optimizer's
variables with its learning rate) is copied into the kept model, which then
trains with the steps it already has. The trial trains exactly as the fresh
model would have (the same initial weights, the same updates); only the
tracing and compiling are skipped.

What breaks sharing is anything that changes the graph: layer sizes and
counts, activations, a dropout rate or regularization factor (Python
numbers in the layers), the optimizer's class or any setting but the
learning rate, a learning-rate schedule, the loss and metrics. Learning
rate, batch size, epochs and callbacks do not (under XLA or JAX a new batch
size compiles its shapes once per kept model: the trace is saved, the compile
is not). A model whose config cannot be
read (a subclassed model without `get_config`), or that is not built yet,
is never kept. Nothing is written to disk.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

__all__ = ["CompiledModels", "graph_key", "model_bytes"]


def model_bytes(model: Any) -> int:
    """Bytes of `model`'s variables and its optimizer's."""
    variables = [*model.weights, *getattr(getattr(model, "optimizer", None), "variables", [])]
    return sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in variables)


def graph_key(model: Any) -> str | None:
    """A string equal for two models that build the same train and test steps,
    or `None` when `model` cannot be compared (not built, not compiled, or
    its config cannot be read). Layer and optimizer names are replaced by
    their places in the model (`#name0` is the model's own): the names Keras
    generates (`dense_12`, `adam_3`) count up from one model to the next."""
    if not getattr(model, "built", False) or getattr(model, "optimizer", None) is None:
        return None
    try:
        parts = {
            "model": model.get_config(),
            "compile": model.get_compile_config(),
            "variables": [list(v.shape) + [str(v.dtype)] for v in model.variables],
            "class": f"{type(model).__module__}.{type(model).__qualname__}",
            "steps": [getattr(model, "jit_compile", None), getattr(model, "steps_per_execution", None),
                      getattr(model, "run_eagerly", None)],
        }
        if _learning_rate_variable(model.optimizer):
            parts["compile"] = _without_learning_rate(parts["compile"])
        text = json.dumps(parts, sort_keys=True, default=repr)
        layers = model._flatten_layers(include_self=True) if hasattr(model, "_flatten_layers") else [model]
        optimizers = [model.optimizer, getattr(model.optimizer, "inner_optimizer", None)]
        named = [*layers, *(o for o in optimizers if o is not None)]
        for index, name in enumerate(dict.fromkeys(str(getattr(n, "name", "")) for n in named)):
            text = text.replace(json.dumps(name), f'"#name{index}"')
        return text
    except Exception:  # noqa: BLE001 - a model we cannot describe is simply not shared
        return None


def _learning_rate_variable(optimizer: Any) -> bool:
    inner = getattr(optimizer, "inner_optimizer", optimizer)  # LossScaleOptimizer
    return hasattr(getattr(inner, "_learning_rate", None), "assign")


def _without_learning_rate(config: Any) -> Any:
    if isinstance(config, dict):
        return {k: _without_learning_rate(v) for k, v in config.items()
                if not (k == "learning_rate" and isinstance(v, (int, float)))}
    if isinstance(config, list):
        return [_without_learning_rate(v) for v in config]
    return config


class CompiledModels:
    """Finished trials' models, kept for trials of the same graph (see the
    module docstring): at most `max_models` of them (each holds its traced
    steps, which outweigh a small model's variables) and `max_bytes` of
    variables, least recently used dropped first.

    Attributes:
        hits: Models taken from the pool.
        misses: Models that had to be traced and compiled.
    """

    max_models = 8
    max_bytes = 256 * 2**20

    def __init__(self) -> None:
        self._kept: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self.hits = self.misses = 0
        self._lock = threading.Lock()  # the next trial's model is adopted in a background thread (`ahead`)

    def adopt(self, model: Any) -> tuple[Any, bool]:
        """`(model to train, reused)`: a kept model of `model`'s graph holding
        `model`'s initial state, or `model` itself."""
        key = getattr(model, "_kerashp_graph", None) or graph_key(model)  # a caller may have computed it
        with self._lock:
            kept = self._kept.pop(key, (None,))[0] if key is not None else None
        if kept is None or not _copy_state(model, kept):
            self.misses += 1
            model._kerashp_graph = key  # computed once: `release` reads it
            return model, False
        self.hits += 1
        return kept, True

    def release(self, model: Any) -> None:
        """Keeps `model` (its trial is over) for a later trial of its graph."""
        key = getattr(model, "_kerashp_graph", None) or graph_key(model)
        if key is None:
            return
        size = model_bytes(model)
        with self._lock:
            self._kept[key] = (model, size)
            self._kept.move_to_end(key)
            while self._kept and (len(self._kept) > self.max_models
                                  or sum(size for _, size in self._kept.values()) > self.max_bytes):
                self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)


def _copy_state(source: Any, target: Any) -> bool:
    """Copies `source`'s variables and its optimizer's (built for the
    purpose) into `target`'s; `False` when they do not pair up."""
    optimizer = source.optimizer
    if not getattr(optimizer, "built", False):
        optimizer.build(source.trainable_variables)
    if not getattr(target.optimizer, "built", False):
        target.optimizer.build(target.trainable_variables)
    pairs = [*zip(source.variables, target.variables, strict=False),
             *zip(optimizer.variables, target.optimizer.variables, strict=False)]
    if (len(source.variables) != len(target.variables)
            or len(optimizer.variables) != len(target.optimizer.variables)
            or any(tuple(a.shape) != tuple(b.shape) for a, b in pairs)):
        return False
    for new, kept in pairs:
        kept.assign(new.value)
    return True
