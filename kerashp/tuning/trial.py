"""`TrialRecord`: what kerashp keeps of one finished trial, and `TrialStatus`;
`summarize` fills a record from the fits of its splits (`Fit`).

A record is written once, when its trial ends (`kerashp.storage.run_store`), and
is what every observer of a search receives: the run folder, the progress
display, a user's `on_trial_end`. It carries what an algorithm needs to
rebuild its state from the records alone (`state`: Hyperband's bracket, round
and parent; the epoch a pruned trial was stopped at).
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Fit", "TrialRecord", "TrialStatus", "summarize"]


class TrialStatus(str, enum.Enum):
    """How a trial ended: `COMPLETED`, `FAILED` (an error, or a score that is
    not finite), or `PRUNED` (stopped early by the algorithm; its score is the
    last value it reported)."""

    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    PRUNED = "PRUNED"

    def __str__(self) -> str:
        return self.value


@dataclass
class TrialRecord:
    """One finished trial.

    Attributes:
        number: The trial's number in its run, from 0 (keras-tuner's id as an int).
        trial_id: keras-tuner's id of the trial (zero-padded, as in its files).
        status: A `TrialStatus`.
        params: Every hyperparameter the trial used, fixed ones included.
        score: The objective at the best epoch (the mean over folds with
            `cv`); `None` when the trial failed.
        epochs: Epochs trained in this trial (per fold with `cv`).
        total_epochs: Epochs the model has seen, a promoted parent's included.
        best_epoch: The epoch (from 1, counting a parent's) of `score`.
        stopped_epoch: The epoch a callback or the algorithm stopped at, if any.
        seconds: Wall time of the trial.
        history: Metric name -> one value per epoch trained in this trial
            (the mean over folds with `cv`).
        metrics: Metric name -> its value at the best epoch (the mean over
            folds of each fold's best epoch with `cv`); ties on `score` are
            broken by the loss here (`Objective.rank`).
        error: The error of a failed trial.
        fold_scores: Each fold's score with `cv`, else `None`.
        score_std: Their standard deviation, else `None`.
        timed_out: The time budget ran out during the trial.
        state: What the algorithm needs to rebuild its state (Hyperband:
            `bracket`, `round`, `parent`; `pruned_at`, the epoch a pruner
            stopped the trial at).
        cost: Seconds of its (first fold's) model: `build` (to the first
            epoch's start), `first_epoch` (it traces and compiles a new
            model's steps), `epoch` (median of the later ones), and whether
            the model's compiled steps were `reused` from an earlier trial
            (`kerashp.tuning.model_pool`); `reported`: the `[model seconds,
            epoch seconds]` sent to ASHA's first-rung rule, if any.

    Example:
        >>> record = result.records[0]
        >>> record.number, record.status, record.score
    """

    number: int
    trial_id: str
    status: TrialStatus
    params: dict[str, Any]
    score: float | None = None
    epochs: int | None = None
    total_epochs: int | None = None
    best_epoch: int | None = None
    stopped_epoch: int | None = None
    seconds: float | None = None
    history: dict[str, list[float]] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    fold_scores: list[float | None] | None = None
    score_std: float | None = None
    timed_out: bool = False
    state: dict[str, Any] = field(default_factory=dict)
    cost: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.status = TrialStatus(self.status)

    @property
    def completed(self) -> bool:
        return self.status is TrialStatus.COMPLETED and self.score is not None

    @property
    def pruned(self) -> bool:
        """Stopped early by the algorithm (kerashp 0.1 records kept its rung)."""
        return "pruned_at" in self.state or "rung" in self.state

    @property
    def promoted_from(self) -> str | None:
        """The trial id of a promoted Hyperband trial's parent."""
        return self.state.get("parent")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict that `TrialRecord.from_dict` reads back."""
        out = dataclasses.asdict(self)
        out["status"] = self.status.value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrialRecord:
        """Reads a record, including those of kerashp 0.1.0 (no `number`, the
        parent in `promoted_from`); keys it does not know are ignored."""
        data = dict(data)
        known = {f.name for f in dataclasses.fields(cls)}
        state = dict(data.get("state") or {})
        if data.get("promoted_from") is not None:
            state.setdefault("parent", data["promoted_from"])
        data["state"] = state
        data.setdefault("number", int(data["trial_id"]))
        data["history"] = data.get("history") or {}
        data["metrics"] = data.get("metrics") or {}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Fit:
    """What one fit of a trial (one split, or one fold with `cv`) left."""

    history: dict[str, list[float]]
    best: int  # index of the best epoch in `history`
    score: float
    timed_out: bool
    pruned_at: int | None = None  # the epoch the pruner stopped the trial at


def summarize(record: TrialRecord, fits: list[Fit], *, epochs: int, initial_epoch: int, folds: int | None) -> dict:
    """Fills `record` from the fits of its splits; returns the metrics the oracle scores."""
    trained = max(len(next(iter(f.history.values()), [])) for f in fits)
    best_epochs = [initial_epoch + f.best + 1 for f in fits]
    stopped = [initial_epoch + len(next(iter(f.history.values()), [])) for f in fits]
    record.epochs, record.total_epochs = trained, initial_epoch + trained
    record.timed_out = any(f.timed_out for f in fits)
    record.stopped_epoch = max(stopped) if all(s < epochs for s in stopped) else None
    names = [k for k in fits[0].history if all(k in f.history for f in fits)]
    metrics = record.metrics = {k: float(np.mean([f.history[k][f.best] for f in fits])) for k in names}
    if folds is None:
        record.history, record.score, record.best_epoch = fits[0].history, fits[0].score, best_epochs[0]
        return metrics
    length = min(len(f.history[names[0]]) for f in fits)
    record.history = {k: [float(np.mean([f.history[k][i] for f in fits])) for i in range(length)] for k in names}
    record.fold_scores = [f.score for f in fits]
    record.score = float(np.mean(record.fold_scores))
    record.score_std = float(np.std(record.fold_scores))
    record.best_epoch = int(round(float(np.mean(best_epochs))))
    return metrics
