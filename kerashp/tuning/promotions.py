"""Models of finished trials kept in memory for the trials that train on
them (Hyperband's promotions)."""

from __future__ import annotations

from typing import Any

import keras

from kerashp.tuning.model_pool import model_bytes
from kerashp.tuning.objective import Objective

__all__ = ["KeptModels"]


class KeptModels:
    """Models of finished trials that a later trial may train on (Hyperband's
    promotions), kept in memory in this process: the promoted trial goes on
    with the same model object, traced once, instead of a rebuilt model loaded
    from its parent's weights file. Only the current group's (bracket's)
    models are kept, at most `max_bytes` of weights and optimizer state, the
    worst scores dropped first; a trial whose parent is not kept (another
    process, a resumed run, dropped) is rebuilt from the weights file."""

    max_bytes = 512 * 2**20

    def __init__(self, objective: Objective):
        self.objective = objective
        self._kept: dict[tuple[str, int | None], tuple[keras.Model, float, Any, int]] = {}

    def take(self, trial_id: str, fold: int | None) -> keras.Model | None:
        return self._kept.pop((trial_id, fold), (None,))[0]

    def keep(self, trial_id: str, fold: int | None, model: keras.Model, score: float, group: Any) -> None:
        self._kept = {key: item for key, item in self._kept.items() if item[2] == group}
        self._kept[(trial_id, fold)] = (model, score, group, model_bytes(model))
        total = sum(item[3] for item in self._kept.values())
        worst_first = sorted(self._kept, key=lambda k: self._kept[k][1], reverse=self.objective.direction == "min")
        for key in worst_first:
            if total <= self.max_bytes:
                break
            total -= self._kept.pop(key)[3]

    def __len__(self) -> int:
        return len(self._kept)
