"""Figures of a `TuneResult`. Each plot first computes its data (tested), then draws it."""

from __future__ import annotations

from typing import Any, NamedTuple

from kerashp.exceptions import ArgumentError, KerashpError

__all__ = ["HistoryData", "ScoresData", "history_data", "plot", "scores_data"]


class HistoryData(NamedTuple):
    metric: str
    curves: dict[int, tuple[list[int], list[float]]]  # trial number -> (epochs, values)
    best_trial: int


class ScoresData(NamedTuple):
    metric: str
    trials: list[int]
    scores: list[float]
    running_best: list[float]


def history_data(result: Any, metric: str | None = None) -> HistoryData:
    """The per-epoch `metric` (default: the objective) of every completed trial."""
    metric = metric or result.objective.name
    curves = {}
    for record in result.records:
        values = record.history.get(metric)
        if not record.completed or not values:
            continue
        first = (record.total_epochs or len(values)) - len(values)
        curves[record.number] = (list(range(first + 1, first + 1 + len(values))), values)
    if not curves:
        raise KerashpError(f"No completed trial logged {metric!r}.")
    return HistoryData(metric, curves, result.best_trial.number)


def scores_data(result: Any) -> ScoresData:
    """Each completed trial's score in trial order, and the best so far."""
    done = [r for r in result.records if r.completed]
    if not done:
        raise KerashpError("No trial completed: nothing to plot.")
    best: list[float] = []
    for record in done:
        score = record.score
        best.append(score if not best or result.objective.better(score, best[-1]) else best[-1])
    return ScoresData(result.objective.name, [r.number for r in done], [r.score for r in done], best)


def plot(result: Any, kind: str = "history", *, metric: str | None = None) -> Any:
    """A matplotlib Figure of `result`: `"history"` or `"scores"`."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    if kind == "history":
        data = history_data(result, metric)
        for number, (epochs, values) in data.curves.items():
            is_best = number == data.best_trial
            ax.plot(epochs, values, color="C3" if is_best else "0.6", lw=2 if is_best else 0.8, alpha=1 if is_best else 0.6,
                    label=f"best (trial {number})" if is_best else None, zorder=3 if is_best else 1)
        ax.set_xlabel("epoch")
        ax.set_ylabel(data.metric)
        ax.legend()
    elif kind == "scores":
        data = scores_data(result)
        ax.plot(data.trials, data.scores, "o", color="0.5", label="trial")
        ax.plot(data.trials, data.running_best, "-", color="C3", label="best so far")
        ax.set_xlabel("trial")
        ax.set_ylabel(data.metric)
        ax.legend()
    else:
        plt.close(fig)
        raise ArgumentError(f"Argument `kind` must be 'history' or 'scores'. Received: kind={kind!r}.")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs and trial numbers
    ax.set_title(f"{result.path.name}: {kind}")
    fig.tight_layout()
    return fig

