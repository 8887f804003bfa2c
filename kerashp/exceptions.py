"""The errors kerashp raises.

`SpaceError` and `DataError` are raised before anything trains. During a search,
`FailedTrialError` marks one trial as failed (the search goes on), while
`InvalidModelError` stops the search at once: every later trial would fail the
same way.
"""

from __future__ import annotations


class KerashpError(Exception):
    """Base class of every error kerashp raises on purpose."""


class SpaceError(KerashpError, ValueError):
    """A search space entry is malformed. The message names the key."""


class DataError(KerashpError, ValueError):
    """Data given to kerashp cannot be used as it is, or cannot be loaded."""


class FailedTrialError(KerashpError, RuntimeError):
    """One trial failed (an exception in fit, or a NaN/inf score)."""


class InvalidModelError(KerashpError, TypeError):
    """`build_fn` returned something that is not a Keras model."""
