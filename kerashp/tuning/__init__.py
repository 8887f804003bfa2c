"""Searching: `tune` (keras-tuner oracles, or scikit-learn with `cv=`), its
results, and the run folders they live in."""

from kerashp.tuning.objective import Objective, as_objective
from kerashp.tuning.result import TuneResult, load_result
from kerashp.tuning.tune import ALGORITHMS, parse_duration, tune

__all__ = ["ALGORITHMS", "Objective", "TuneResult", "as_objective", "load_result", "parse_duration", "tune"]
