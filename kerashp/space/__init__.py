"""The dict search space.

- `_entries`: `Int`, `Float`, `Choice`, `Bool`, `Fixed` (ranges and values,
  each checking itself) and how plain dict values become entries.
- `_space`: `Space` (validation, conditions, grid, completion, config).

How a space becomes keras-tuner `HyperParameters` lives with the algorithms
(`kerashp.algorithms`); scikit-learn grids and distributions with the
estimators (`kerashp.sklearn`).

Example:
    >>> space = Space({"units": Int(16, 64), "opt": ["adam", "sgd"],
    ...                "momentum": Float(0.0, 0.9, when={"opt": "sgd"})})
    >>> space.grid_size()  # doctest: +SKIP
"""

from kerashp.space._entries import Bool, Choice, Entry, Fixed, Float, Int
from kerashp.space._space import Space, as_space

__all__ = ["Bool", "Choice", "Entry", "Fixed", "Float", "Int", "Space", "as_space"]
