"""What a worker process runs: trials of the driver's search, one after another.

`tune(..., execution=Execution(workers=N))` runs N of them at once on Ray
(`kerashp.parallel.on_ray`, a local cluster unless `ray=` names another).
A worker runs kerashp's `SearchTuner` (as `WorkerTuner`) against the
driver's one oracle, through a transport's `ProtocolOracle`, and a run store
that sends its records and weights to the driver; the search's state is the
driver's to keep. The rules every worker follows live here: how often a
trial's worker may die before the trial fails (`RESTARTS`), how many trials a
process runs before a fresh one takes its place (`TRIALS_PER_PROCESS`:
TensorFlow keeps some memory of every model a process builds), and which
errors end the whole search (`search_ending`), sent back by kind.
"""

from __future__ import annotations

from typing import Any

from kerashp import exceptions
from kerashp.exceptions import KerashpError
from kerashp.parallel.job import Job
from kerashp.tuning.tuner import BudgetSpent, SearchTuner

__all__ = ["WorkerTuner", "error_of", "run_job", "search_ending"]

#: How often a trial's worker may die before the trial is recorded as failed.
RESTARTS = 2
#: Trials a worker process runs before it is replaced by a fresh one: TensorFlow
#: keeps some memory of every model a process builds (`benchmarks/memory.py`).
TRIALS_PER_PROCESS = 20
REPLACE_ME = 3  # what a worker returns when it ran its share of trials
#: How often the driver looks for questions and ended workers, in seconds.
POLL_SECONDS = 0.2


class QuotaDone(Exception):
    """Raised before a new trial would start in a worker that has run its
    `trials_left` (it is replaced then, to bound memory)."""


class WorkerTuner(SearchTuner):
    """A worker's tuner: it runs trials from the driver's oracle and writes
    their records; the search's state (oracle, tuner file, space) is the
    driver's to keep."""

    keeps_state = False
    looks_ahead = ()  # its trials come from the driver's oracle, one at a time

    def __init__(self, oracle: Any, *, worker_id: str, trials_left: int | None, **kwargs: Any):
        super().__init__(oracle, **kwargs)
        self.tuner_id = worker_id  # keras-tuner hands a restarted tuner id its ongoing trial back
        self.trials_left = trials_left  # None: no quota
        if trials_left is not None:
            self.observers.add(self._count)

    def reload(self) -> None:
        pass

    def save(self) -> None:
        pass

    def declare_space(self) -> None:
        pass

    def pre_create_trial(self) -> None:
        super().pre_create_trial()
        if self.trials_left == 0:
            raise QuotaDone()

    def _count(self, record: Any) -> None:
        self.trials_left -= 1


def run_job(job: Job, *, oracle: Any, store: Any, data: Any) -> int:
    """A worker: runs trials from the driver's `oracle` until it answers
    STOPPED (returns 0) or the process ran its share (`REPLACE_ME`).

    `oracle`, `store` and `data` are the transport's (`kerashp.parallel.on_ray`).
    """
    import keras

    if job.threads is not None and keras.backend.backend() == "tensorflow":  # JAX alone needs no TensorFlow
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(job.threads)
        tf.config.threading.set_inter_op_parallelism_threads(job.threads)
    from kerashp.devices import get_strategy
    from kerashp.reporting.observers import Observers

    tuner = WorkerTuner(
        oracle, algorithm=job.algorithm, space=job.space, build_fn=job.build_fn, data=data,
        objective=job.objective, store=store, observers=Observers(), callbacks=job.callbacks,
        tensorboard=job.tensorboard, epochs=job.epochs, batch_size=job.batch_size, seed=job.seed,
        deadline=job.deadline, strategy=get_strategy("auto"), prunes=job.prunes, precision=job.precision,
        worker_id=job.worker_id, trials_left=job.trials_per_process,
    )
    try:
        tuner.search()
    except BudgetSpent:
        pass
    except QuotaDone:
        return REPLACE_ME
    finally:
        oracle.close()
    return 0


def search_ending(err: Exception) -> dict | None:
    """`{"type", "message"}` of an error raised in a worker that ends the
    whole search (a keras-tuner `FatalError`, a `KerashpError` such as the
    builder's `ArgumentError`), else `None` (a crash: the worker is restarted)."""
    import keras_tuner as kt

    cause = err.__cause__ if isinstance(err, kt.errors.FatalError) and err.__cause__ is not None else err
    if isinstance(err, kt.errors.FatalError) or isinstance(cause, KerashpError):
        return {"type": type(cause).__name__, "message": str(cause)}
    return None


def error_of(sent: dict) -> Exception:
    """The error `search_ending` described, by kind, to raise in the driver."""
    kind = getattr(exceptions, sent["type"], None)
    try:
        if isinstance(kind, type) and issubclass(kind, KerashpError):
            return kind(sent["message"])
    except TypeError:  # an error class that takes more than a message
        pass
    return KerashpError(f"A worker stopped the search: {sent['type']}: {sent['message']}")
