"""Figures of a `TuneResult`, one module per kind; each computes its data
first (`*_data`, tested) and then draws a matplotlib Figure.

- `history`: learning curves, the top trials in colour, the rest faded, a
  marker where a trial was stopped early;
- `scores`: the optimisation history, score per trial number and best so far;
- `parallel`, `slice`, `importance`, `contour`, `edf`: Optuna's
  `optuna.visualization.matplotlib` and `optuna.importance` on an in-memory
  study built from the run's records (`_study`).

Nothing heavy is imported until a plot is drawn.

Example:
    >>> fig = kerashp.plots.plot(result, "importance")
    >>> fig.savefig("importance.png")
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from kerashp.exceptions import ArgumentError, KerashpError
from kerashp.plots.contour import contour_params
from kerashp.plots.edf import EdfData, edf_data
from kerashp.plots.history import HistoryData, history_data
from kerashp.plots.importance import importance_data
from kerashp.plots.parallel import parallel_data
from kerashp.plots.scores import ScoresData, scores_data
from kerashp.plots.slices import slice_data

__all__ = [
    "KINDS", "MAIN_KINDS", "EdfData", "HistoryData", "ScoresData", "check_kind", "contour_params", "edf_data",
    "history_data", "importance_data", "parallel_data", "plot", "save", "scores_data", "slice_data",
]

#: Kind -> the module that draws it.
_MODULES = {"history": "history", "scores": "scores", "parallel": "parallel", "slice": "slices",
            "importance": "importance", "contour": "contour", "edf": "edf"}
KINDS = tuple(_MODULES)
#: What `kerashp demo` and `kerashp tune` save next to a run's results.
MAIN_KINDS = ("scores", "history", "importance")


def check_kind(kind: Any) -> str:
    """`kind` if it is one of `KINDS`, else an `ArgumentError` naming them."""
    if kind not in _MODULES:
        shown = ", ".join(repr(k) for k in KINDS)
        raise ArgumentError(f"Argument `kind` must be one of {shown}. Received: kind={kind!r}.")
    return kind


def plot(result: Any, kind: str = "history", **kwargs: Any) -> Any:
    """A matplotlib Figure of `result`.

    Args:
        result: A `TuneResult`.
        kind: One of `KINDS`: `"history"` (`metric=`, `top=5`), `"scores"`,
            `"parallel"` (`params=`), `"slice"` (`params=`), `"importance"`
            (`params=`, `seed=0`), `"contour"` (`params=(a, b)`, default the
            two most important), `"edf"`. Defaults to `"history"`.
        **kwargs: The kind's options.

    Raises:
        ArgumentError: an unknown kind.
        KerashpError: too few completed trials (or varied hyperparameters)
            for the kind.
    """
    check_kind(kind)
    module = importlib.import_module(f"kerashp.plots.{_MODULES[kind]}")
    return module.draw(result, **kwargs)


def save(result: Any, kinds: Any = None, directory: Any = None, *, dpi: int = 80) -> tuple[dict, dict]:
    """Writes `<directory>/<kind>.png` for each of `kinds` (default `KINDS`)
    that the run allows; returns `({kind: path}, {kind: why not})`.

    Args:
        result: A `TuneResult`.
        kinds: Kinds to draw. Defaults to `None`: all of `KINDS`.
        directory: Where the PNGs go. Defaults to `None`: `<run>/plots`.
        dpi: The PNGs' resolution. Defaults to `80`.
    """
    import matplotlib.pyplot as plt

    kinds = list(KINDS if kinds is None else [kinds] if isinstance(kinds, str) else kinds)
    for kind in kinds:
        check_kind(kind)
    folder = Path(directory) if directory is not None else Path(result.path) / "plots"
    folder.mkdir(parents=True, exist_ok=True)
    written, skipped = {}, {}
    for kind in kinds:
        try:
            fig = plot(result, kind)
        except KerashpError as err:
            skipped[kind] = str(err)
            continue
        path = folder / f"{kind}.png"
        fig.savefig(path, dpi=dpi)
        plt.close(fig)
        written[kind] = path
    return written, skipped
