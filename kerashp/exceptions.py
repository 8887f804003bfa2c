"""The errors kerashp raises.

`ArgumentError`, `SpaceError` and `DataError` are raised before anything
trains, and are `ValueError`s. During a search, `FailedTrialError` marks one
trial as failed (the search goes on), while `InvalidModelError` stops the
search at once: every later trial would fail the same way. `RunFolderError`
is about a run's folder on disk (it exists, it was written by a newer kerashp).
"""

from __future__ import annotations

__all__ = [
    "ArgumentError",
    "DataError",
    "FailedTrialError",
    "InvalidModelError",
    "KerashpError",
    "RunFolderError",
    "SpaceError",
]


class KerashpError(Exception):
    """Base class of every error kerashp raises on purpose."""


class ArgumentError(KerashpError, ValueError):
    """An argument has a value kerashp cannot use. The message names the
    argument, the value received and the fix."""


class SpaceError(ArgumentError):
    """A search space entry is malformed. The message names the key."""


class DataError(KerashpError, ValueError):
    """Data given to kerashp cannot be used as it is, or cannot be loaded."""


class RunFolderError(KerashpError):
    """A run's folder cannot be used as asked (it exists, it is damaged, or a
    newer kerashp wrote it). The message names the folder and what to do."""


class FailedTrialError(KerashpError, RuntimeError):
    """One trial failed (an exception in fit, or a NaN/inf score)."""


class InvalidModelError(KerashpError, TypeError):
    """`build_fn` returned something that is not a Keras model."""
