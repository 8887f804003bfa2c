"""`algorithm="hyperband"`: keras-tuner's Hyperband. It decides each trial's
epochs, and a promoted trial trains on from its parent's weights
(`tuner/initial_epoch` to `tuner/epochs`)."""

from __future__ import annotations

from typing import Any

from kerashp._checks import check_int
from kerashp.tuning.algorithms._base import BaseAlgorithm

__all__ = ["Hyperband"]


class Hyperband(BaseAlgorithm):
    name = "hyperband"
    summary = "successive halving over brackets, promoting the best trials (keras-tuner's HyperbandOracle)"
    default_max_trials = None
    default_epochs = 27
    decides_epochs = True
    options = {"factor": 3}

    def check_options(self, options) -> None:
        check_int("factor", options["factor"], low=2)

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

        from kerashp.tuning.algorithms._oracles import (
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
