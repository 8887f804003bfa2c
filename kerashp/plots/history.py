"""`history`: learning curves, the objective per epoch of every trial.

The `top` best completed trials are drawn in colour and named in the legend;
every other trial is a thin, faded grey line, so a run of 70 trials still
shows its best curves and the shape of the rest. A trial stopped early (ASHA,
status `PRUNED`) ends in a marker at the epoch where it was stopped.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from kerashp.exceptions import ArgumentError, KerashpError
from kerashp.plots._axes import finish

__all__ = ["HistoryData", "draw", "history_data"]


class HistoryData(NamedTuple):
    metric: str
    curves: dict[int, tuple[list[int], list[float]]]  # trial number -> (epochs, values), completed and pruned
    best_trial: int
    top: list[int]  # the best completed trials, best first
    pruned: dict[int, tuple[int, float]]  # trial number -> (epoch, value) where it was stopped


def history_data(result: Any, metric: str | None = None, *, top: int = 5) -> HistoryData:
    """The per-epoch `metric` (default: the objective) of every completed or
    stopped trial, the `top` best completed trials and where each stopped
    trial ended."""
    if not isinstance(top, int) or isinstance(top, bool) or top < 1:
        raise ArgumentError(f"Argument `top` must be a positive integer. Received: top={top!r}.")
    metric = metric or result.objective.name
    curves: dict[int, tuple[list[int], list[float]]] = {}
    pruned: dict[int, tuple[int, float]] = {}
    for record in result.records:
        values = record.history.get(metric)
        if record.score is None or record.status.value == "FAILED" or not values:
            continue
        first = (record.total_epochs or len(values)) - len(values)
        epochs = list(range(first + 1, first + 1 + len(values)))
        curves[record.number] = (epochs, [float(v) for v in values])
        if record.status.value == "PRUNED":
            pruned[record.number] = (epochs[-1], float(values[-1]))
    if not curves:
        raise KerashpError(f"No completed trial logged {metric!r}.")
    ranked = [r.number for r in result._ranked() if r.number in curves]
    return HistoryData(metric, curves, result.best_trial.number, ranked[:top], pruned)


def draw(result: Any, *, metric: str | None = None, top: int = 5) -> Any:
    """The learning curves of `result` (see the module docstring)."""
    import matplotlib.pyplot as plt

    data = history_data(result, metric, top=top)
    fig, ax = plt.subplots(figsize=(7, 4))
    many = len(data.curves) > 20
    for number, (epochs, values) in data.curves.items():
        if number in data.top:
            continue
        ax.plot(epochs, values, color="0.55", lw=0.5 if many else 0.8, alpha=0.35 if many else 0.6, zorder=1,
                marker="." if len(epochs) == 1 else None, ms=3)
    if data.pruned:
        epochs, values = zip(*data.pruned.values(), strict=True)
        ax.scatter(epochs, values, marker="x", s=14, color="0.35", lw=0.8, zorder=2,
                   label=f"stopped early ({len(data.pruned)})")
    for rank, number in enumerate(data.top):
        epochs, values = data.curves[number]
        ax.plot(epochs, values, color=f"C{rank}", lw=2.2 if rank == 0 else 1.5, zorder=4 - rank / 10,
                marker="o" if len(epochs) == 1 else None,
                label=f"trial {number}" + (" (best)" if number == data.best_trial else ""))
    return finish(
        fig, ax, xlabel="epoch", ylabel=data.metric,
        title=f"{result.path.name}: learning curves, top {len(data.top)} of {len(data.curves)} trials",
    )
