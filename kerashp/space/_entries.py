"""The entry types of a dict search space. An entry describes a range or a set
of values, checks itself and says what it contains; drawing values from it is
the business of the algorithm that searches it.

A space is a plain dict from hyperparameter name to one of:

- `Int(low, high)`, `Float(low, high)`, `Choice([...])`, `Bool()`, `Fixed(v)`;
- a list: a categorical choice, the same as `Choice(list)`;
- a `(low, high)` tuple: a uniform range (`Float` if either end is a float,
  else `Int`);
- any other value: fixed.

Every entry type takes `when={"other_key": value_or_values}`: the entry exists
only in the trials where `other_key` takes one of those values.

Each entry also names its `center()`, the value a search tries first: the
middle of a range on its own scale (the geometric mean of a log range), on
its step; the middle of numeric choices in order; the first of other choices
(the one listed first, as keras-tuner's default is); `False`; a fixed value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kerashp.exceptions import SpaceError

__all__ = ["Bool", "Choice", "Entry", "Fixed", "Float", "Int", "describe", "plain", "to_entry"]

_SCALARS = (bool, int, float, str)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _middle(low: float, high: float, log: bool, step: float | None) -> float:
    """The middle of `[low, high]` on the range's scale, on the grid `low + k * step`
    when there is one (never past the last grid value: the middle is at most halfway)."""
    middle = math.sqrt(low * high) if log else (low + high) / 2
    return middle if step is None else low + round((middle - low) / step) * step


@dataclass(frozen=True)
class Int:
    """An integer range, both ends included.

    Args:
        low: Smallest value.
        high: Largest value.
        step: Distance between values. Defaults to `1`.
        log: Sample uniformly in log space (needs `low > 0`). Defaults to `False`.
        when: Condition on other entries, e.g. `{"layers": [2, 3]}`. Defaults to `None`.

    Example:
        >>> Int(16, 512, log=True)
    """

    low: int
    high: int
    step: int = 1
    log: bool = False
    when: Mapping[str, Any] | None = None

    def _check(self, key: str) -> None:
        if not (_is_int(self.low) and _is_int(self.high)):
            raise SpaceError(
                f"Int bounds must be integers. Received: {key}=Int({self.low!r}, {self.high!r}). "
                f"Use Float({self.low!r}, {self.high!r}) for a real-valued range."
            )
        if self.low > self.high:
            raise SpaceError(
                f"`low <= high` must hold for {key!r}. Received: low={self.low}, high={self.high}. "
                "Swap the two bounds."
            )
        if not _is_int(self.step) or self.step < 1:
            raise SpaceError(
                f"`step` of {key!r} must be a positive integer. Received: step={self.step!r}."
            )
        if self.log and self.low <= 0:
            raise SpaceError(
                f"A log range must stay above 0, but {key!r} has low={self.low}. "
                "Set low >= 1 or drop log=True."
            )
        if self.log and self.step != 1:
            raise SpaceError(
                f"{key!r} sets both log=True and step={self.step}; choose one. "
                "For powers of two, use a list: [16, 32, 64, 128]."
            )

    def values(self) -> list[int]:
        return list(range(int(self.low), int(self.high) + 1, int(self.step)))

    def contains(self, value: Any) -> bool:
        return _is_int(value) and self.low <= value <= self.high and (value - self.low) % self.step == 0

    def center(self) -> int:
        return int(_middle(self.low, self.high, self.log, self.step))

    def to_config(self) -> dict:
        return {"type": "int", "low": int(self.low), "high": int(self.high), "step": int(self.step), "log": self.log}


@dataclass(frozen=True)
class Float:
    """A real-valued range.

    Args:
        low: Smallest value.
        high: Largest value.
        step: If given, only `low, low + step, ...` are used (needed for grid
            search). Defaults to `None`.
        log: Sample uniformly in log space (needs `low > 0`). Defaults to `False`.
        when: Condition on other entries. Defaults to `None`.

    Example:
        >>> Float(1e-4, 1e-1, log=True)
    """

    low: float
    high: float
    step: float | None = None
    log: bool = False
    when: Mapping[str, Any] | None = None

    def _check(self, key: str) -> None:
        if not (_is_number(self.low) and _is_number(self.high)) or not (
            math.isfinite(self.low) and math.isfinite(self.high)
        ):
            raise SpaceError(
                f"Float bounds must be finite numbers. Received: {key}=Float({self.low!r}, {self.high!r})."
            )
        if self.low >= self.high:
            raise SpaceError(
                f"`low < high` must hold for {key!r}. Received: low={self.low}, high={self.high}. "
                "Swap the bounds, or give a fixed value instead of a range."
            )
        if self.step is not None and (not _is_number(self.step) or self.step <= 0):
            raise SpaceError(f"`step` of {key!r} must be > 0. Received: step={self.step!r}.")
        if self.log and self.low <= 0:
            raise SpaceError(
                f"A log range must stay above 0, but {key!r} has low={self.low}. "
                "Set a small positive low such as 1e-5, or drop log=True."
            )
        if self.log and self.step is not None:
            raise SpaceError(
                f"{key!r} sets both log=True and step={self.step}; choose one. "
                "For a log grid, use a list such as [1e-4, 1e-3, 1e-2]."
            )

    def values(self) -> list[float]:
        if self.step is None:
            raise SpaceError("unreachable: a continuous Float has no finite list of values")
        count = int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1
        return [float(round(self.low + i * self.step, 12)) for i in range(count)]

    def contains(self, value: Any) -> bool:
        return _is_number(value) and self.low <= value <= self.high

    def center(self) -> float:
        middle = _middle(self.low, self.high, self.log, self.step)
        return float(middle if self.step is None else round(middle, 12))  # as `values()` writes the grid

    def to_config(self) -> dict:
        return {"type": "float", "low": float(self.low), "high": float(self.high), "step": self.step, "log": self.log}


@dataclass(frozen=True, init=False)
class Choice:
    """One of a list of values (strings, numbers or booleans, all of one type).

    A plain list in a space means the same thing.

    Args:
        values: The choices.
        when: Condition on other entries. Defaults to `None`.

    Example:
        >>> Choice(["relu", "gelu", "tanh"])
    """

    values_: tuple = field()
    when: Mapping[str, Any] | None = None

    def __init__(self, values: Any, *, when: Mapping[str, Any] | None = None):
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise SpaceError(
                f"Choice takes a list of values. Received: {values!r}. Wrap it: Choice([{values!r}])."
            )
        object.__setattr__(self, "values_", tuple(plain(v) for v in values))
        object.__setattr__(self, "when", when)

    def _check(self, key: str) -> None:
        if not self.values_:
            raise SpaceError(
                f"The choices for {key!r} are empty. Give at least one value, e.g. {key}: ['a', 'b']."
            )
        bad = [v for v in self.values_ if not isinstance(v, _SCALARS)]
        if bad:
            raise SpaceError(
                f"Choices for {key!r} must be strings, numbers or booleans. Received: {bad[0]!r} "
                f"in {list(self.values_)!r}. Use names (e.g. 'none', 'l2') and map them in build_fn."
            )
        kinds = {_kind(v) for v in self.values_}
        if len(kinds) > 1:
            raise SpaceError(
                f"Choices for {key!r} mix types ({', '.join(sorted(kinds))}): {list(self.values_)!r}. "
                "Use values of one type; map names to objects in build_fn."
            )
        if len(set(self.values_)) != len(self.values_):
            raise SpaceError(f"Choices for {key!r} repeat a value: {list(self.values_)!r}.")

    def values(self) -> list:
        return list(self.values_)

    def contains(self, value: Any) -> bool:
        return value in self.values_

    def center(self) -> Any:
        if all(_is_number(v) for v in self.values_):
            ordered = sorted(self.values_)
            return ordered[(len(ordered) - 1) // 2]
        return self.values_[0]

    def to_config(self) -> dict:
        return {"type": "choice", "values": list(self.values_)}


@dataclass(frozen=True)
class Bool:
    """`True` or `False`.

    Args:
        when: Condition on other entries. Defaults to `None`.

    Example:
        >>> Bool()
    """

    when: Mapping[str, Any] | None = None

    def _check(self, key: str) -> None:
        pass

    def values(self) -> list[bool]:
        return [False, True]

    def contains(self, value: Any) -> bool:
        return isinstance(value, (bool, np.bool_))

    def center(self) -> bool:
        return False

    def to_config(self) -> dict:
        return {"type": "bool"}


@dataclass(frozen=True)
class Fixed:
    """A fixed value: the same in every trial. Any non-range value means this.

    Args:
        value: The value.
        when: Condition on other entries. Defaults to `None`.

    Example:
        >>> Fixed(30)
    """

    value: Any
    when: Mapping[str, Any] | None = None

    def _check(self, key: str) -> None:
        pass

    def values(self) -> list:
        return [self.value]

    def contains(self, value: Any) -> bool:
        return value == self.value

    def center(self) -> Any:
        return self.value

    def to_config(self) -> dict:
        return {"type": "fixed", "value": self.value}


Entry = Int | Float | Choice | Bool | Fixed


def plain(value: Any) -> Any:
    """NumPy scalars to Python ones, so values are JSON-safe and compare plainly."""
    return value.item() if isinstance(value, np.generic) else value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def to_entry(key: str, value: Any) -> Entry:
    if isinstance(value, (Int, Float, Choice, Bool, Fixed)):
        return value
    if isinstance(value, list):
        return Choice(value)
    if isinstance(value, tuple):
        if len(value) != 2 or not all(_is_number(v) for v in value):
            raise SpaceError(
                f"A tuple in a space is a (low, high) range of two numbers. Received: {key}={value!r}. "
                f"For a choice between values use a list: {key}={list(value)!r}."
            )
        low, high = (plain(v) for v in value)
        if isinstance(low, float) or isinstance(high, float):
            return Float(float(low), float(high))
        return Int(low, high)
    if isinstance(value, type) and value in (Int, Float, Choice, Bool):
        raise SpaceError(
            f"{key!r} is the class {value.__name__}, not an instance. Received: {key}={value.__name__}. "
            f"Call it, e.g. {key}={value.__name__}(...)."
        )
    return Fixed(plain(value))


def describe(entry: Entry) -> str:
    if isinstance(entry, (Int, Float)):
        return f"[{entry.low}, {entry.high}]" + (" log" if entry.log else "")
    return repr(entry.values())
