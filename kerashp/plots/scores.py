"""`scores`: the optimisation history, each trial's score against its trial
number (an integer axis) and the best score so far.

Completed trials are dots and the best-so-far line steps through them; a
trial stopped early is a faded cross at the last value it reported (reached
in fewer epochs, so it never counts as the best).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from kerashp.exceptions import KerashpError
from kerashp.plots._axes import finish

__all__ = ["ScoresData", "draw", "scores_data"]


class ScoresData(NamedTuple):
    metric: str
    trials: list[int]  # completed trials' numbers, in trial order
    scores: list[float]
    running_best: list[float]  # the best score up to and including each of `trials`
    pruned: list[tuple[int, float]]  # (trial number, last value) of the trials stopped early


def scores_data(result: Any) -> ScoresData:
    """Each completed trial's score in trial order, the best so far, and the
    trials stopped early."""
    done = [r for r in result.records if r.completed]
    if not done:
        raise KerashpError("No trial completed: nothing to plot.")
    best: list[float] = []
    for record in done:
        score = float(record.score)
        best.append(score if not best or result.objective.better(score, best[-1]) else best[-1])
    pruned = [(int(r.number), float(r.score)) for r in result.records
              if r.status.value == "PRUNED" and r.score is not None]
    return ScoresData(result.objective.name, [int(r.number) for r in done], [float(r.score) for r in done],
                      best, pruned)


def draw(result: Any) -> Any:
    """The optimisation history of `result` (see the module docstring)."""
    import matplotlib.pyplot as plt

    data = scores_data(result)
    fig, ax = plt.subplots(figsize=(7, 4))
    if data.pruned:
        numbers, values = zip(*data.pruned, strict=True)
        ax.plot(numbers, values, "x", ms=4, mew=0.8, color="0.65", zorder=1,
                label=f"stopped early ({len(data.pruned)})")
    ax.plot(data.trials, data.scores, "o", ms=4, color="C0", zorder=2, label="completed trial")
    ax.plot(data.trials, data.running_best, drawstyle="steps-post", color="C3", lw=1.8, zorder=3, label="best so far")
    return finish(
        fig, ax, xlabel="trial number", ylabel=data.metric,
        title=f"{result.path.name}: optimisation history ({result.objective.direction} {data.metric})",
    )
