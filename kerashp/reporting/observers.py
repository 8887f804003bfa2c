"""Trial-end observers: the one hook through which a finished trial reaches
the run folder, the progress display and a user's `on_trial_end`.

An observer is any callable taking a `TrialRecord`. Each is called once per
finished trial, in the order added, after the tuner has written the record to
the run folder: an observer that raises stops the search, and what finished
is already stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kerashp.exceptions import ArgumentError
from kerashp.tuning.trial import TrialRecord

__all__ = ["Observers", "as_observers"]

Observer = Callable[[TrialRecord], Any]


class Observers:
    """An ordered list of observers, called together.

    Example:
        >>> observers = Observers(progress.trial_done, print)
        >>> observers(record)  # doctest: +SKIP
    """

    def __init__(self, *observers: Observer):
        self._observers: list[Observer] = list(observers)

    def add(self, *observers: Observer) -> Observers:
        self._observers.extend(observers)
        return self

    def __call__(self, record: TrialRecord) -> None:
        for observer in self._observers:
            observer(record)

    def __len__(self) -> int:
        return len(self._observers)


def as_observers(on_trial_end: Observer | Iterable[Observer] | None) -> list[Observer]:
    """The user's `on_trial_end` as a list of callables.

    Raises:
        ArgumentError: an item is not callable.
    """
    if on_trial_end is None:
        return []
    items = [on_trial_end] if callable(on_trial_end) else list(on_trial_end)
    for item in items:
        if not callable(item):
            raise ArgumentError(
                "Argument `on_trial_end` must be a function of a TrialRecord, or a list of them. "
                f"Received: {item!r:.80}."
            )
    return items
