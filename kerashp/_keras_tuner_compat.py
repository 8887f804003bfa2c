"""keras-tuner's private API, in one place: every use of a `keras_tuner.src`
module or a `_`-prefixed keras-tuner attribute in kerashp is here
(`tests/test_keras_tuner_compat.py` fails on one anywhere else), which is
why pyproject pins keras-tuner to 1.4 and why an upgrade starts here.

What it holds:

- what kerashp adds to keras-tuner's oracles: durable state files, queued
  configurations (`initial=`), an earlier run's trials for the Bayesian
  model (`PriorTrials`), every proposal inside its bounds, the ASHA pruner
  in `update_trial`, a typed stop after too many failed trials, and their
  common arguments;
- the search state rebuilt from records (`save_trial`, `record_values`,
  `retry`, `rebuild_brackets`, for `kerashp.storage.recovery`);
- the tuner's hooks (`TunerBase`: `declare_space`, `run_and_report`,
  `state_file`);
- the oracle messages (protos) and trial classes the driver answers and its
  workers send (`protos`, `ClientOracle`), and a keras-tuner hp's scoped name.

The algorithm modules import it only when they make an oracle, so the
registry itself stays cheap to import.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any

import keras_tuner as kt
from keras_tuner.engine.base_tuner import BaseTuner
from keras_tuner.src import config as kt_config
from keras_tuner.src import protos  # noqa: F401 (served and called by kerashp.parallel.oracle_service)
from keras_tuner.src.engine import conditions as conditions_module  # noqa: F401
from keras_tuner.src.engine import hyperparameters as hp_module  # noqa: F401
from keras_tuner.src.engine import metrics_tracking
from keras_tuner.src.engine import oracle as oracle_module
from keras_tuner.src.engine import trial as trial_module

from kerashp._seeding import keras_tuner_seed
from kerashp.exceptions import TooManyFailuresError
from kerashp.pruners.asha import COST_KEYS, Rungs
from kerashp.storage.run_store import error_summary, write_text

__all__ = [
    "CUT_KEY", "ClientOracle", "DurableOracle", "InBounds", "PriorTrials", "PrunerMixin", "QueueFirst",
    "QueueInBrackets", "QueueMixin", "TunerBase", "in_bounds", "oracle_kwargs", "quiet", "rebuild_brackets",
    "record_values", "retry", "save_trial", "scoped_name",
]

# keras-tuner prints every failed trial's traceback when DEBUG is on (its
# default); kerashp records the error in the trial's record and prints one line.
kt_config.DEBUG = False


#: The metric a tuner adds to a trial's last report when the time budget cut
#: it short: the oracle notes it (`DurableOracle.cut`) instead of keeping a metric.
CUT_KEY = "kerashp/timed_out"


class DurableOracle:
    """keras-tuner's state files (`oracle.json`, `trial_<id>/trial.json`)
    written as keras-tuner writes them, but atomically and durably: a crash
    mid-write leaves the old file whole (keras-tuner writes in place).

    It also notes the trials the time budget cut short (`cut`, from
    `CUT_KEY`), for an algorithm that can take a partial result as what it
    is (TPE tells Optuna a pruned trial)."""

    def update_trial(self, trial_id: str, metrics: dict, step: int = 0) -> Any:
        metrics = dict(metrics)  # from a worker, a protobuf map
        if metrics.pop(CUT_KEY, None):
            self.cut = {*getattr(self, "cut", ()), trial_id}
        return super().update_trial(trial_id, metrics, step=step)

    def get_state(self) -> dict:
        return {**super().get_state(), "kerashp_cut": sorted(getattr(self, "cut", ()), key=int)}

    def set_state(self, state: dict) -> None:
        self.cut = set(state.get("kerashp_cut") or ())  # before an algorithm's own state is rebuilt on it
        super().set_state(state)

    def save(self) -> None:
        write_state(self._get_oracle_fname(), self.get_state())

    def _check_consecutive_failures(self) -> None:
        """keras-tuner's rule (the trials ended last, in order), noted rather
        than raised: the trial that reached it is saved and recorded like any
        other, and the next `create_trial` raises `TooManyFailuresError`."""
        run = 0
        for trial_id in self.end_order:
            trial = self.trials[trial_id]
            run = run + 1 if trial.status == "FAILED" else 0
            if run >= self.max_consecutive_failed_trials:
                self.failing = TooManyFailuresError(
                    f"The search stopped: {run} trials in a row failed. Last error: {error_summary(trial.message)}")

    def create_trial(self, tuner_id: str) -> Any:
        if getattr(self, "failing", None) is not None:
            raise self.failing
        return super().create_trial(tuner_id)

    def _save_trial(self, trial: Any) -> None:
        write_state(Path(self._get_trial_dir(trial.trial_id)) / "trial.json", trial.get_state())


#: keras-tuner's lookup of a metric's direction among Keras's metrics (about 1 ms), once per name.
_keras_metric_direction = functools.lru_cache(maxsize=256)(metrics_tracking.infer_metric_direction)


def write_state(path: str | Path, state: dict) -> None:
    """Writes one of keras-tuner's state files (`oracle.json`, `trial.json`,
    `tuner0.json`) whole, but not synced to the disk: after a power cut
    `reload_oracle` rebuilds it from the trial records, which are synced."""
    write_text(Path(path), json.dumps(state), sync=False)


def oracle_kwargs(objective: Any, seed: int | None) -> dict[str, Any]:
    """The arguments every keras-tuner oracle of kerashp gets."""
    return {
        "objective": kt.Objective(objective.name, objective.direction),
        "seed": keras_tuner_seed(seed),
        "max_consecutive_failed_trials": 10,
    }


class QueueMixin:
    """Proposes queued configurations (`tune(initial=...)`) before the oracle's
    own, skipping any a resumed run has already tried."""

    _queue: list[dict]

    def set_queue(self, queue: list[dict]) -> None:
        self._queue = [dict(values) for values in queue]

    def pop_queued(self) -> dict | None:
        while getattr(self, "_queue", None):
            values = self._queue.pop(0)
            if self._compute_values_hash(values) not in self._tried_so_far:
                return values
        return None


class QueueFirst(QueueMixin):
    """Queued configurations before every proposal of the oracle."""

    def populate_space(self, trial_id: str) -> dict:
        queued = self.pop_queued()
        if queued is not None:
            return {"status": "RUNNING", "values": queued}
        return super().populate_space(trial_id)


class QueueInBrackets(QueueMixin):
    """Queued configurations as the first new candidates of Hyperband's brackets."""

    def _random_values(self) -> dict | None:
        queued = self.pop_queued()
        return queued if queued is not None else super()._random_values()


def in_bounds(hp: Any, value: Any) -> Any:
    """`value` of keras-tuner hyperparameter `hp` put back inside its declared range.

    keras-tuner's integer conversion maps the probability 1.0 to `max_value + 1`
    (it assumes `[0, 1)`), and its Bayesian oracle optimizes over the closed
    `[0, 1]`, so a proposal can leave the range; a stepped value is also
    snapped onto its grid (`low + k * step`, rounded like `Float.values()`).
    """
    low, high = getattr(hp, "min_value", None), getattr(hp, "max_value", None)
    if low is None or high is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    step = getattr(hp, "step", None)
    whole = isinstance(value, int)
    if step and getattr(hp, "sampling", "linear") == "linear":
        last = math.floor((high - low) / step + 1e-9)
        value = low + min(max(round((value - low) / step), 0), last) * step
    else:
        value = min(max(value, low), high)
    return int(round(value)) if whole else float(round(value, 12))


class InBounds:
    """Every proposal of the oracle inside the declared ranges (`in_bounds`)."""

    def populate_space(self, trial_id: str) -> dict:
        response = super().populate_space(trial_id)
        if response.get("values"):
            hps = {hp.name: hp for hp in self.hyperparameters.space}
            response["values"] = {k: in_bounds(hps[k], v) if k in hps else v for k, v in response["values"].items()}
        return response


def quiet(oracle: Any) -> Any:
    oracle.verbose = 0  # kerashp prints its own progress
    return oracle


class PrunerMixin:
    """An optional ASHA pruner in `update_trial`.

    A trial the pruner stops gets status `"STOPPED"` in the answer to
    `update_trial` (from workers too) and is remembered in `pruned` (trial id ->
    the epoch it was stopped at). A trial's cost report (`asha.COST_KEYS`,
    sent with its second epoch) goes to the pruner and not into the trial's
    metrics. Per-epoch reports do not rewrite the trial's file, as
    keras-tuner's base `update_trial` does at every call; `end_trial` writes it.
    """

    pruner: Rungs | None = None

    def set_pruner(self, pruner: Rungs | None, epochs: int) -> None:
        """`pruner` (or `None`) for trials of `epochs` epochs (unless the space
        searches `epochs`): one that reaches its last epoch has completed,
        whatever the rung there says."""
        self.pruner = pruner
        self.epochs = int(epochs)
        self.pruned: dict[str, int] = {}

    @kt.synchronized
    def update_trial(self, trial_id: str, metrics: dict, step: int = 0) -> Any:
        trial = self.trials[trial_id]
        metrics = dict(metrics)  # from a worker, a protobuf map
        costs = [metrics.pop(key) for key in COST_KEYS if key in metrics]
        if self.pruner is not None and len(costs) == len(COST_KEYS):
            self.pruner.measured(*costs)
        self._check_objective_found(metrics)
        for name, value in metrics.items():
            if not trial.metrics.exists(name):
                trial.metrics.register(name, direction=self._direction(name))
            trial.metrics.update(name, value, step=step)
        value = metrics.get(self.objective.name)
        if self.pruner is not None and value is not None and trial.status == "RUNNING":
            last = int(trial.hyperparameters.values.get("epochs", self.epochs))  # epochs may be searched
            if not self.pruner.keep(trial_id, int(step), float(value), last):
                trial.status = "STOPPED"
                self.pruned[trial_id] = int(step)
        self.on_report(trial_id, metrics, step)
        return trial

    def _direction(self, name: str) -> str:
        """A metric's direction, as keras-tuner infers it: the objective's, else
        that of Keras's metric of that name (looked up once per name), else min."""
        direction = oracle_module._maybe_infer_direction_from_objective(self.objective, name)
        return direction or _keras_metric_direction(name) or "min"

    def on_report(self, trial_id: str, metrics: dict, step: int) -> None:
        """Hook for oracles that pass intermediate values on (TPE)."""

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        if self.pruner is not None:
            state["kerashp_asha"] = {**self.pruner.get_state(), "pruned": self.pruned}
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        if self.pruner is not None and "kerashp_asha" in state:
            self.pruner.set_state(state["kerashp_asha"])
            self.pruned = dict(state["kerashp_asha"].get("pruned") or {})


class PriorTrials:
    """An earlier run's completed trials (`set_prior`) among the trials the
    Bayesian model is fitted on: seen by the model, never run again, not
    counted towards `max_trials`."""

    def set_prior(self, prior: list[tuple[dict, float]]) -> None:
        self._prior_observations = list(prior)

    def populate_space(self, trial_id: str) -> dict:
        own = self.trials
        self.trials = {**self._prior_trials(), **own}
        try:
            return super().populate_space(trial_id)
        finally:
            self.trials = own

    def _prior_trials(self) -> dict:
        if not hasattr(self, "_prior"):  # built once the tuner has declared the space
            self._prior = {}
            for i, (values, score) in enumerate(getattr(self, "_prior_observations", [])):
                hps = self.hyperparameters.copy()
                hps.values = dict(values)
                trial = trial_module.Trial(hyperparameters=hps, trial_id=f"prior-{i}", status="COMPLETED")
                trial.score = score
                self._prior[trial.trial_id] = trial
                self._tried_so_far.add(self._compute_values_hash(values))
        return self._prior


# the search state, rebuilt from records (kerashp.storage.recovery) -------------
def save_trial(oracle: Any, trial: Any) -> None:
    """Writes `trial`'s `trial.json` as the oracle does."""
    oracle._save_trial(trial)


def record_values(oracle: Any, trial: Any) -> None:
    """Notes `trial`'s values as tried, as the oracle does when one ends."""
    oracle._record_values(trial)


def retry(oracle: Any, trial_ids: list[str]) -> None:
    """Sends the trials `trial_ids` back to be run again (keras-tuner's retry queue)."""
    for trial_id in trial_ids:
        if trial_id not in oracle._retry_queue:
            oracle._retry_queue.append(trial_id)


def seeds_drawn(oracle: Any, trial: Any) -> int:
    """How far keras-tuner's random draw (`Oracle._random_values`) moved the
    oracle's seed for `trial`: one step per hyperparameter active in its values,
    none for a Hyperband trial trained on from another (its values are copied).
    A draw rejected as a duplicate is not counted: resumed, the draw repeats it
    and rejects it again."""
    values = trial.hyperparameters.values
    if values.get("tuner/trial_id") is not None:
        return 0
    hps, count = kt.HyperParameters(), 0
    for hp in oracle.hyperparameters.space:
        hps.merge([hp])
        if hps.is_active(hp):
            hps.values[hp.name] = values.get(hp.name, hp.default)
            count += 1
    return count


def rebuild_brackets(oracle: Any, order: list[str]) -> None:
    """Hyperband's brackets, replayed from each trial's bracket, round and parent
    the way its `populate_space` filled them."""
    for trial_id in order:
        values = oracle.trials[trial_id].hyperparameters.values
        bracket, round_ = values.get("tuner/bracket"), values.get("tuner/round")
        if bracket is None or round_ is None:
            continue
        oracle._remove_completed_brackets()
        if round_ == 0:
            open_ = [b for b in oracle._brackets if len(b["rounds"][0]) < oracle._get_size(b["bracket_num"], 0)]
            if not open_:
                oracle._increment_bracket_num()
                oracle._start_new_bracket()
                open_ = [oracle._brackets[-1]]
            open_[0]["rounds"][0].append({"past_id": None, "id": trial_id})
            continue
        parent = values.get("tuner/trial_id")
        for b in oracle._brackets:
            if round_ < len(b["rounds"]) and any(info["id"] == parent for info in b["rounds"][round_ - 1]):
                b["rounds"][round_].append({"past_id": parent, "id": trial_id})
                break


# the tuner ---------------------------------------------------------------------
class TunerBase(BaseTuner):
    """keras-tuner's `BaseTuner` with its private hooks under public names:
    `declare_space` (its `_populate_initial_space`), `run_and_report` (its
    `_run_and_update_trial`) and `state_file` (its tuner file)."""

    def _populate_initial_space(self) -> None:
        self.declare_space()

    def _run_and_update_trial(self, trial: Any, *args: Any, **kwargs: Any) -> None:
        self.run_and_report(trial)

    def declare_space(self) -> None:
        """Declares the search space on the oracle."""
        raise NotImplementedError

    def run_and_report(self, trial: Any) -> None:
        """Runs `trial` and reports its metrics to the oracle."""
        raise NotImplementedError

    @property
    def state_file(self) -> Path:
        return Path(self._get_tuner_fname())


# serving the oracle (kerashp.parallel.oracle_service) -----------------------------
class ClientOracle(kt.Oracle):
    """An oracle whose state another process keeps: no project folder of its own."""

    def _set_project_dir(self, directory: str, project_name: str) -> None:
        pass


def scoped_name(hp: Any, name: str) -> str:
    """`name` with the prefixes of the `hp.name_scope`s it is declared in."""
    return hp._get_name(name)
