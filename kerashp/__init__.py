"""kerashp: hyperparameter tuning for Keras models.

`import kerashp` is cheap: TensorFlow, Keras, pandas and matplotlib load only
when a function that needs them runs.

Example:
    >>> import kerashp as khp
    >>> space = {"units": khp.Int(16, 256, log=True), "activation": ["relu", "tanh"]}
    >>> result = khp.tune(khp.builders.mlp, space, data="digits", max_trials=5)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kerashp.exceptions import (
    ArgumentError,
    DamagedFileError,
    DataError,
    FailedTrialError,
    InvalidModelError,
    KerashpError,
    RunFolderError,
    SpaceError,
)
from kerashp.space import Bool, Choice, Fixed, Float, Int, Space

__version__ = "0.2.0.dev0"

__all__ = [
    "ArgumentError",
    "Bool",
    "Choice",
    "DamagedFileError",
    "Data",
    "DataError",
    "Execution",
    "FailedTrialError",
    "Fixed",
    "Float",
    "Int",
    "InvalidModelError",
    "KerashpError",
    "RunFolder",
    "RunFolderError",
    "Space",
    "SpaceError",
    "TrialRecord",
    "TrialStatus",
    "TuneResult",
    "algorithms",
    "builders",
    "callbacks",
    "datasets",
    "exceptions",
    "options",
    "load_result",
    "parallel",
    "plots",
    "pruners",
    "reporting",
    "sklearn",
    "storage",
    "tune",
    "tuning",
]

_SUBMODULES = {"algorithms", "builders", "callbacks", "cli", "datasets", "parallel", "options", "plots", "pruners",
               "reporting", "sklearn", "storage", "tuning"}
_LAZY_ATTRS = {
    "Data": "kerashp.options",
    "RunFolder": "kerashp.options",
    "Execution": "kerashp.options",
    "tune": "kerashp.tuning.search",
    "TuneResult": "kerashp.tuning.result",
    "load_result": "kerashp.tuning.result",
    "TrialRecord": "kerashp.tuning.trial",
    "TrialStatus": "kerashp.tuning.trial",
}

if TYPE_CHECKING:  # pragma: no cover
    from kerashp import (  # noqa: F401
        algorithms,
        builders,
        callbacks,
        datasets,
        parallel,
        plots,
        pruners,
        reporting,
        sklearn,
        storage,
        tuning,
    )
    from kerashp.options import Data, Execution, RunFolder  # noqa: F401
    from kerashp.tuning.result import TuneResult, load_result  # noqa: F401
    from kerashp.tuning.search import tune  # noqa: F401
    from kerashp.tuning.trial import TrialRecord, TrialStatus  # noqa: F401


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"kerashp.{name}")
        globals()[name] = module
        return module
    if name in _LAZY_ATTRS:
        value = getattr(importlib.import_module(_LAZY_ATTRS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kerashp' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
