"""Searching: `tune` over the registered algorithms (`kerashp.tuning.algorithms`),
its typed trial records and observers, its results, and the run folders they
live in (`kerashp.tuning.storage`)."""

from kerashp.tuning.objective import Objective, as_objective
from kerashp.tuning.result import TuneResult, load_result
from kerashp.tuning.trial import TrialRecord, TrialStatus
from kerashp.tuning.tune import parse_duration, tune

__all__ = [
    "Objective",
    "TrialRecord",
    "TrialStatus",
    "TuneResult",
    "as_objective",
    "load_result",
    "parse_duration",
    "tune",
]
