"""The dict search space: its entry types, validation and conversions.

A space is a plain dict from hyperparameter name to one of:

- `Int(low, high)`, `Float(low, high)`, `Choice([...])`, `Bool()`, `Fixed(v)`;
- a list: a categorical choice, the same as `Choice(list)`;
- a `(low, high)` tuple: a uniform range (`Float` if either end is a float,
  else `Int`);
- any other value: fixed.

Every entry type takes `when={"other_key": value_or_values}`: the entry exists
only in the trials where `other_key` takes one of those values.

`Space(space_dict)` validates once, up front, and converts to keras-tuner
`HyperParameters`, to a full grid enumeration and to a seeded random sample.

Example:
    >>> space = Space({"units": Int(16, 64), "opt": ["adam", "sgd"],
    ...                "momentum": Float(0.0, 0.9, when={"opt": "sgd"})})
    >>> sorted(space.sample(seed=0))  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kerashp.exceptions import SpaceError

__all__ = ["Bool", "Choice", "Fixed", "Float", "Int", "Space", "as_space"]

_SCALARS = (bool, int, float, str)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _normalize_when(when: Mapping[str, Any] | None) -> dict[str, tuple]:
    if when is None:
        return {}
    if not isinstance(when, Mapping) or not when:
        raise SpaceError(
            f"`when` must be a non-empty dict like {{'optimizer': 'sgd'}}. Received: when={when!r}"
        )
    return {
        key: tuple(values) if isinstance(values, (list, tuple, set)) else (values,)
        for key, values in when.items()
    }


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

    def sample(self, rng: np.random.Generator) -> int:
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high + 1)))
            return int(min(self.high, max(self.low, math.floor(value))))
        return int(rng.choice(self.values()))

    def declare(self, key: str, hp: Any) -> None:
        hp.Int(
            key,
            int(self.low),
            int(self.high),
            step=None if self.log else int(self.step),
            sampling="log" if self.log else "linear",
        )

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

    def sample(self, rng: np.random.Generator) -> float:
        if self.step is not None:
            return float(rng.choice(self.values()))
        if self.log:
            return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return float(rng.uniform(self.low, self.high))

    def declare(self, key: str, hp: Any) -> None:
        hp.Float(
            key,
            float(self.low),
            float(self.high),
            step=None if self.step is None else float(self.step),
            sampling="log" if self.log else "linear",
        )

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
        object.__setattr__(self, "values_", tuple(_plain(v) for v in values))
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

    def sample(self, rng: np.random.Generator) -> Any:
        return self.values_[int(rng.integers(len(self.values_)))]

    def declare(self, key: str, hp: Any) -> None:
        values = list(self.values_)
        if _kind(values[0]) == "number":
            values = [float(v) for v in values] if any(isinstance(v, float) for v in values) else values
        hp.Choice(key, values)

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

    def sample(self, rng: np.random.Generator) -> bool:
        return bool(rng.integers(2))

    def declare(self, key: str, hp: Any) -> None:
        hp.Boolean(key)

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

    def sample(self, rng: np.random.Generator) -> Any:
        return self.value

    def declare(self, key: str, hp: Any) -> None:
        pass  # Fixed values are not searched; they are merged into every trial.

    def to_config(self) -> dict:
        return {"type": "fixed", "value": self.value}


Entry = Int | Float | Choice | Bool | Fixed
_TYPES = {"int": Int, "float": Float, "choice": Choice, "bool": Bool, "fixed": Fixed}


def _plain(value: Any) -> Any:
    """NumPy scalars to Python ones, so values are JSON-safe and compare plainly."""
    return value.item() if isinstance(value, np.generic) else value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def _to_entry(key: str, value: Any) -> Entry:
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
        low, high = (_plain(v) for v in value)
        if isinstance(low, float) or isinstance(high, float):
            return Float(float(low), float(high))
        return Int(low, high)
    if isinstance(value, type) and value in (Int, Float, Choice, Bool):
        raise SpaceError(
            f"{key!r} is the class {value.__name__}, not an instance. Received: {key}={value.__name__}. "
            f"Call it, e.g. {key}={value.__name__}(...)."
        )
    return Fixed(_plain(value))


class Space:
    """A validated search space.

    Args:
        space: Dict of hyperparameter name to a range, a list of choices, or
            a fixed value (see the module docstring).

    Raises:
        SpaceError: naming the key, the value received and the fix.

    Example:
        >>> Space({"units": Int(16, 64), "activation": ["relu", "tanh"]}).grid_size()
        98
    """

    def __init__(self, space: Mapping[str, Any] | Space):
        if isinstance(space, Space):
            space = space.entries
        if not isinstance(space, Mapping):
            raise SpaceError(
                "The search space must be a dict of name -> range/choices/value. "
                f"Received: {type(space).__name__} {space!r:.80}. "
                "Example: {'units': kerashp.Int(16, 256), 'activation': ['relu', 'tanh']}."
            )
        entries: dict[str, Entry] = {}
        for key, value in space.items():
            if not isinstance(key, str) or not key:
                raise SpaceError(f"Space keys must be non-empty strings. Received key: {key!r}.")
            if key.startswith("tuner/"):
                raise SpaceError(f"Names starting with 'tuner/' are keras-tuner's own. Received: {key!r}.")
            entry = _to_entry(key, value)
            entry._check(key)
            entries[key] = entry
        self.entries = entries
        self.conditions = {k: _normalize_when(e.when) for k, e in entries.items()}
        self._check_conditions()
        self.order = self._topological_order()

    # ------------------------------------------------------------------ checks
    def _check_conditions(self) -> None:
        for key, conditions in self.conditions.items():
            for parent, allowed in conditions.items():
                if parent not in self.entries:
                    known = ", ".join(sorted(self.entries))
                    raise SpaceError(
                        f"{key!r} has when={{{parent!r}: ...}}, but the space has no key {parent!r}. "
                        f"Known keys: {known}."
                    )
                if parent == key:
                    raise SpaceError(f"{key!r} cannot depend on itself (when={{{parent!r}: ...}}).")
                entry = self.entries[parent]
                if isinstance(entry, Float) and entry.step is None:
                    raise SpaceError(
                        f"{key!r} depends on {parent!r}, a continuous Float. Conditions need a "
                        f"discrete parent: make {parent!r} a list, Int, Bool or a Float with step."
                    )
                for value in allowed:
                    if not entry.contains(_plain(value)):
                        raise SpaceError(
                            f"{key!r} has when={{{parent!r}: {value!r}}}, but {parent!r} can never be "
                            f"{value!r} (its values: {_describe(entry)}). Use one of those values."
                        )

    def _topological_order(self) -> list[str]:
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(key: str, path: list[str]) -> None:
            if state.get(key) == 2:
                return
            if state.get(key) == 1:
                cycle = " -> ".join([*path[path.index(key):], key])
                raise SpaceError(f"Conditions form a cycle: {cycle}. Remove one of the `when`s.")
            state[key] = 1
            for parent in self.conditions[key]:
                visit(parent, [*path, key])
            state[key] = 2
            order.append(key)

        for key in self.entries:
            visit(key, [])
        return order

    # --------------------------------------------------------------- queries
    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        return f"Space({self.entries!r})"

    def is_active(self, key: str, params: Mapping[str, Any]) -> bool:
        """Whether `key` exists given the (partial) `params` of its parents."""
        return all(
            parent in params and params[parent] in allowed
            for parent, allowed in self.conditions[key].items()
        )

    @property
    def searched(self) -> list[str]:
        """Names of the entries that vary (everything but fixed values)."""
        return [k for k in self.order if not isinstance(self.entries[k], Fixed)]

    def check_discrete(self, purpose: str = "grid search") -> None:
        """Raises `SpaceError` naming the first continuous range."""
        for key in self.order:
            entry = self.entries[key]
            if isinstance(entry, Float) and entry.step is None:
                raise SpaceError(
                    f"{purpose} needs a finite set of values, but {key!r} is a continuous range "
                    f"{_describe(entry)}. Give a list ({key}=[{entry.low}, ...]) or a step "
                    f"(Float({entry.low}, {entry.high}, step=...))."
                )

    # ----------------------------------------------------------- conversions
    def complete(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Active params in space order, from searched `values` plus fixed ones."""
        params: dict[str, Any] = {}
        for key in self.order:
            if not self.is_active(key, params):
                continue
            entry = self.entries[key]
            if isinstance(entry, Fixed):
                params[key] = entry.value
            elif key in values:
                params[key] = _plain(values[key])
        return {key: params[key] for key in self.entries if key in params}

    def declare(self, hp: Any) -> None:
        """Registers every searched entry in a keras-tuner `HyperParameters`.

        Conditional entries are declared inside `hp.conditional_scope`, so
        keras-tuner only samples them when their condition holds.
        """
        for key in self.order:
            entry = self.entries[key]
            scopes = [
                (parent, [_plain(v) for v in allowed])
                for parent, allowed in self.conditions[key].items()
                if not isinstance(self.entries[parent], Fixed)
            ]
            self._declare_in_scopes(key, entry, scopes, hp)

    def _declare_in_scopes(self, key: str, entry: Entry, scopes: list, hp: Any) -> None:
        if not scopes:
            entry.declare(key, hp)
            return
        parent, allowed = scopes[0]
        with hp.conditional_scope(parent, allowed):
            self._declare_in_scopes(key, entry, scopes[1:], hp)

    def grid(self) -> Iterator[dict[str, Any]]:
        """Every combination of values, conditional entries only where active."""
        self.check_discrete()

        def expand(index: int, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
            if index == len(self.order):
                yield {key: params[key] for key in self.entries if key in params}
                return
            key = self.order[index]
            if not self.is_active(key, params):
                yield from expand(index + 1, params)
                return
            for value in self.entries[key].values():
                yield from expand(index + 1, {**params, key: value})

        return expand(0, {})

    def grid_size(self) -> int:
        """Number of combinations `grid()` yields."""
        return sum(1 for _ in self.grid())

    def sample(self, seed: int | np.random.Generator | None = None) -> dict[str, Any]:
        """One random draw; the same seed gives the same draw."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        params: dict[str, Any] = {}
        for key in self.order:
            if self.is_active(key, params):
                params[key] = self.entries[key].sample(rng)
        return {key: params[key] for key in self.entries if key in params}

    def samples(self, n: int, seed: int | None = None) -> list[dict[str, Any]]:
        """`n` random draws from one seeded generator."""
        rng = np.random.default_rng(seed)
        return [self.sample(rng) for _ in range(n)]

    # ------------------------------------------------------ config (YAML/JSON)
    def to_config(self) -> dict[str, dict]:
        """A JSON/YAML-safe description that `Space.from_config` reads back."""
        config = {}
        for key, entry in self.entries.items():
            item = entry.to_config()
            if entry.when is not None:
                item["when"] = {k: list(v) for k, v in self.conditions[key].items()}
            config[key] = item
        return config

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Space:
        """Reads a config space: `{type: int, low: 1, high: 3}`-style dicts,
        lists as choices, and anything else as fixed.

        Example:
            >>> Space.from_config({"units": {"type": "int", "low": 16, "high": 64}})
        """
        if not isinstance(config, Mapping):
            raise SpaceError(f"`space` in a config must be a mapping. Received: {config!r:.80}.")
        space: dict[str, Any] = {}
        for key, item in config.items():
            if isinstance(item, Mapping) and "type" in item:
                item = dict(item)
                kind = str(item.pop("type")).lower()
                if kind not in _TYPES:
                    raise SpaceError(
                        f"{key!r} has type={kind!r}; expected one of {sorted(_TYPES)}."
                    )
                try:
                    space[key] = _TYPES[kind](**item)
                except TypeError as err:
                    raise SpaceError(f"{key!r} ({kind}): {err}. Received: {dict(config[key])!r}.") from err
            else:
                space[key] = item
        return cls(space)


def _describe(entry: Entry) -> str:
    if isinstance(entry, (Int, Float)):
        return f"[{entry.low}, {entry.high}]" + (" log" if entry.log else "")
    return repr(entry.values())


def as_space(space: Mapping[str, Any] | Space) -> Space:
    """`space` as a validated `Space` (unchanged when it is one already)."""
    return space if isinstance(space, Space) else Space(space)

