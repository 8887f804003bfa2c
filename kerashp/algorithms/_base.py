"""`BaseAlgorithm`: what `kerashp.tune` needs to know of a search algorithm.

An algorithm is one object in its own module, registered by name. It knows
its defaults, the options only it takes, what it needs of the space, whether
it decides each trial's epochs, how many trials to expect, and how to make
its keras-tuner `Oracle`. `tune()` asks it instead of testing names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kerashp._checks import check_int, check_one_of
from kerashp.exceptions import ArgumentError
from kerashp.pruners.asha import ASHA, first_rung
from kerashp.space import Space

__all__ = ["PRUNING", "BaseAlgorithm", "make_asha"]

#: The options of an algorithm that can stop trials early with ASHA
#: (`min_epochs=None`: ASHA's first rung measured and sized to the search, `kerashp.pruners.asha`).
PRUNING = {"pruner": None, "min_epochs": None, "eta": 3}


class BaseAlgorithm:
    """Base of the registered algorithms; subclasses set the class attributes
    and implement `make_oracle`.

    Attributes:
        name: The `algorithm=` name.
        summary: One line for docs and errors.
        default_max_trials: Trials when `max_trials` is not given (`None`:
            the algorithm decides).
        default_epochs: Epochs a trial trains when neither `max_epochs` nor
            `epochs` in the space says.
        decides_epochs: The algorithm gives each trial its epochs (the space
            must not search `epochs`).
        needs_discrete_space: Every searched entry must have finitely many values.
        options: Options only this algorithm takes, with their defaults
            (`PRUNING` for those that can stop trials early).
        takes_initial: `initial=` configurations can be queued.
        takes_warm_start: Earlier records can feed its proposals.
    """

    name: str = ""
    summary: str = ""
    default_max_trials: int | None = 10
    default_epochs: int = 10
    decides_epochs: bool = False
    needs_discrete_space: bool = False
    options: Mapping[str, Any] = {}
    takes_initial: bool = True
    takes_warm_start: bool = False

    # checks -------------------------------------------------------------------
    def check(self, space: Space, *, given: Mapping[str, Any], initial: list | None, warm_start: Any,
              cv: int | None = None) -> None:
        """Refuses what does not apply to this algorithm, naming why.

        Args:
            space: The search space.
            given: The algorithm-specific options the user passed (not `None`).
            initial: Queued configurations, if any.
            warm_start: An earlier run, if any.
            cv: Folds, if the search cross-validates.
        """
        for key, value in given.items():
            if key not in self.options:
                raise ArgumentError(
                    f"Argument `{key}` applies to {_owners(key)} only, not to algorithm={self.name!r}. "
                    f"Received: {key}={value!r}. Drop it, or choose one of those algorithms."
                )
        self.check_options({**self.options, **given})
        if cv is not None and self.pruner({**self.options, **given}, "min") is not None:
            raise ArgumentError(
                f"Stopping trials early (algorithm={self.name!r}"
                + (f", pruner={given['pruner']!r}" if "pruner" in given else "")
                + f") needs one score per epoch, but with cv={cv} the folds train one after another. "
                "Drop `cv`, or search without a pruner."
            )
        if self.needs_discrete_space:
            space.check_discrete(f"algorithm={self.name!r}")
        if self.decides_epochs and "epochs" in space.searched:
            raise ArgumentError(
                f"algorithm={self.name!r} decides how many epochs each trial trains, but the space searches "
                "'epochs'. Fix it (epochs=30) or drop it, or use algorithm='random'/'bayesian'."
            )
        if initial and not self.takes_initial:
            raise ArgumentError(
                f"algorithm={self.name!r} does not take `initial` configurations: {self._why_not_initial()} "
                "Drop `initial`, or use algorithm='random', 'bayesian' or 'hyperband'."
            )
        if warm_start is not None and not self.takes_warm_start:
            raise ArgumentError(
                f"algorithm={self.name!r} cannot learn from an earlier run (`warm_start`): its proposals do not "
                "depend on earlier results. Use algorithm='bayesian' or 'tpe', or pass the earlier best configurations "
                "as `initial=`."
            )

    def check_options(self, options: Mapping[str, Any]) -> None:
        """Checks the values of this algorithm's own options (defaults filled in)."""
        if "pruner" in options:
            check_one_of("pruner", options["pruner"], (None, "asha"))
            if options["pruner"] is None:
                for key in ("min_epochs", "eta"):
                    if options[key] != self.options[key]:
                        raise ArgumentError(
                            f"Argument `{key}` sets up the ASHA pruner, but pruner=None. "
                            f"Received: {key}={options[key]!r}. Pass pruner='asha' too, or drop it."
                        )
        if "min_epochs" in options:
            check_int("min_epochs", options["min_epochs"], allow_none=True)
            check_int("eta", options["eta"], low=2)

    def pruner(self, options: Mapping[str, Any], direction: str, *, epochs: int | None = None,
               max_trials: int | None = None) -> ASHA | None:
        """The ASHA pruner the options ask for, or `None`; for trials of
        `epochs` epochs in a search of `max_trials`, which size its first
        rung when `min_epochs` is `None`."""
        if options.get("pruner") != "asha":
            return None
        return make_asha(options, direction, epochs=epochs, max_trials=max_trials)

    def _why_not_initial(self) -> str:
        return ""

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

    def expected_trials(self, space: Space, max_trials: int | None, *, epochs: int,
                        options: Mapping[str, Any]) -> int | None:
        """Trials the search will run (`max_trials` from `max_trials()`,
        `epochs` from `epochs()`, this algorithm's `options`), or `None` when
        the time budget decides as it goes: the progress bar's total."""
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
        options: Mapping[str, Any],
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
            options: This algorithm's options, defaults filled in.
            initial: keras-tuner values to propose first, in order.
            prior: `(values, score)` of an earlier run's completed trials.
        """
        raise NotImplementedError


def make_asha(options: Mapping[str, Any], direction: str, *, epochs: int | None, max_trials: int | None) -> ASHA:
    """ASHA from the options `min_epochs` and `eta`. Without `min_epochs`, the
    first rung is measured (`asha.cost_rung`), at least the rung sized to the
    search (`first_rung(epochs, max_trials, eta)`) and at most `epochs // eta`,
    hedged over Hyperband's brackets (`ASHA.bracket_of`)."""
    eta = options["eta"]
    if options.get("min_epochs") is not None or not epochs:
        return ASHA(min_epochs=options.get("min_epochs") or 1, eta=eta, direction=direction)
    return ASHA(min_epochs=None, eta=eta, direction=direction, floor=first_rung(epochs, max_trials, eta),
                cap=epochs // eta, brackets=True)


def _owners(option: str) -> str:
    from kerashp.algorithms import registered

    owners = [a.name for a in registered() if option in a.options]
    return " and ".join(repr(o) for o in owners) or "no algorithm"
