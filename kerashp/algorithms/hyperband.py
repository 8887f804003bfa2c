"""`algorithm="hyperband"` or `Hyperband(...)`: keras-tuner's Hyperband. It decides each trial's
epochs, and a promoted trial trains on from its parent's weights
(`tuner/initial_epoch` to `tuner/epochs`)."""

from __future__ import annotations

import math
from typing import Any

from kerashp._checks import check_int
from kerashp.algorithms._base import BaseAlgorithm

__all__ = ["Hyperband", "hyperband_trials"]


def hyperband_trials(max_epochs: int, reduction_factor: int, iterations: int = 1) -> int:
    """Trials keras-tuner's `HyperbandOracle(max_epochs, factor=reduction_factor,
    hyperband_iterations=iterations)` runs when every trial completes and the
    space never runs out of new values.

    Each iteration runs the brackets `b = B-1 ... 0` (`B`: how many times
    `max_epochs` divides by `reduction_factor` before it drops below 1 epoch); bracket
    `b` starts `ceil(s * reduction_factor**b)` trials (`s = ceil(1 + log(max_epochs, reduction_factor)) / (b + 1)`)
    and round `r` promotes `ceil(s * reduction_factor**(b - r))` of them. The
    arithmetic is the oracle's own (`_get_num_brackets`, `_get_size`).

    Example:
        >>> hyperband_trials(27, 3)
        70
    """
    brackets, epochs = 0, max_epochs
    while epochs >= 1:
        epochs /= reduction_factor
        brackets += 1
    end_size = math.ceil(1 + math.log(max_epochs, reduction_factor))
    per_iteration = sum(math.ceil(end_size / (b + 1) * reduction_factor ** (b - r))
                        for b in range(brackets) for r in range(b + 1))
    return iterations * per_iteration


class Hyperband(BaseAlgorithm):
    """Successive halving over brackets, promoting the best trials, which
    train on from their parent's weights.

    Args:
        reduction_factor: Each round keeps the best `1/reduction_factor` of a
            bracket's trials and trains them `reduction_factor` times as long.
            Defaults to `3`.
        initial: Configurations to run first (in the first brackets). Defaults to `None`.
    """

    name = "hyperband"
    summary = "successive halving over brackets, promoting the best trials (keras-tuner's HyperbandOracle)"
    promotes = True
    default_max_trials = None
    default_epochs = 27
    decides_epochs = True

    def __init__(self, reduction_factor: int = 3, *, initial: list[dict] | None = None):
        super().__init__(initial=initial)
        self.reduction_factor = check_int("reduction_factor", reduction_factor, low=2)

    def expected_trials(self, space, max_trials, *, epochs) -> int:
        scheduled = hyperband_trials(epochs, self.reduction_factor)
        return min(scheduled, max_trials) if max_trials else scheduled

    def budget(self, values, epochs) -> tuple[int, int]:
        return int(values.get("tuner/epochs", epochs)), int(values.get("tuner/initial_epoch", 0))

    def trial_state(self, values) -> dict[str, Any]:
        return {
            "bracket": values.get("tuner/bracket"),
            "round": values.get("tuner/round"),
            "parent": values.get("tuner/trial_id"),
            "epochs": values.get("tuner/epochs"),
            "initial_epoch": values.get("tuner/initial_epoch"),
        }

    def values(self, space, record) -> dict[str, Any]:
        state = record.state
        values = super().values(space, record)
        if state.get("bracket") is not None:
            epochs = state.get("epochs") or record.total_epochs
            values.update({
                "tuner/epochs": epochs,
                "tuner/initial_epoch": state.get("initial_epoch", (epochs or 0) - (record.epochs or 0)),
                "tuner/bracket": state["bracket"], "tuner/round": state["round"],
            })
            if state.get("parent") is not None:
                values["tuner/trial_id"] = state["parent"]
        return values

    def lineage(self, values) -> Any | None:
        bracket, round_ = values.get("tuner/bracket"), values.get("tuner/round")
        return bracket if bracket is not None and round_ is not None and round_ < bracket else None

    def make_oracle(self, objective, *, space, max_trials, epochs, seed, initial, prior) -> Any:
        import keras_tuner as kt

        from kerashp._keras_tuner_compat import (
            DurableOracle,
            InBounds,
            QueueInBrackets,
            oracle_kwargs,
            quiet,
        )

        class Oracle(DurableOracle, InBounds, QueueInBrackets, kt.oracles.HyperbandOracle):
            pass

        oracle = Oracle(max_epochs=epochs, factor=self.reduction_factor, **oracle_kwargs(objective, seed))
        if max_trials is not None:
            oracle.max_trials = max_trials
        oracle.set_queue(initial)
        return quiet(oracle)
