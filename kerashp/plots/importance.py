"""`importance`: how much of the score's variation each hyperparameter
explains (Optuna's fANOVA, `optuna.importance`, seeded, on the run's study,
`kerashp.plots._study`), as horizontal bars.

It needs at least two completed trials and two hyperparameters that vary
among them; a hyperparameter inactive in some completed trial (a conditional
entry) is left out, as Optuna does.
"""

from __future__ import annotations

from typing import Any

from kerashp.exceptions import KerashpError
from kerashp.plots._study import chosen_params, figure_of, optuna_quiet, require_completed, to_study

__all__ = ["draw", "importance_data"]


def _evaluator(seed: int) -> Any:
    from optuna.importance import FanovaImportanceEvaluator

    return FanovaImportanceEvaluator(seed=seed)


def _ready(result: Any, params: Any, study: Any = None) -> tuple[Any, list[str] | None]:
    names = chosen_params(result, params, "importance")
    study = study if study is not None else to_study(result)
    require_completed(study, "importance", trials=2, params=2)
    return study, names


def importance_data(result: Any, params: Any = None, *, seed: int = 0, study: Any = None) -> dict[str, float]:
    """Hyperparameter name -> its importance (summing to 1), most important
    first."""
    from optuna.importance import get_param_importances

    study, names = _ready(result, params, study)
    with optuna_quiet():
        try:
            importances = get_param_importances(study, evaluator=_evaluator(seed), params=names)
        except (ValueError, RuntimeError) as err:
            raise KerashpError(f"Cannot compute the hyperparameters' importance for {result.path}: {err}") from err
    if len(importances) < 2:
        raise KerashpError(
            f"The 'importance' plot needs at least 2 hyperparameters set in every completed trial; "
            f"the run has {sorted(importances)}."
        )
    return {name: float(value) for name, value in importances.items()}


def draw(result: Any, *, params: Any = None, seed: int = 0) -> Any:
    """Bars of each hyperparameter's importance for `result`'s score."""
    from optuna.visualization.matplotlib import plot_param_importances

    study, names = _ready(result, params)
    importance_data(result, params, seed=seed, study=study)  # the same checks, with kerashp's messages
    with optuna_quiet():
        ax = plot_param_importances(study, evaluator=_evaluator(seed), params=names,
                                    target_name=result.objective.name)
    fig = figure_of(ax, f"{result.path.name}: hyperparameter importance (fANOVA)")
    fig.set_size_inches(6.5, max(2.5, 0.5 * len(ax.patches) + 1.5))
    fig.tight_layout()
    return fig
