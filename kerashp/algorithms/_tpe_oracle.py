"""A keras-tuner `Oracle` whose proposals come from Optuna's `TPESampler`.

It drives an in-memory Optuna study by ask and tell: `populate_space` asks
and suggests the active entries in space order (`_optuna.suggest`),
`end_trial` tells the outcome — COMPLETE with the trial's score, PRUNED with
the last value ASHA saw (as Optuna's own pruners leave it), FAIL otherwise.

Resuming: Optuna's sampler draws from one random state that telling finished
trials into a new study does not restore, so the oracle keeps the asks and
tells in order in its state (`oracle.json`) and replays them on reload; a
resumed run then proposes exactly what an uninterrupted one would. If a
replayed ask no longer draws the values that ran (another Optuna version),
the study is rebuilt from the trials themselves instead: nothing is lost,
only the exact continuation of the random stream.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Mapping
from typing import Any

import keras_tuner as kt
import optuna
from optuna.trial import TrialState

from kerashp._keras_tuner_compat import DurableOracle, PrunerMixin, QueueMixin
from kerashp.algorithms._keras_tuner import to_values
from kerashp.algorithms._optuna import distributions, suggest
from kerashp.space import Space

__all__ = ["TPEOracle", "make_sampler"]


def make_sampler(seed: int | None) -> optuna.samplers.TPESampler:
    """kerashp's TPE sampler: joint over the active entries (`multivariate`,
    `group` for conditional spaces), running trials held at a bad value so
    parallel workers spread out (`constant_liar`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True, constant_liar=True)


@contextlib.contextmanager
def _quiet_optuna():
    """Optuna logs every study and trial at INFO; kerashp prints its own progress."""
    logger = logging.getLogger("optuna")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


class TPEOracle(DurableOracle, QueueMixin, PrunerMixin, kt.Oracle):
    """Args:
        space: The kerashp `Space`.
        sampler_seed: Seed of the TPE sampler (`None`: random).
        prior: `(values, score)` of an earlier run's trials (`warm_start`).
        **kwargs: keras-tuner `Oracle` arguments.
    """

    def __init__(self, space: Space, *, sampler_seed: int | None, prior: list[tuple[dict, float]], **kwargs: Any):
        super().__init__(**kwargs)
        self.space = space
        self._dists = distributions(space)
        self._sampler_seed = sampler_seed
        self._prior = [(dict(values), float(score)) for values, score in prior]
        self._events: list[list] = []
        self._new_study()

    # the study ------------------------------------------------------------------
    def _new_study(self) -> None:
        direction = "maximize" if self.objective.direction == "max" else "minimize"
        with _quiet_optuna():
            self.study = optuna.create_study(direction=direction, sampler=make_sampler(self._sampler_seed))
        for values, score in self._prior:
            self._add(values, TrialState.COMPLETE, score)
        self._asked: dict[str, optuna.Trial] = {}
        self._last: dict[str, list] = {}  # trial id -> [step, value] of its last report

    def _add(self, values: Mapping[str, Any], state: TrialState, value: float | None, last: list | None = None) -> None:
        self.study.add_trial(optuna.trial.create_trial(
            params=dict(values), distributions={k: self._dists[k] for k in values}, state=state,
            value=value if state == TrialState.COMPLETE else None,
            intermediate_values={int(last[0]): float(last[1])} if last else None,
        ))

    def _ask(self, trial_id: str, queued: dict | None) -> dict:
        if queued is not None:
            self.study.enqueue_trial(queued, skip_if_exists=False)
        trial = self.study.ask()
        self._asked[trial_id] = trial
        return to_values(self.space, self.space.complete(suggest(trial, self.space, self._dists)))

    def _tell(self, trial_id: str, state: str, value: float | None, last: list | None) -> None:
        trial = self._asked.pop(trial_id)
        if state == "PRUNED" and last:
            trial.report(float(last[1]), int(last[0]))
        with _quiet_optuna():
            self.study.tell(trial, value if state == "COMPLETE" else None, state=TrialState[state])

    # keras-tuner's Oracle ----------------------------------------------------------
    def populate_space(self, trial_id: str) -> dict:
        queued = self.pop_queued()
        values = self._ask(trial_id, queued)
        self._events.append(["ask", trial_id, queued])
        return {"status": "RUNNING", "values": values}

    def on_report(self, trial_id: str, metrics: dict, step: int) -> None:
        value = metrics.get(self.objective.name)
        if value is not None:
            self._last[trial_id] = [int(step), float(value)]

    @kt.synchronized
    def end_trial(self, trial: Any) -> None:
        super().end_trial(trial)
        trial_id = trial.trial_id
        status = self.trials[trial_id].status
        if trial_id in getattr(self, "pruned", {}) or trial_id in getattr(self, "cut", ()):  # a partial curve
            outcome = ["PRUNED", None, self._last.get(trial_id)]
        elif status == "COMPLETED":
            outcome = ["COMPLETE", float(self.trials[trial_id].score), None]
        elif status == "FAILED":
            outcome = ["FAIL", None, None]
        else:
            return  # sent back for a retry: it will end again
        self._tell(trial_id, *outcome)
        self._events.append(["tell", trial_id, *outcome])
        self.save()

    def get_state(self) -> dict[str, Any]:
        return {**super().get_state(), "kerashp_tpe": {"events": self._events}}

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self._events = [list(e) for e in (state.get("kerashp_tpe") or {}).get("events", [])]
        if not self._replay():
            self._rebuild()

    def _replay(self) -> bool:
        """Asks and tells again in the original order; whether every ask drew the values that ran."""
        self._new_study()
        if set(self.trials) - {e[1] for e in self._events if e[0] == "ask"}:
            return False  # trials the log does not cover (a log lost or cut short)
        for event in self._events:
            if event[0] == "ask":
                trial_id = event[1]
                if (trial_id in self.trials
                        and self._ask(trial_id, event[2]) != self.trials[trial_id].hyperparameters.values):
                    return False
            elif event[1] in self._asked:
                self._tell(*event[1:])
        return True

    def _rebuild(self) -> None:
        """The study from the trials' own outcomes (when the log cannot be replayed)."""
        self._new_study()
        ongoing = {trial.trial_id for trial in self.ongoing_trials.values()}
        for trial_id in self.start_order:
            trial = self.trials[trial_id]
            values = trial.hyperparameters.values
            if trial_id in ongoing or trial.status == "RUNNING":  # asked again, told when it ends
                self._ask(trial_id, values)
            elif trial_id in self.pruned or trial_id in getattr(self, "cut", ()):  # a partial curve
                history = trial.metrics.get_history(self.objective.name)
                self._add(values, TrialState.PRUNED, None,
                          [history[-1].step, history[-1].value[0]] if history else None)
            elif trial.status == "COMPLETED" and trial.score is not None:
                self._add(values, TrialState.COMPLETE, float(trial.score))
            else:
                self._add(values, TrialState.FAIL, None)
