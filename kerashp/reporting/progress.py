"""The search's progress display: one line per finished trial, and a bar.

The bar is `tqdm.auto`'s: a widget in Jupyter and Colab, a text bar on a
terminal. Where output is neither (a log file, a pipe, CI), there is no bar:
only the plain lines, one per trial, with no carriage returns.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["Progress"]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class Progress:
    """Prints `trial <id>  <status>  score=...  best=...  <params>  <seconds>s`
    per trial, under a bar over trials. `verbose=0` prints nothing.

    Args:
        total: Trials expected (`BaseAlgorithm.expected_trials`), or `None`
            when the time budget decides.
        objective: The `Objective` (for `best`).
        verbose: 0 silent, 1 lines and bar. Defaults to `1`.
        done: The records of a resumed run's finished trials: the bar starts
            at their count and `best` at their best. Defaults to `None`.
    """

    def __init__(self, total: int | None, objective: Any, verbose: int = 1, done: list | None = None):
        self.objective = objective
        self.verbose = verbose
        self.best: float | None = None
        for record in done or []:  # a resumed run: its best so far
            self._track(record.score)
        initial = len(done or [])
        self.bar = None
        if verbose:
            from tqdm.auto import tqdm

            # disable=None: no bar where stdout is not a terminal (logs); the
            # notebook bar, a widget, ignores it and always shows.
            self.bar = tqdm(total=total, initial=initial, unit="trial", desc="search", file=sys.stdout,
                            leave=False, disable=None)

    def _track(self, score: float | None) -> None:
        if score is not None and self.objective.better(score, self.best):
            self.best = score

    def line(self, record: Any) -> str:
        """The line of one finished `TrialRecord` (updating the best so far)."""
        self._track(record.score)
        params = " ".join(f"{k}={_fmt(v)}" for k, v in record.params.items())
        status = {"COMPLETED": "ok  ", "PRUNED": "cut "}.get(record.status.value, "FAIL")
        if record.timed_out and record.status.value == "COMPLETED":
            status = "time"  # cut by the time budget: scored on the epochs (and folds) it trained
        parts = [
            f"trial {record.number}",
            status,
            f"{self.objective.name}={_fmt(record.score) if record.score is not None else '-':<8}",
            f"best={_fmt(self.best) if self.best is not None else '-':<8}",
            f"epochs={record.total_epochs if record.total_epochs is not None else '-'}",
            f"{record.seconds or 0:.1f}s",
            params,
        ]
        if record.error:
            parts.append(f"error: {record.error[:120]}")
        return "  ".join(parts)

    def trial_done(self, record: Any) -> None:
        """An observer: prints the trial's line and advances the bar."""
        self.message(self.line(record))
        if self.bar is not None:
            self.bar.update(1)

    def message(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=sys.stdout)

    def close(self, finished: bool = False) -> None:
        """Removes the bar. `finished`: the search ended as planned, with fewer
        trials than expected (a small space, a time budget), so the notebook
        bar closes as done rather than as stopped by an error."""
        if self.bar is not None:
            if finished and self.bar.total and self.bar.n < self.bar.total:
                self.bar.total = self.bar.n
            self.bar.close()
