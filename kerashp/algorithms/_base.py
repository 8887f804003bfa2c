"""`BaseAlgorithm`: what `kerashp.tune` needs to know of a search algorithm.

An algorithm is an object that carries and checks its own options in its
constructor (`TPE(pruner=ASHA(reduction_factor=4))`), as Optuna's samplers
do. Its class knows its defaults, what it needs of the space, whether it
decides each trial's epochs, how many trials to expect, and how to make its
keras-tuner `Oracle`. `tune()` asks it instead of testing names.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from kerashp.exceptions import ArgumentError
from kerashp.pruners.asha import ASHA, Rungs
from kerashp.space import Space

__all__ = ["CENTER", "STARTING_POINTS", "BaseAlgorithm", "as_pruner"]

#: Constructor arguments that say where a search starts, not how it searches:
#: `run.json` does not record them among the options, and a resume may leave them out.
STARTING_POINTS = ("initial", "warm_start")

#: `initial=CENTER`: the search's first trial is the middle of the space (`Space.center`),
#: unless a warm start already tells the algorithm where to look.
CENTER = "center"


def as_pruner(pruner: Any, owner: str) -> ASHA | None:
    """`None`, an `ASHA`, `"asha"`, or ASHA's options as a mapping (a YAML file's
    `pruner: {first_rung: 3}`), as an `ASHA` or `None`."""
    if pruner is None or isinstance(pruner, ASHA):
        return pruner
    if pruner == "asha":
        return ASHA()
    if isinstance(pruner, Mapping) and pruner.get("name", "asha") == "asha":
        options = {k: v for k, v in pruner.items() if k != "name"}
        unknown = sorted(set(options) - set(inspect.signature(ASHA).parameters))
        if unknown:
            raise ArgumentError(
                f"ASHA takes first_rung and reduction_factor. Received: {', '.join(unknown)} in {owner}'s pruner "
                f"{dict(pruner)!r}. Drop them.")
        return ASHA(**options)
    raise ArgumentError(
        f"Argument `pruner` of {owner} must be None, 'asha' or khp.pruners.ASHA(...). Received: pruner={pruner!r:.80}."
    )


class BaseAlgorithm:
    """Base of the algorithms; subclasses set the class attributes, take their
    own options in `__init__` and implement `make_oracle`.

    Attributes:
        name: The `algorithm=` name it is registered under.
        summary: One line for docs and errors.
        default_max_trials: Trials when `max_trials` is not given (`None`:
            the algorithm decides).
        default_epochs: Epochs a trial trains when neither `max_epochs` nor
            `epochs` in the space says.
        decides_epochs: The algorithm gives each trial its epochs (the space
            must not search `epochs`).
        needs_discrete_space: Every searched entry must have finitely many values.
        promotes: A trial may train on from another's model (Hyperband's
            promotions), so trials are not taken from the oracle ahead of
            their turn (`kerashp.tuning.ahead`).
        pruner: The `ASHA` that stops its trials early, or `None`.
        initial: Configurations to run first (`[]`: none), or `CENTER`.
        warm_start: An earlier run whose completed trials feed its model, or `None`.
    """

    name: str = ""
    summary: str = ""
    default_max_trials: int | None = 10
    default_epochs: int = 10
    decides_epochs: bool = False
    needs_discrete_space: bool = False
    promotes: bool = False
    pruner: ASHA | None = None
    warm_start: Any = None

    def __init__(self, *, initial: list[dict] | str | None = None):
        if isinstance(initial, str) and initial == CENTER:
            self.initial: list[dict] | str = CENTER
            return
        if initial is not None and (isinstance(initial, Mapping) or not isinstance(initial, (list, tuple))):
            raise ArgumentError(
                f"Argument `initial` of {type(self).__name__} must be a list of dicts of hyperparameter values, "
                f"{CENTER!r} or None. Received: initial={initial!r:.80}. For one configuration, wrap it in a list: "
                "initial=[{...}]."
            )
        self.initial = list(initial or [])

    # options ------------------------------------------------------------------
    def _own(self) -> dict[str, Any]:
        """The constructor's arguments but the starting points, as given."""
        return {n: getattr(self, n) for n in inspect.signature(type(self)).parameters if n not in STARTING_POINTS}

    def options(self) -> dict[str, Any]:
        """The options that change how it searches, as `run.json` records them."""
        return {n: v.get_config() if isinstance(v, ASHA) else v for n, v in self._own().items()}

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, **self.options()}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._own().items())})"

    # checks -------------------------------------------------------------------
    def check(self, space: Space, *, cv: int | None = None) -> None:
        """Refuses a space or data options this algorithm cannot search, naming why."""
        if cv is not None and self.pruner is not None:
            raise ArgumentError(
                f"Stopping trials early ({self!r}) needs one score per epoch, but with cv={cv} the folds train one "
                "after another. Drop `cv`, or search without a pruner (algorithm='tpe' or khp.algorithms.TPE())."
            )
        if self.needs_discrete_space:
            space.check_discrete(f"algorithm={self.name!r}")
        if self.decides_epochs and "epochs" in space.searched:
            raise ArgumentError(
                f"algorithm={self.name!r} decides how many epochs each trial trains, but the space searches "
                "'epochs'. Fix it (epochs=30) or drop it, or use algorithm='random'/'bayesian'."
            )

    def rungs(self, direction: str, *, epochs: int | None = None, max_trials: int | None = None) -> Rungs | None:
        """The rungs of its pruner for one search, or `None` without one."""
        return None if self.pruner is None else self.pruner.start(direction, epochs=epochs, max_trials=max_trials)

    # defaults -----------------------------------------------------------------
    def epochs(self, space: Space, max_epochs: int | None) -> int:
        """Epochs a trial trains (the most, for an algorithm that decides)."""
        from kerashp.space import Fixed

        if max_epochs is not None:
            return max_epochs
        entry = space.entries.get("epochs")
        if isinstance(entry, Fixed) and isinstance(entry.value, int):
            return entry.value
        return self.default_epochs

    def max_trials(self, max_trials: int | None, budget: float | None) -> int | None:
        """The trials to run (`None`: no limit): `max_trials` if given; with only
        a time budget, as many as it allows; else `default_max_trials`."""
        if max_trials is not None:
            return max_trials
        return None if budget is not None else self.default_max_trials

    def expected_trials(self, space: Space, max_trials: int | None, *, epochs: int) -> int | None:
        """Trials the search will run (`max_trials` from `max_trials()`,
        `epochs` from `epochs()`), or `None` when the time budget decides as
        it goes: the progress bar's total."""
        return max_trials

    # trials ---------------------------------------------------------------------
    def budget(self, values: Mapping[str, Any], epochs: int) -> tuple[int, int]:
        """`(epochs, initial_epoch)` of a trial from its keras-tuner values."""
        return epochs, 0

    def trial_state(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """What a record keeps to rebuild this algorithm's state (e.g. a parent trial)."""
        return {}

    def values(self, space: Space, record: Any) -> dict[str, Any]:
        """The keras-tuner values a trial ran with, from its `TrialRecord`: the
        inverse of `trial_state`, used to rebuild a damaged keras-tuner file."""
        from kerashp.algorithms._keras_tuner import to_values

        return to_values(space, record.params)

    def lineage(self, values: Mapping[str, Any]) -> Any | None:
        """The group (Hyperband: the bracket) in which a later trial may train
        on from this trial's model, or `None` when no trial will."""
        return None

    # the oracle -------------------------------------------------------------------
    def make_oracle(
        self,
        objective: Any,
        *,
        space: Space,
        max_trials: int | None,
        epochs: int,
        seed: int | None,
        initial: list[dict],
        prior: list[tuple[dict, float]],
    ) -> Any:
        """A keras-tuner `Oracle` for one search.

        Args:
            objective: The `Objective`.
            space: The search space (already declared on the oracle by the tuner).
            max_trials: Trials to run (from `max_trials()`; `None`: no limit).
            epochs: From `epochs()`.
            seed: The run's seed.
            initial: keras-tuner values to propose first, in order (from `self.initial`).
            prior: `(values, score)` of the `warm_start` run's completed trials.
        """
        raise NotImplementedError
