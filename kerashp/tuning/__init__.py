"""Searching: `tune` over the registered algorithms (`kerashp.algorithms`),
its typed trial records, its results and the trial machinery between them.
Names here load on first use, so the run store (`kerashp.storage`) can use
`TrialRecord` without loading the search."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

_HOMES = {
    "Objective": "objective", "as_objective": "objective",
    "TuneResult": "result", "load_result": "result",
    "TrialRecord": "trial", "TrialStatus": "trial",
    "parse_duration": "search", "tune": "search",
}

if TYPE_CHECKING:  # pragma: no cover
    from kerashp.tuning.objective import Objective, as_objective  # noqa: F401
    from kerashp.tuning.result import TuneResult, load_result  # noqa: F401
    from kerashp.tuning.search import parse_duration, tune  # noqa: F401
    from kerashp.tuning.trial import TrialRecord, TrialStatus  # noqa: F401


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        value = getattr(importlib.import_module(f"kerashp.tuning.{_HOMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kerashp.tuning' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
