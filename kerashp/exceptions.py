"""The errors kerashp raises.

`ArgumentError`, `SpaceError` and `DataError` are raised before anything
trains, and are `ValueError`s. During a search, `FailedTrialError` marks one
trial as failed (the search goes on), while `InvalidModelError` stops the
search at once: every later trial would fail the same way, and
`TooManyFailuresError` stops it after many failed trials in a row. `RunFolderError`
is about a run's folder on disk (it exists, it was written by a newer kerashp).
"""

from __future__ import annotations

__all__ = [
    "ArgumentError",
    "DamagedFileError",
    "DataError",
    "FailedTrialError",
    "InvalidModelError",
    "KerashpError",
    "RunFolderError",
    "SpaceError",
    "TooManyFailuresError",
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


class DamagedFileError(RunFolderError):
    """A file of a run folder cannot be read: cut short, emptied or overwritten.

    Attributes:
        path: The damaged file.
    """

    def __init__(self, path, cause: Exception | str, hint: str = ""):
        from pathlib import Path

        self.path = Path(path)
        size = self.path.stat().st_size if self.path.exists() else 0
        detail = cause if isinstance(cause, str) else f"{type(cause).__name__}: {cause}"
        super().__init__(f"{self.path} is damaged ({size} bytes; {detail}).{' ' + hint if hint else ''}")


class FailedTrialError(KerashpError, RuntimeError):
    """One trial failed (an exception in fit, or a NaN/inf score)."""


class TooManyFailuresError(KerashpError, RuntimeError):
    """Trials failed one after another as many times as the search allows
    (10): the search stopped, its trials kept. The message has the last error."""


class InvalidModelError(KerashpError, TypeError):
    """`build_fn` returned something that is not a Keras model, or a model
    that cannot fit the data (fewer outputs than classes)."""
