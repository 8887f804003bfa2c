"""`algorithm="hyperband"`: keras-tuner's Hyperband. It decides each trial's
epochs, and a promoted trial trains on from its parent's weights
(`tuner/initial_epoch` to `tuner/epochs`)."""

from __future__ import annotations

import math
from typing import Any

from kerashp._checks import check_int
from kerashp.algorithms._base import BaseAlgorithm

__all__ = ["Hyperband", "hyperband_trials"]


def hyperband_trials(max_epochs: int, factor: int, iterations: int = 1) -> int:
    """Trials keras-tuner's `HyperbandOracle(max_epochs, factor,
    hyperband_iterations=iterations)` runs when every trial completes and the
    space never runs out of new values.

    Each iteration runs the brackets `b = B-1 ... 0` (`B`: how many times
    `max_epochs` divides by `factor` before it drops below 1 epoch); bracket
    `b` starts `ceil(s * factor**b)` trials (`s = ceil(1 + log_factor(max_epochs)) / (b + 1)`)
    and round `r` promotes `ceil(s * factor**(b - r))` of them. The
    arithmetic is the oracle's own (`_get_num_brackets`, `_get_size`).

    Example:
        >>> hyperband_trials(27, 3)
        70
    """
    brackets, epochs = 0, max_epochs
    while epochs >= 1:
        epochs /= factor
        brackets += 1
    end_size = math.ceil(1 + math.log(max_epochs, factor))
    per_iteration = sum(math.ceil(end_size / (b + 1) * factor ** (b - r))
                        for b in range(brackets) for r in range(b + 1))
    return iterations * per_iteration


class Hyperband(BaseAlgorithm):
    name = "hyperband"
    summary = "successive halving over brackets, promoting the best trials (keras-tuner's HyperbandOracle)"
    default_max_trials = None
    default_epochs = 27
    decides_epochs = True
    options = {"factor": 3}

    def check_options(self, options) -> None:
        check_int("factor", options["factor"], low=2)

    def expected_trials(self, space, max_trials, *, epochs, options) -> int:
        scheduled = hyperband_trials(epochs, options["factor"])
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

    def make_oracle(self, objective, *, space, max_trials, epochs, seed, options, initial, prior) -> Any:
        import keras_tuner as kt

        from kerashp.algorithms._oracles import (
            DurableOracle,
            InBounds,
            QueueInBrackets,
            oracle_kwargs,
            quiet,
        )

        class Oracle(DurableOracle, InBounds, QueueInBrackets, kt.oracles.HyperbandOracle):
            pass

        oracle = Oracle(max_epochs=epochs, factor=options["factor"], **oracle_kwargs(objective, seed))
        if max_trials is not None:
            oracle.max_trials = max_trials
        oracle.set_queue(initial)
        return quiet(oracle)
