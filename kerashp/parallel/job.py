"""`Job`: what a worker process needs to run trials of one search.

The chief makes one for its search (`Job`'s search fields), `run_workers`
adds where the prepared data and the chief are, and each worker process gets
its own copy with its id, threads and trial quota, pickled (cloudpickle) on
its stdin (on Ray, `kerashp.parallel.on_ray`, as a task's argument). Nothing
is unpickled from the run folder.
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
        data: The folder of the prepared arrays (`kerashp.datasets._files`).
        prunes: Whether the chief's oracle prunes (a worker then reports every epoch).
        deadline: When the time budget ends, or `None`.
        address, token: Where the chief serves its oracle, and its token.
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
    data: str | None = None
    prunes: bool = False
    deadline: Deadline | None = None
    address: str | None = None
    token: str | None = None
    worker_id: str | None = None
    threads: int | None = None
    trials_per_process: int | None = None

    def but(self, **changes: Any) -> Job:
        """A copy with `changes`."""
        return dataclasses.replace(self, **changes)
