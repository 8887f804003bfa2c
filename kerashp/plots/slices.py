"""`slice`: the score of every completed trial against each hyperparameter,
one panel per hyperparameter (Optuna's `plot_slice` on the run's study,
`kerashp.plots._study`; the dots' colour is the trial number)."""

from __future__ import annotations

from typing import Any

from kerashp.plots._study import (
    chosen_params,
    completed_frame,
    figure_of,
    optuna_quiet,
    require_completed,
    to_study,
)

__all__ = ["draw", "slice_data"]


def slice_data(result: Any, params: Any = None) -> dict[str, tuple[list, list[float]]]:
    """Hyperparameter name -> (its values, the scores) over the completed
    trials where it was active; `params` (default every searched one)."""
    frame = completed_frame(result)
    names = chosen_params(result, params, "slice") or [c for c in frame.columns if c not in ("trial", "score")]
    out = {}
    for name in names:
        active = frame[frame[name].notna()]
        out[name] = (active[name].tolist(), active["score"].astype(float).tolist())
    return out


def draw(result: Any, *, params: Any = None) -> Any:
    """The score against each hyperparameter of `result`."""
    from optuna.visualization.matplotlib import plot_slice

    names = chosen_params(result, params, "slice")
    study = to_study(result)
    require_completed(study, "slice", trials=2)
    with optuna_quiet():
        axes = plot_slice(study, params=names, target_name=result.objective.name)
    fig = figure_of(axes, f"{result.path.name}: score against each hyperparameter")
    return fig
