"""Reopening a run for `RunFolder(if_exists="resume")`, whole or damaged.

keras-tuner keeps the search's state in `oracle.json` and one
`trial_<id>/trial.json` per trial; kerashp keeps one `TrialRecord` per
finished trial in `trials/`. All of them are written atomically
(`write_json`), so a crash leaves each file old or new, never half written;
the records also durably (synced), keras-tuner's files not: a power cut can
leave one empty, and it is rebuilt from the records.
A copy cut short, a full disk or a hand edit can still damage one; then
`reload_oracle` reopens the run with every intact trial instead of failing:

- a damaged `trial.json` of a finished trial is rebuilt from its record;
- a trial whose record is damaged or missing is run again (the same values);
- a trial recorded but not ended in keras-tuner's files (the process was
  killed between the two writes) is taken from its record;
- `oracle.json` (damaged or not) is rebuilt from the trials: their order,
  values and scores, the random draws' seed (kept from an `oracle.json` that
  lists every trial, else counted from the trials' values), and each
  algorithm's own part from the records:
  Hyperband's brackets from each trial's bracket, round and parent, ASHA's
  values from the scores trials reported (and its costs from the records'), TPE's study from their outcomes.

Each damaged file is reported once, by path (`RuntimeWarning`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras_tuner as kt
from keras_tuner.engine.trial import Trial

from kerashp._keras_tuner_compat import rebuild_brackets, record_values, retry, save_trial, seeds_drawn
from kerashp.exceptions import DamagedFileError
from kerashp.storage.run_store import RunStore, read_json, report_damage
from kerashp.tuning.trial import TrialRecord, TrialStatus

__all__ = ["reload_oracle"]

#: keras-tuner's statuses of a trial that ended.
FINISHED = ("COMPLETED", "FAILED", "INVALID")


def reload_oracle(
    oracle: kt.Oracle, store: RunStore, *, values_of: Callable[[TrialRecord], dict], declare: Callable[[], None]
) -> None:
    """Loads the run's search state into `oracle` (what keras-tuner's own
    `Oracle.reload` does), rebuilding it when any file is damaged.

    Args:
        oracle: A fresh oracle of the run's algorithm.
        store: The run's folder.
        values_of: The keras-tuner values of a record's trial.
        declare: Declares the search space on `oracle` (for a rebuilt state).
    """
    records, damaged = store.read_records()
    trials, damaged_trials = _read_trials(store.path)
    state = None
    if (store.path / "oracle.json").exists():
        try:
            state = read_json(store.path / "oracle.json")
        except DamagedFileError as err:
            _report(err)
    by_id = {r.trial_id: r for r in records}
    unrecorded = [t for t in trials.values() if t.status in FINISHED and t.trial_id not in by_id]
    unended = {t.trial_id for t in trials.values() if t.status not in FINISHED and t.trial_id in by_id}
    covered = state is not None and _covers(state, trials)  # it knows every trial: its seed is where the draws left it
    if covered and not (damaged or damaged_trials or unrecorded or unended):
        oracle.trials.update(trials)
        oracle.set_state(state)
        # keras-tuner saves `oracle.json` before it drops an ended trial from the ongoing ones: an ended trial
        # there (a process stopped in `on_trial_end`) is done, not to be run again
        retry(oracle, [t.trial_id for t in oracle.ongoing_trials.values() if t.status not in FINISHED])
        oracle.ongoing_trials = {}
        return
    for record in records:
        if record.trial_id not in trials or record.trial_id in unended:
            trials[record.trial_id] = _trial_from(record, oracle, values_of(record))
    for trial in unrecorded:
        trial.status = "RUNNING"  # finished, but its record is lost: run it again
    _fill_gaps(trials, store)
    oracle.trials.update(trials)
    declare()
    _rebuild_state(oracle, by_id, seed_state=state.get("seed_state") if covered else None)
    for trial in oracle.trials.values():
        save_trial(oracle, trial)
    oracle.save()
    warnings.warn(
        f"Rebuilt the search state of {store.path} from its {len(by_id)} intact trial records"
        + (f"; {len(unrecorded)} trial(s) without one will run again." if unrecorded else "."),
        RuntimeWarning, stacklevel=2,
    )


def _report(err: DamagedFileError) -> None:
    report_damage(err, "kerashp rebuilds it from the run's intact files.")


def _read_trials(folder: Path) -> tuple[dict[str, Trial], list[Path]]:
    trials, damaged = {}, []
    for path in sorted(folder.glob("trial_*/trial.json")):
        try:
            trial = Trial.from_state(read_json(path))
        except DamagedFileError as err:
            _report(err)
            damaged.append(path)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            _report(DamagedFileError(path, f"not a keras-tuner trial: {type(err).__name__}: {err}"))
            damaged.append(path)
        else:
            trials[trial.trial_id] = trial
    return trials, damaged


def _covers(state: dict, trials: dict[str, Trial]) -> bool:
    """Whether every trial `state` refers to was read."""
    try:
        ids = [*state["start_order"], *state["ongoing_trials"].values()]
    except (KeyError, TypeError, AttributeError):
        return False
    return set(ids) <= set(trials) and set(state["start_order"]) == set(trials)


def _trial_from(record: TrialRecord, oracle: kt.Oracle, values: dict) -> Trial:
    """keras-tuner's trial of a finished record: values, status, the objective per epoch, score."""
    hp = kt.HyperParameters()
    hp.values = dict(values)
    trial = Trial(hyperparameters=hp, trial_id=record.trial_id, status="FAILED" if record.status is TrialStatus.FAILED
                  else "COMPLETED")
    name = oracle.objective.name
    trial.metrics.register(name, direction=oracle.objective.direction)
    curve = record.history.get(name) or []
    first = (record.total_epochs or len(curve)) - len(curve)
    for epoch, value in enumerate(curve, start=first + 1):
        if value is not None:
            trial.metrics.update(name, float(value), step=epoch)
    if record.status is TrialStatus.COMPLETED:
        trial.score, trial.best_step = record.score, record.best_epoch or 0
    elif record.status is TrialStatus.PRUNED and curve:
        oracle.score_trial(trial)
    trial.message = record.error
    return trial


def _fill_gaps(trials: dict[str, Trial], store: RunStore) -> None:
    """Marks as failed the numbers below the last trial that nothing is left of
    (their files and records all damaged): keras-tuner numbers a new trial by
    the count of trials, which would otherwise reuse a number in use."""
    if not trials:
        return
    numbers = {int(trial_id) for trial_id in trials}
    width = len(min(trials, key=int))  # keras-tuner pads ids to the digits of max_trials at the time
    for number in range(max(numbers)):
        trial_id = f"{number:0{width}d}"
        if number not in numbers:
            trial = trials[trial_id] = Trial(hyperparameters=kt.HyperParameters(), trial_id=trial_id, status="FAILED")
            trial.message = "Its files were damaged; its values are lost."
            store.write_record(TrialRecord(number, trial_id, TrialStatus.FAILED, {}, error=trial.message))


def _rebuild_state(oracle: kt.Oracle, records: dict[str, TrialRecord], seed_state: int | None) -> None:
    """Sets `oracle`'s state from its `trials` alone, as keras-tuner would have
    left it had the unfinished ones never started: they are sent for retry.
    The random draws' seed is `seed_state` (from an `oracle.json` that knows
    every trial), else moved one step per value of each trial (`seeds_drawn`):
    where a random search left it, less any draws it rejected as duplicates,
    which a resumed draw repeats and rejects again."""
    order = sorted(oracle.trials, key=int)
    ended = [t for t in order if oracle.trials[t].status in FINISHED]
    fresh = oracle.get_state()
    state = {
        **fresh,
        "ongoing_trials": {},
        "start_order": order,
        "end_order": ended,
        "run_times": dict.fromkeys(ended, 1),
        "retry_queue": [],
        "seed_state": seed_state if isinstance(seed_state, int) else (
            fresh["seed_state"] + sum(seeds_drawn(oracle, oracle.trials[t]) for t in order)),
        "tried_so_far": [],
        "id_to_hash": {},
        "kerashp_cut": [t for t in ended if t in records and records[t].timed_out],  # partial: told so
    }
    if "kerashp_asha" in state:
        state["kerashp_asha"] = _asha_state(oracle, order, records)
    oracle.set_state(state)
    for trial_id in order:
        record_values(oracle, oracle.trials[trial_id])
    retry(oracle, [t for t in reversed(order) if t not in ended])  # keras-tuner pops the last first
    if isinstance(oracle, kt.oracles.HyperbandOracle):
        rebuild_brackets(oracle, order)


def _asha_state(oracle: Any, order: list[str], records: dict[str, TrialRecord]) -> dict:
    """ASHA's values from the objective each trial reported per epoch, its
    costs from the records of the trials that reported theirs, and which
    trials it stopped."""
    pruner = oracle.pruner.fresh()
    for record in sorted(records.values(), key=lambda r: r.number):
        if record.cost.get("reported"):
            pruner.measured(*record.cost["reported"])
    name = oracle.objective.name
    for trial_id in order:
        trial = oracle.trials[trial_id]
        last = int(trial.hyperparameters.values.get("epochs", oracle.epochs))
        if trial.metrics.exists(name):
            for observation in trial.metrics.get_history(name):
                pruner.keep(trial_id, int(observation.step), float(observation.value[0]), last)
    pruned = {r.trial_id: r.state.get("pruned_at", r.total_epochs) for r in records.values()
              if r.status is TrialStatus.PRUNED}
    return {**pruner.get_state(), "pruned": pruned}
