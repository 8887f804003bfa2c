"""Room on Python's frame stack for a trial's calls.

CPython (3.11 on) keeps a thread's Python frames in chunks of memory that it
maps when a call does not fit in the current one (16 KiB and up) and, until
the fix of CPython issue 142183 (2026, in 3.13 and later), unmaps as soon as
the chunk's first frame returns. A loop whose calls cross the
boundary between two chunks thus maps and unmaps one at every call: a page
fault and two system calls each time. Where the boundary falls depends on how
deep the caller already is. A Keras fit run in a search's trial, eleven frames
deeper than at a script's top level, met it about 2,000 times in a one-epoch
fit of the digits MLP on the development machine: 8,000 more page faults, 80
ms more system time, the same fit 1.09x slower than outside the search
(`benchmarks/RESULTS.md`, "A fit slower inside a trial: the frame stack").

`with_room(fn, *args)` calls `fn` from a frame that reserves about 260 KiB of
the stack: CPython gives that frame a fresh 512 KiB chunk, and whatever `fn`
calls (about a thousand frames deep) runs inside it, at any caller's depth.
The reserve costs one mapping and ~65 touched pages a call: microseconds a
trial.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["with_room"]

T = TypeVar("T")

#: Unused local slots (8 bytes each) of the calling frame: 264 KiB, which with
#: CPython's per-chunk overhead (8 KiB) gets a 512 KiB chunk of its own.
RESERVED_SLOTS = 33_000


def _call(fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
    return fn(*args, **kwargs)


def _reserve(code: Any) -> Any:
    """`code` with `RESERVED_SLOTS` more local variables (all named `_room`,
    never bound), or as it is where this Python does not allow it."""
    try:
        return code.replace(co_nlocals=code.co_nlocals + RESERVED_SLOTS,
                            co_varnames=code.co_varnames + ("_room",) * RESERVED_SLOTS)
    except (AttributeError, TypeError, ValueError):  # not CPython's code objects
        return code


_call.__code__ = _reserve(_call.__code__)


def with_room(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)`, its calls in a stack chunk of their own."""
    return _call(fn, args, kwargs)
