"""scikit-learn estimators and search-space conversions for kerashp builders.

`param_grid` and `param_distributions` load without TensorFlow; the
estimators load TensorFlow (through scikeras) the first time they are used.

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
    from kerashp.sklearn._estimators import KerasClassifier, KerasRegressor  # noqa: F401


def __getattr__(name: str) -> Any:
    if name in ("KerasClassifier", "KerasRegressor"):
        value = getattr(importlib.import_module("kerashp.sklearn._estimators"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kerashp.sklearn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
