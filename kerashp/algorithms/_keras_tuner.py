"""A kerashp `Space` in keras-tuner's terms: the `HyperParameters` its oracles
search, and trial values back to and from them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kerashp.space import Bool, Choice, Fixed, Float, Int, Space
from kerashp.space._entries import plain

__all__ = ["declare", "to_values"]


def _declare_entry(key: str, entry: Any, hp: Any) -> None:
    if isinstance(entry, Int):
        hp.Int(key, int(entry.low), int(entry.high), step=None if entry.log else int(entry.step),
               sampling="log" if entry.log else "linear")
    elif isinstance(entry, Float) and entry.step is not None:
        # keras-tuner counts a stepped range's values with a float `//`, which drops the
        # last one ((0.95 - 0.5) // 0.05 == 8); half a step more keeps it. The oracles
        # snap proposals back onto the grid (`_oracles.in_bounds`).
        last = entry.values()[-1]
        hp.Float(key, float(entry.low), float(last) + float(entry.step) / 2, step=float(entry.step))
    elif isinstance(entry, Float):
        hp.Float(key, float(entry.low), float(entry.high), sampling="log" if entry.log else "linear")
    elif isinstance(entry, Choice):
        hp.Choice(key, _choice_values(entry))
    elif isinstance(entry, Bool):
        hp.Boolean(key)
    elif not isinstance(entry, Fixed):  # pragma: no cover - every entry type is handled
        raise TypeError(f"No keras-tuner declaration for {type(entry).__name__}")


def _choice_values(entry: Choice) -> list:
    """keras-tuner wants one number type in a numeric choice: ints become floats beside a float."""
    values = list(entry.values())
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    if numbers and any(isinstance(v, float) for v in values):
        return [float(v) for v in values]
    return values


def declare(space: Space, hp: Any) -> None:
    """Registers every searched entry of `space` in keras-tuner `hp`.

    Conditional entries are declared inside `hp.conditional_scope`, so
    keras-tuner samples them only where their condition holds.
    """
    for key in space.order:
        scopes = [
            (parent, [plain(v) for v in allowed])
            for parent, allowed in space.conditions[key].items()
            if not isinstance(space.entries[parent], Fixed)
        ]
        _declare_in_scopes(key, space.entries[key], scopes, hp)


def _declare_in_scopes(key: str, entry: Any, scopes: list, hp: Any) -> None:
    if not scopes:
        _declare_entry(key, entry, hp)
        return
    parent, allowed = scopes[0]
    with hp.conditional_scope(parent, allowed):
        _declare_in_scopes(key, entry, scopes[1:], hp)


def to_values(space: Space, params: Mapping[str, Any]) -> dict[str, Any]:
    """The keras-tuner values of a completed trial's `params`: searched, active entries only."""
    searched = set(space.searched)
    values = {}
    for key, value in params.items():
        if key in searched:
            entry = space.entries[key]
            values[key] = (float(value) if isinstance(entry, Choice) and isinstance(_choice_values(entry)[0], float)
                           else value)
    return values
