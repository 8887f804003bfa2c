"""Keras callbacks that work in any `model.fit` and inside `kerashp.tune`.

Schedules set the learning rate every batch and compose with
`ReduceLROnPlateau` (see `kerashp.callbacks._base` for how).

Example:
    >>> import kerashp as khp
    >>> callbacks = [
    ...     khp.callbacks.WarmupCosine(1e-3, warmup_epochs=1),
    ...     khp.callbacks.ReduceLROnPlateau(factor=0.5, patience=2),
    ...     khp.callbacks.EarlyStopping(patience=5),
    ... ]
    >>> # model.fit(x, y, validation_split=0.2, epochs=30, callbacks=callbacks)
"""

from kerashp.callbacks.cyclic_lr import CyclicLR
from kerashp.callbacks.early_stopping import EarlyStopping
from kerashp.callbacks.exponential_decay import ExponentialDecay
from kerashp.callbacks.lr_finder import LRFinder
from kerashp.callbacks.one_cycle import OneCycle
from kerashp.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from kerashp.callbacks.scaled_schedule import ScaledSchedule
from kerashp.callbacks.schedule import Schedule
from kerashp.callbacks.step_decay import StepDecay
from kerashp.callbacks.time_budget import TimeBudget
from kerashp.callbacks.warmup_cosine import WarmupCosine

__all__ = [
    "CyclicLR",
    "EarlyStopping",
    "ExponentialDecay",
    "LRFinder",
    "OneCycle",
    "ReduceLROnPlateau",
    "ScaledSchedule",
    "Schedule",
    "StepDecay",
    "TimeBudget",
    "WarmupCosine",
]
