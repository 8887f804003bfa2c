"""scikit-learn estimators and search-space conversions for kerashp builders.

- `_params`: `param_grid`, `param_distributions` (load without TensorFlow).
- `_base`: `BaseKerasEstimator`, the shared wrapper (fitting, validation
  carving, callbacks, prediction).
- `_classifier`: `KerasClassifier`; `_regressor`: `KerasRegressor`. They load
  TensorFlow (through scikeras) the first time they are used.
- `_validation`: checks and pickling helpers, without TensorFlow.

Example:
    >>> from sklearn.model_selection import GridSearchCV
    >>> import kerashp as khp
    >>> space = {"units": [32, 64], "optimizer": ["adam", "sgd"], "batch_size": [16, 32]}
    >>> est = khp.sklearn.KerasClassifier(khp.builders.mlp, epochs=20)
    >>> gs = GridSearchCV(est, khp.sklearn.param_grid(space), cv=3).fit(X, y)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kerashp.sklearn._params import param_distributions, param_grid

__all__ = ["KerasClassifier", "KerasRegressor", "param_distributions", "param_grid"]

if TYPE_CHECKING:  # pragma: no cover
    from kerashp.sklearn._classifier import KerasClassifier  # noqa: F401
    from kerashp.sklearn._regressor import KerasRegressor  # noqa: F401

# The estimators import TensorFlow (through scikeras): loaded on first use.
_LAZY = {"KerasClassifier": "kerashp.sklearn._classifier", "KerasRegressor": "kerashp.sklearn._regressor"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kerashp.sklearn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
