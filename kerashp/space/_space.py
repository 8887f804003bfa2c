"""`Space`: a validated dict search space, its conditions (`when=`), grid
enumeration, completion of a trial's values, and its YAML/JSON config.

Example:
    >>> space = Space({"units": Int(16, 64), "opt": ["adam", "sgd"],
    ...                "momentum": Float(0.0, 0.9, when={"opt": "sgd"})})
    >>> space.searched
    ['units', 'opt', 'momentum']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kerashp.exceptions import SpaceError
from kerashp.space._entries import Bool, Choice, Entry, Fixed, Float, Int, describe, plain, to_entry

__all__ = ["Space", "as_space"]

_TYPES = {"int": Int, "float": Float, "choice": Choice, "bool": Bool, "fixed": Fixed}


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
            entry = to_entry(key, value)
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
                    if not entry.contains(plain(value)):
                        raise SpaceError(
                            f"{key!r} has when={{{parent!r}: {value!r}}}, but {parent!r} can never be "
                            f"{value!r} (its values: {describe(entry)}). Use one of those values."
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
                    f"{describe(entry)}. Give a list ({key}=[{entry.low}, ...]) or a step "
                    f"(Float({entry.low}, {entry.high}, step=...))."
                )

    def check_params(self, params: Mapping[str, Any], what: str) -> dict[str, Any]:
        """`params` completed with fixed values, if it is a point of this space.

        Args:
            params: Values by name; fixed entries and entries inactive under
                the given values may be left out.
            what: How the caller's user names `params` in a message, e.g. "initial[0]".

        Raises:
            SpaceError: an unknown key, a value outside its entry, or a
                searched entry left out.
        """
        if not isinstance(params, Mapping):
            raise SpaceError(f"{what} must be a dict of hyperparameter values. Received: {params!r:.80}.")
        unknown = [key for key in params if key not in self.entries]
        if unknown:
            raise SpaceError(
                f"{what} names {unknown[0]!r}, which is not in the space. Known keys: {', '.join(self.entries)}."
            )
        completed = self.complete(params)
        for key in self.order:
            entry = self.entries[key]
            if key in params and key not in completed:
                raise SpaceError(
                    f"{what} sets {key!r}, which is inactive there (its condition: {self.conditions[key]})."
                )
            if key in completed and not entry.contains(completed[key]):
                raise SpaceError(
                    f"{what} sets {key}={completed[key]!r}, outside its entry ({describe(entry)}). "
                    "Use a value inside it."
                )
            if key not in completed and self.is_active(key, completed):
                raise SpaceError(f"{what} leaves out {key!r}. Give it a value ({describe(entry)}).")
        return completed

    def center(self) -> dict[str, Any]:
        """The point in the middle of the space: each active entry's `center()`.

        Example:
            >>> Space({"units": Int(16, 256, log=True), "lr": Float(1e-4, 1e-2, log=True)}).center()
            {'units': 64, 'lr': 0.001}
        """
        return self.complete({key: entry.center() for key, entry in self.entries.items()})

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
                params[key] = plain(values[key])
        return {key: params[key] for key in self.entries if key in params}

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


def as_space(space: Mapping[str, Any] | Space) -> Space:
    """`space` as a validated `Space` (unchanged when it is one already)."""
    return space if isinstance(space, Space) else Space(space)

