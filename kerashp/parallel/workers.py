"""`tune(..., execution=Execution(workers=N))`: N worker processes run trials at once against
the chief's one oracle.

The chief (the process that called `tune`) prepares the data once and
writes it to the run folder as `.npy` files (`kerashp.datasets._files`),
serves its oracle on loopback behind a fresh token
(`kerashp.parallel.oracle_service`), and starts the workers with `python -m
kerashp.parallel.workers`: a new interpreter each (TensorFlow cannot be
forked), which never imports the user's `__main__`. A worker reads one
cloudpickled job from its stdin — the build function and callbacks (by
value when they live in `__main__` or a notebook), the space, the
algorithm, the objective — memory-maps the data and runs kerashp's
`SearchTuner` against a `RemoteOracle`. It writes each finished trial's
record and weights to the run folder, as a search in one process does; the
chief reads the records as they appear and hands them to its observers
(progress, TensorBoard HParams, `on_trial_end`), so what `tune` returns and
the run folder are the same whether the trials ran in one process or N.

A worker that dies is started again with the same id, and the oracle hands
it the trial it was running, which is run again (keras-tuner gives a tuner
id's ongoing trial back); after `RESTARTS` deaths its trial is recorded as
failed and the others go on. A worker that has run `TRIALS_PER_PROCESS`
trials exits and a fresh one takes its place: TensorFlow keeps some memory
of every model a process builds, so a long search stays in bounded memory.
Ctrl-C in the chief stops every worker; the finished trials are in the run
folder and `RunFolder(if_exists="resume")` goes on.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from kerashp import exceptions
from kerashp._checks import setting
from kerashp.devices import gpu_count
from kerashp.exceptions import ArgumentError, DamagedFileError, KerashpError
from kerashp.parallel.job import Job
from kerashp.storage.run_store import RunStore, read_json, write_json
from kerashp.tuning.deadline import Deadline
from kerashp.tuning.tuner import BudgetSpent, SearchTuner

__all__ = ["run_job", "run_workers", "worker_count"]

#: How often a worker that dies is started again before its trial is given up.
RESTARTS = 2
#: Trials a worker process runs before it is replaced by a fresh one: TensorFlow
#: keeps some memory of every model a process builds (`benchmarks/memory.py`).
TRIALS_PER_PROCESS = 20
_REPLACE_ME = 3  # a worker's exit code: it ran its share of trials
POLL_SECONDS = 0.2
#: Where the chief serves its oracle to its workers: this machine only.
LOOPBACK = "127.0.0.1"


def worker_count(workers: int | str | None) -> int:
    """The number of worker processes `Execution(workers=...)` asks for (0: none, trials run in the caller).

    `"auto"`: one per GPU when there are GPUs, else one per CPU core (at
    most 8): each worker then runs TensorFlow on its share of the cores.
    """
    if workers is None:
        return 0
    if workers == "auto":
        gpus = gpu_count()
        return gpus if gpus else max(1, min(os.cpu_count() or 1, 8))
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ArgumentError(
            f"`workers` must be a number of worker processes (an integer >= 1) or 'auto'. Received: "
            f"{setting('workers', workers)}. Pass 2 for two trials at once, or 'auto' (one per GPU or CPU core)."
        )
    return workers


@dataclass
class _Worker:
    worker_id: str
    process: subprocess.Popen | None = None
    deaths: int = 0
    done: bool = False
    lost: bool = False  # died too often: given up
    log: IO | None = field(default=None, repr=False)
    offset: int = 0  # where the running process's output starts in the log


class _Pool:
    command = [sys.executable, "-m", "kerashp.parallel.workers"]  # a worker process; it reads its job on stdin

    def __init__(self, tuner: Any, job: Job, count: int, service: Any, address: str, token: str):
        self.tuner, self.job, self.service = tuner, job, service
        self.address, self.token = address, token
        self.folder = tuner.store.path / "workers"
        self.threads = max(1, (os.cpu_count() or 1) // max(count, 1))
        gpus = gpu_count()
        self.devices = [str(i % gpus) for i in range(count)] if gpus else [None] * count
        self.workers = [_Worker(f"worker{i}") for i in range(count)]

    def start(self, worker: _Worker, index: int) -> None:
        import cloudpickle

        job = self.job.but(address=self.address, token=self.token, worker_id=worker.worker_id, threads=self.threads,
                           trials_per_process=TRIALS_PER_PROCESS)
        error = self._error_file(worker)
        error.unlink(missing_ok=True)  # one an earlier process wrote is not read again
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        if self.devices[index] is not None:
            env["CUDA_VISIBLE_DEVICES"] = self.devices[index]
        if worker.log is None:
            worker.log = open(self.folder / f"{worker.worker_id}.log", "ab")  # noqa: SIM115 (closed in stop)
        worker.log.flush()
        worker.offset = worker.log.tell()  # a log kept from an earlier process or run is not read again
        worker.process = subprocess.Popen(
            self.command, stdin=subprocess.PIPE, stdout=worker.log,
            stderr=subprocess.STDOUT, env=env, start_new_session=True,  # Ctrl-C reaches the chief only
        )
        worker.process.stdin.write(cloudpickle.dumps(job))
        worker.process.stdin.close()

    def check(self) -> bool:
        """Starts dead workers again; returns whether any still runs."""
        for index, worker in enumerate(self.workers):
            if worker.done or worker.process is None or worker.process.poll() is None:
                continue
            code = worker.process.returncode
            if code == 0:
                worker.done = True
                continue
            if code == _REPLACE_ME:
                self.start(worker, index)
                continue
            fatal = self._fatal(worker)
            if fatal is not None:
                raise fatal
            worker.deaths += 1
            if worker.deaths <= RESTARTS:
                self.start(worker, index)
                continue
            worker.done = worker.lost = True
            log = self.folder / f"{worker.worker_id}.log"
            if all(w.lost for w in self.workers):
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
                raise KerashpError(f"Every worker process died, each {worker.deaths} times; the last lines of "
                                   f"{log}:\n{tail}")
            fail_lost_trial(self.service, self.tuner, worker.worker_id,  # its record reaches the observers by poll
                            f"its worker process died {worker.deaths} times (last exit code {code}); see {log}")
        return not all(w.done for w in self.workers)

    def _error_file(self, worker: _Worker) -> Path:
        return self.folder / f"{worker.worker_id}.error.json"

    def _fatal(self, worker: _Worker) -> Exception | None:
        """The error a worker process ended the search with (its `.error.json`), by kind."""
        try:
            sent = read_json(self._error_file(worker))
        except (FileNotFoundError, DamagedFileError):
            return None
        return error_of(sent)

    def stop(self) -> None:
        for worker in self.workers:
            if worker.process is not None and worker.process.poll() is None:
                worker.process.terminate()
        for worker in self.workers:
            if worker.process is not None:
                try:
                    worker.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.process.kill()
                    worker.process.wait()
            if worker.log is not None:
                worker.log.close()


class _Records:
    """Hands each record that appears in the run folder to `observers`, once."""

    def __init__(self, store: Any, observers: Any):
        self.store, self.observers = store, observers
        self.seen = self._names()

    def _names(self) -> set[str]:
        return {p.name for p in self.store.record_paths()}

    def poll(self) -> None:
        from kerashp.storage.run_store import read_json
        from kerashp.tuning.trial import TrialRecord

        new = sorted(self._names() - self.seen)
        records = []
        for name in new:
            try:
                records.append(TrialRecord.from_dict(read_json(self.store.trials_dir / name)))
            except (exceptions.DamagedFileError, KeyError, TypeError, ValueError):
                continue  # read again when the worker has written it whole (writes are atomic)
            self.seen.add(name)
        for record in sorted(records, key=lambda r: r.number):
            self.observers(record)


def run_workers(tuner: Any, *, count: int, job: Job, observers: Any, deadline: Deadline | None) -> str | None:
    """Runs `tuner`'s search in `count` worker processes (see the module
    docstring); `observers` get each finished trial's record in the chief.

    Returns:
        `"budget"` when the time budget ended the search, else `None`.

    Raises:
        KerashpError: A worker hit an error that ends the search (its own
            kind: an `ArgumentError` from the builder, say), or too many
            trials failed in a row.
    """
    from kerashp.datasets._files import write_prepared
    from kerashp.parallel.oracle_service import OracleService, serve

    folder = tuner.store.path / "workers"
    tuner.save()
    service = OracleService(tuner.oracle, deadline)
    token = secrets.token_urlsafe(32)
    server, port = serve(service, token, threads=max(8, count + 4))
    write_prepared(tuner.data, folder / "data")
    # a worker reports every epoch, and its costs, to the chief's pruner
    pool = _Pool(tuner, job.but(data=str(folder / "data"), deadline=deadline, prunes=tuner.prunes), count, service,
                 f"{LOOPBACK}:{port}", token)
    records = _Records(tuner.store, observers)
    try:
        for index, worker in enumerate(pool.workers):
            pool.start(worker, index)
        while pool.check():
            records.poll()
            time.sleep(POLL_SECONDS)
    finally:
        pool.stop()
        server.stop(grace=1).wait()
        records.poll()
        shutil.rmtree(folder / "data", ignore_errors=True)
    if service.error is not None:
        raise service.error  # the oracle's own error, as in one process
    return service.stopped


class QuotaDone(Exception):
    """Raised before a new trial would start in a worker that has run its
    `trials_left` (it is replaced then, to bound memory)."""


class WorkerTuner(SearchTuner):
    """A worker's tuner: it runs trials from the chief's oracle and writes
    their records; the search's state (oracle, tuner file, space) is the
    chief's to keep."""

    keeps_state = False

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


def run_job(job: Job, *, oracle: Any = None, store: Any = None, data: Any = None) -> int:
    """A worker: runs trials from the chief until it answers STOPPED.

    `oracle`, `store` and `data` are a transport's own (Ray's,
    `kerashp.parallel.on_ray`); by default the chief's gRPC server, the run
    folder and the prepared data's files.
    """
    if job.threads is not None:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(job.threads)
        tf.config.threading.set_inter_op_parallelism_threads(job.threads)
    import keras_tuner as kt

    from kerashp.datasets._files import read_prepared
    from kerashp.devices import get_strategy
    from kerashp.parallel.oracle_service import RemoteOracle
    from kerashp.reporting.observers import Observers
    from kerashp.storage.run_store import RunStore

    goal = job.objective
    store = RunStore(job.directory, job.name) if store is None else store
    if oracle is None:
        oracle = RemoteOracle(job.address, job.token, kt.Objective(goal.name, goal.direction))
    tuner = WorkerTuner(
        oracle, algorithm=job.algorithm, space=job.space, build_fn=job.build_fn,
        data=read_prepared(Path(job.data)) if data is None else data,
        objective=goal, store=store, observers=Observers(), callbacks=job.callbacks,
        tensorboard=job.tensorboard, epochs=job.epochs, batch_size=job.batch_size, seed=job.seed,
        deadline=job.deadline, strategy=get_strategy("auto"), prunes=job.prunes, precision=job.precision,
        worker_id=job.worker_id, trials_left=job.trials_per_process,
    )
    try:
        tuner.search()
    except BudgetSpent:
        pass
    except QuotaDone:
        return _REPLACE_ME
    finally:
        oracle.close()
    return 0


def fail_lost_trial(service: Any, tuner: Any, worker_id: str, message: str) -> Any:
    """Ends the trial `worker_id` ran as FAILED (its worker died too often)
    and writes its record; returns the record, or `None` when it ran none."""
    from kerashp.tuning.trial import TrialRecord, TrialStatus

    trial_id = service.end_ongoing(worker_id, "FAILED", message)
    if trial_id is None:
        return None
    values = service.oracle.trials[trial_id].hyperparameters.values
    record = TrialRecord(int(trial_id), trial_id, TrialStatus.FAILED, tuner.space.complete(values), error=message)
    tuner.store.write_record(record)
    return record


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
    """The error `search_ending` described, by kind, to raise in the chief."""
    kind = getattr(exceptions, sent["type"], None)
    try:
        if isinstance(kind, type) and issubclass(kind, KerashpError):
            return kind(sent["message"])
    except TypeError:  # an error class that takes more than a message
        pass
    return KerashpError(f"A worker stopped the search: {sent['type']}: {sent['message']}")


def main() -> int:
    import cloudpickle

    job = cloudpickle.loads(sys.stdin.buffer.read())
    print(f"kerashp {job.worker_id} started (pid {os.getpid()}), chief at {job.address}", flush=True)
    try:
        return run_job(job)
    except Exception as err:  # noqa: BLE001 (the chief re-raises it by kind)
        sent = search_ending(err)
        if sent is None:
            raise
        write_json(RunStore(job.directory, job.name).path / "workers" / f"{job.worker_id}.error.json", sent)
        print(f"kerashp {job.worker_id} stopped the search: {sent['type']}: {sent['message']}", flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
