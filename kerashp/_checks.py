"""Argument checks shared by every public function: Keras-style messages that
name the argument, the value received and what was expected.

They raise `ArgumentError`, a `ValueError`. Two helpers write the fix into a
message: `did_you_mean` (the closest names to a typo) and `setting` (how to
set an option: `run=khp.RunFolder(if_exists='resume')` in Python,
`--if-exists resume` under the `kerashp` command).
"""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from kerashp.exceptions import ArgumentError

__all__ = [
    "check_fraction", "check_int", "check_number", "check_one_of", "command_line_messages", "did_you_mean", "setting",
]

_COMMAND_LINE = contextvars.ContextVar("kerashp_command_line", default=False)


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_int(name: str, value: Any, *, low: int = 1, allow_none: bool = False) -> int | None:
    """`value` as an int if it is an integer `>= low` (or `None` where allowed).

    Example:
        >>> check_int("max_trials", 5)
        5
    """
    if value is None and allow_none:
        return None
    if not _is_int(value) or value < low:
        raise ArgumentError(f"Argument `{name}` must be an integer >= {low}. Received: {name}={value!r}")
    return int(value)


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    integer: bool = False,
) -> Any:
    """`value` unchanged if it is a finite number (an int with `integer=True`)
    within `[low, high]` (`(low, high]` with `low_open=True`)."""
    kind = "an integer" if integer else "a number"
    ok_type = _is_int(value) if integer else isinstance(value, (int, float, np.integer, np.floating))
    if isinstance(value, (bool, np.bool_)) or not ok_type or not math.isfinite(value):
        raise ArgumentError(f"Argument `{name}` must be {kind}. Received: {name}={value!r}")
    if low is not None and (value <= low if low_open else value < low):
        raise ArgumentError(f"Argument `{name}` must be {'>' if low_open else '>='} {low}. Received: {name}={value!r}")
    if high is not None and value > high:
        raise ArgumentError(f"Argument `{name}` must be <= {high}. Received: {name}={value!r}")
    return value


def check_fraction(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """`value` as a float in `(0, 1)` (`[0, 1)` with `allow_zero=True`)."""
    interval = "[0, 1)" if allow_zero else "(0, 1)"
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if not ok or not (0.0 <= float(value) < 1.0) or (float(value) == 0.0 and not allow_zero):
        raise ArgumentError(f"Argument `{name}` must be a float in {interval}. Received: {name}={value!r}")
    return float(value)


def check_one_of(name: str, value: Any, options: Iterable[Any]) -> Any:
    """`value` unchanged if it is one of `options`."""
    options = list(options)
    if value not in options:
        raise ArgumentError(f"Argument `{name}` must be one of {options}. Received: {name}={value!r}")
    return value


def did_you_mean(value: Any, options: Iterable[Any], *, n: int = 1, aliases: Mapping[str, str] | None = None) -> str:
    """`"Did you mean 'tpe'?"` for the closest of `options` to a mistyped
    `value` (up to `n` of them, joined by "or"; `aliases` maps a known
    misnomer to its name), or `""` when none is close.

    Example:
        >>> did_you_mean("tpee", ["random", "tpe", "bohb"])
        "Did you mean 'tpe'?"
    """
    if aliases and value in aliases:
        close = [aliases[value]]
    else:
        close = difflib.get_close_matches(str(value), [str(o) for o in options], n=n, cutoff=0.6)
    return f"Did you mean {' or '.join(map(repr, close))}?" if close else ""


@contextlib.contextmanager
def command_line_messages() -> Iterator[None]:
    """Inside it, `setting` names flags and YAML keys: the `kerashp` command
    runs `tune` within it, so its errors speak the command's language."""
    token = _COMMAND_LINE.set(True)
    try:
        yield
    finally:
        _COMMAND_LINE.reset(token)


def setting(key: str, value: Any = None) -> str:
    """How a user sets option `key` (declared in `kerashp.options`) to `value`
    (`None`: to a value of theirs): `seed=1`, or for an option of a group,
    `run=khp.RunFolder(if_exists='resume')`; under `command_line_messages`,
    the `kerashp tune` flag and the YAML key.

    Example:
        >>> setting("if_exists", "resume")
        "run=khp.RunFolder(if_exists='resume')"
        >>> with command_line_messages():
        ...     setting("if_exists", "resume")
        '--if-exists resume (or `if_exists: resume` under `run:` in the YAML)'
        >>> with command_line_messages():
        ...     setting("seed")
        '--seed (or `seed:` in the YAML)'
    """
    from kerashp.options import GROUPS, OPTIONS

    option = next((o for o in OPTIONS if o.name == key), None)
    group = option.group if option is not None else None
    if not _COMMAND_LINE.get():
        shown = "..." if value is None else repr(value)
        if group is not None:
            return f"{group}=khp.{GROUPS[group].__name__}({key}={shown})"
        return f"{key}=" if value is None else f"{key}={value!r}"
    under = f" under `{group}:`" if group else ""
    if value is None:
        yaml = f"`{key}:`{under} in the YAML"
    else:
        yaml = f"`{key}: {str(value).lower() if isinstance(value, bool) else value}`{under} in the YAML"
    flag = option.flag if option is not None else None
    if flag and value is not None:
        flag = f"{flag} {value}"
    return f"{flag} (or {yaml})" if flag else yaml
