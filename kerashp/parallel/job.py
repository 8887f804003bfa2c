"""`Job`: what a worker process needs to run trials of one search.

The driver makes one for its search (`Job`'s search fields), and each worker
gets its own copy with its id, threads and trial quota as a Ray task's
argument (`kerashp.parallel.on_ray`). Nothing is unpickled from the run folder.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from kerashp.tuning.deadline import Deadline

__all__ = ["Job"]


@dataclass(frozen=True)
class Job:
    """One worker's trials of one search.

    Attributes:
        build_fn, callbacks: The user's builder and callbacks.
        space, algorithm, objective: The search's `Space`, algorithm object and `Objective`.
        epochs, batch_size, seed, precision: As the search resolved them.
        directory, name: The run folder.
        tensorboard: The search's `TrialLogs`.
        prunes: Whether the driver's oracle prunes (a worker then reports every epoch).
        deadline: When the time budget ends, or `None`.
        worker_id: The worker's id (keras-tuner's tuner id).
        threads: TensorFlow threads of the worker process (`None`: TensorFlow's choice).
        trials_per_process: Trials before the process is replaced (`None`: no quota).
    """

    build_fn: Any
    callbacks: Any
    space: Any
    algorithm: Any
    objective: Any
    epochs: int
    batch_size: int
    seed: int | None
    precision: str | None
    directory: str
    name: str
    tensorboard: Any
    prunes: bool = False
    deadline: Deadline | None = None
    worker_id: str | None = None
    threads: int | None = None
    trials_per_process: int | None = None

    def but(self, **changes: Any) -> Job:
        """A copy with `changes`."""
        return dataclasses.replace(self, **changes)
