"""`tune(..., execution=Execution(workers=N))`: N trials at once on a Ray cluster.

The cluster is one of this machine, started for the search and shut down
after it, unless `Execution(ray=...)` names another. The process that called
`tune` (the driver) keeps the search: its one oracle
(served by the same `OracleService`), the run folder, progress and
`on_trial_end`. Each worker is a Ray task (a fresh process, `max_calls=1`)
placed by Ray where its resources are free (`trial_cpus`, `trial_gpus`,
fractions of a GPU included); it runs kerashp's `WorkerTuner` against a
`RayOracle` and a `_ShippingStore`. Nothing of kerashp listens on a port and
no folder is shared:

- keras-tuner's oracle messages (its protos: create, per-epoch update with
  ASHA's stop answered mid-fit, end) and the trials' records and weights
  travel through one small actor, the `_Relay`, placed on the driver's node:
  a worker asks it and waits; the driver takes the questions, answers them
  with the oracle and the run store, and the answers go back the same way;
- the prepared data goes to the workers once, through Ray's object store;
- a worker writes its records and weights in a temporary folder of its own
  node (removed when the worker ends; one killed by a cancel leaves it) and
  sends them to the driver, which writes them to the run folder with the
  one `RunStore` (atomically) before anything else sees them; a trial's
  TensorBoard logs go with its record; a promoted Hyperband trial fetches
  its parent's weights from the driver.

A worker that dies (its process killed, its node lost) is replaced; the
trial it ran goes back to the queue and runs again on whichever worker asks
first, unless its record had arrived (then it is ended as recorded: nothing
runs twice). A trial whose workers died `RESTARTS + 1` times is recorded as
failed and the search goes on. Ctrl-C, an error or a spent budget cancels
every worker and kills the relay; the run folder is the driver's, and
`RunFolder(if_exists="resume")` goes on from it. Ray authenticates its
clients with its own token (on by default for local clusters since Ray 2.59).
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import keras_tuner as kt
import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from kerashp._keras_tuner_compat import protos
from kerashp.exceptions import KerashpError
from kerashp.parallel.job import Job
from kerashp.parallel.oracle_service import OracleService, ProtocolOracle

# the workers' rules: restarts before a trial fails, trials a process runs, how often the driver looks
from kerashp.parallel.workers import (
    POLL_SECONDS,
    REPLACE_ME,
    RESTARTS,
    TRIALS_PER_PROCESS,
    error_of,
)
from kerashp.storage.recovery import FINISHED
from kerashp.storage.run_store import RunStore, write_bytes
from kerashp.tuning.trial import TrialRecord, TrialStatus

__all__ = ["RayOracle", "run_on_ray", "worker_env"]


# the relay: questions from workers, answers from the driver ----------------
@ray.remote(num_cpus=0)
class _Relay:
    """Holds each worker's question until the driver answers it."""

    def __init__(self):
        self.questions: asyncio.Queue = asyncio.Queue()
        self.waiting: dict[int, asyncio.Future] = {}
        self.count = 0

    async def ask(self, worker_id: str, kind: str, payload: Any) -> Any:
        self.count += 1
        future = self.waiting[self.count] = asyncio.get_running_loop().create_future()
        await self.questions.put((self.count, worker_id, kind, payload))
        answer, error = await future
        if error is not None:
            raise error
        return answer

    async def take(self, timeout: float) -> list:
        """The questions waiting, after up to `timeout` seconds for a first one."""
        try:
            first = await asyncio.wait_for(self.questions.get(), timeout)
        except asyncio.TimeoutError:
            return []
        taken = [first]
        while not self.questions.empty():
            taken.append(self.questions.get_nowait())
        return taken

    def answer(self, answers: list) -> None:
        for number, answer, error in answers:
            future = self.waiting.pop(number, None)
            if future is not None and not future.done():
                future.set_result((answer, error))


class RayOracle(ProtocolOracle):
    """A Ray worker's view of the driver's oracle: keras-tuner's protocol
    messages, asked through the relay."""

    def __init__(self, relay: Any, objective: Any, worker_id: str):
        super().__init__(objective)
        self.relay, self.worker_id = relay, worker_id

    def _call(self, method: str, request: Any) -> Any:
        if not hasattr(request, "SerializeToString"):  # kerashp's own questions: records and weights
            return ray.get(self.relay.ask.remote(self.worker_id, method, request))
        answer = ray.get(self.relay.ask.remote(self.worker_id, method, request.SerializeToString()))
        return getattr(protos.get_service(), f"{method}Response").FromString(answer)


class _ShippingStore(RunStore):
    """A Ray worker's run store: a folder on its own node whose records (with
    the trial's TensorBoard logs) and weights are sent to the driver, and
    where a parent's weights are fetched from the driver when missing."""

    def __init__(self, oracle: RayOracle, folder: Path, logs: Path | None):
        super().__init__(folder, "run")
        self.oracle, self.logs = oracle, logs

    def write_record(self, record: TrialRecord) -> None:
        files = {}
        folder = None if self.logs is None else self.logs / f"trial_{record.number}"
        if folder is not None and folder.is_dir():
            files = {p.relative_to(self.logs).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        self.oracle._call("WriteRecord", {"record": record.to_dict(), "logs": files})

    def put_weights(self, trial_id: str, fold: int | None, data: bytes) -> None:
        super().put_weights(trial_id, fold, data)  # kept here too: a promotion on this node reads it
        self.oracle._call("PutWeights", (trial_id, fold, data))

    def load_weights(self, model: Any, trial_id: str, fold: int | None = None) -> None:
        if not self.weights_path(trial_id, fold).exists():
            found = self.oracle._call("GetWeights", (trial_id, fold))
            if found is not None:
                RunStore.put_weights(self, trial_id, fold, found)  # here only: the driver has it
        super().load_weights(model, trial_id, fold)


@ray.remote(max_calls=1, max_retries=0)
def _work(job: Job, relay: Any, data: Any) -> int | dict:
    """One worker process: trials until the driver answers STOPPED (0), its
    quota is run (`REPLACE_ME`) or an error ends the search (its description)."""
    from kerashp.parallel.workers import run_job, search_ending
    from kerashp.reporting.tensorboard import TrialLogs

    with tempfile.TemporaryDirectory(prefix="kerashp-worker-", ignore_cleanup_errors=True) as name:
        folder, logs = Path(name), None  # this node's: the store's, the logs sent with records; gone when it ends
        if job.tensorboard is not None and job.tensorboard.root is not None:
            logs = folder / "logs"
            job = job.but(tensorboard=TrialLogs(logs, template=job.tensorboard.template))
        oracle = RayOracle(relay, kt.Objective(job.objective.name, job.objective.direction), job.worker_id)
        try:
            return run_job(job, oracle=oracle, store=_ShippingStore(oracle, folder, logs), data=data)
        except Exception as err:
            sent = search_ending(err)  # returned, not raised: an exception crosses Ray without its cause
            if sent is None:
                raise
            return sent


# the driver ----------------------------------------------------------------
@dataclass
class _Slot:
    worker_id: str
    ref: Any = None
    done: bool = False
    idle_deaths: int = 0  # deaths outside a trial, in a row


class _Driver:
    """Answers the workers' questions with the search's oracle and run store."""

    def __init__(self, tuner: Any, service: OracleService, observers: Any):
        self.tuner, self.service, self.observers = tuner, service, observers
        self.store: RunStore = tuner.store
        self.deaths: dict[str, int] = {}  # by trial id, whichever worker ran it
        self.unheard: dict[str, TrialRecord] = {}  # records of trials the oracle has not ended yet

    def answer(self, worker_id: str, kind: str, payload: Any) -> Any:
        if kind == "WriteRecord":
            return self._record(payload["record"], payload["logs"])
        if kind == "PutWeights":
            trial_id, fold, data = payload
            return self.store.put_weights(_trial_id(trial_id), _fold(fold), data)
        if kind == "GetWeights":
            path = self.store.weights_path(_trial_id(payload[0]), _fold(payload[1]))
            return path.read_bytes() if path.exists() else None
        request = getattr(protos.get_service(), f"{kind}Request").FromString(payload)  # keras-tuner's protocol
        answer = getattr(self.service, kind)(request, None).SerializeToString()
        if kind == "EndTrial":
            self._heard(request.trial.trial_id)
        return answer

    def _record(self, data: dict, logs: dict[str, bytes]) -> None:
        record = TrialRecord.from_dict(data)
        board = self.tuner.tensorboard
        root = None if board is None else board.root
        if root is not None:
            for name, content in logs.items():
                write_bytes(_inside(Path(root), name), content)
        self.store.write_record(record)
        self.unheard[record.trial_id] = record
        trial = self.service.oracle.trials.get(record.trial_id)
        if trial is not None and trial.status in FINISHED:  # a failed trial's record comes after its end
            self._heard(record.trial_id)

    def _heard(self, trial_id: str) -> None:
        """The oracle ended `trial_id`: its record goes to the observers, as in one process (so a Ctrl-C in
        `on_trial_end` leaves a run whose resume proposes what one process would)."""
        record = self.unheard.pop(trial_id, None)
        if record is not None:
            self.observers(record)

    def lost(self, slot: _Slot, why: str) -> None:
        """`slot`'s worker is gone: its trial ends as recorded, goes back to the queue, or fails."""
        trial = self.service.oracle.ongoing_trials.get(slot.worker_id)
        if trial is None:  # it died outside a trial: more than `RESTARTS` times in a row ends the search
            slot.idle_deaths += 1
            if slot.idle_deaths > RESTARTS:
                raise KerashpError(
                    f"A Ray worker died {slot.idle_deaths} times in a row outside a trial; the last time: "
                    f"{why.rstrip('.')}. "
                    "Where that names a module of yours: the workers import the builder's and callbacks' modules, "
                    "so define them in the script, or send your code with Ray (ray.init(runtime_env="
                    "{'working_dir': '.'}), or `ray job submit --working-dir .`).")
            return
        slot.idle_deaths = 0
        if trial.trial_id in self.unheard:  # its record arrived
            self.service.end_ongoing(slot.worker_id, "COMPLETED")  # it finished: only the oracle's end was lost
            self._heard(trial.trial_id)
            return
        deaths = self.deaths[trial.trial_id] = self.deaths.get(trial.trial_id, 0) + 1
        if deaths <= RESTARTS:
            self.service.give_back(slot.worker_id)
            return
        message = f"its worker died {deaths} times ({why})"
        self.service.end_ongoing(slot.worker_id, "FAILED", message)
        record = TrialRecord(int(trial.trial_id), trial.trial_id, TrialStatus.FAILED,
                             self.tuner.space.complete(trial.hyperparameters.values), error=message)
        self.store.write_record(record)
        self.observers(record)


def _trial_id(value: Any) -> str:
    if not isinstance(value, str) or not value.isdigit():
        raise KerashpError(f"A worker sent weights of a trial id that is not one: {value!r}.")
    return value


def _fold(value: Any) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise KerashpError(f"A worker sent weights of a fold that is not one: {value!r}.")
    return value


def _inside(root: Path, name: str) -> Path:
    """`root / name` for a relative name that stays inside `root`."""
    parts = PurePosixPath(name).parts
    if not parts or PurePosixPath(name).is_absolute() or any(p in ("..", "") for p in parts):
        raise KerashpError(f"A worker sent a log file named {name!r}, outside the TensorBoard folder.")
    return Path(root, *parts)


def worker_env(trial_gpus: float | None) -> dict[str, Any] | None:
    """The Ray runtime environment of a worker: where workers share a GPU
    (`trial_gpus` under 1), its backend takes GPU memory as it needs it
    instead of at start (JAX takes 75 % of the GPU, TensorFlow all of it,
    and the next worker on that GPU would find none left). Environment
    variables, read as each backend starts in the new worker process."""
    if not trial_gpus or trial_gpus >= 1:
        return None
    return {"env_vars": {"XLA_PYTHON_CLIENT_PREALLOCATE": "false", "TF_FORCE_GPU_ALLOW_GROWTH": "true"}}


def run_on_ray(tuner: Any, *, count: int, job: Job, observers: Any, deadline: Any, trial_cpus: float,
               trial_gpus: float, message: Any) -> str | None:
    """Runs the search's trials in `count` Ray workers (see the module
    docstring); returns why it stopped early (`"budget"`, `"error"`) or `None`."""
    tuner.save()
    service = OracleService(tuner.oracle, deadline)
    driver = _Driver(tuner, service, observers)
    job = job.but(deadline=deadline, prunes=tuner.prunes)  # a worker reports every epoch to a pruner
    try:  # on the driver's node, which lives as long as the driver: any other may be lost (a soft affinity
        # is not kept on a node without CPUs, such as a head node); a Ray Client driver has no node: anywhere
        placed = {"scheduling_strategy": NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(),
                                                                        soft=False)}
    except Exception:  # noqa: BLE001
        placed = {}
    relay = _Relay.options(name=f"kerashp-relay-{secrets.token_hex(4)}", **placed).remote()
    data = ray.put(tuner.data)
    threads = max(1, round(trial_cpus)) if trial_cpus else None
    work = _work.options(num_cpus=trial_cpus, num_gpus=trial_gpus, runtime_env=worker_env(trial_gpus))
    slots_ = [_Slot(f"worker{i}") for i in range(count)]

    def start(slot: _Slot) -> None:
        slot.ref = work.remote(job.but(worker_id=slot.worker_id, threads=threads,
                                       trials_per_process=TRIALS_PER_PROCESS), relay, data)

    message(f"{count} workers on the Ray cluster ({trial_cpus:g} CPU{'' if trial_cpus == 1 else 's'}"
            + (f", {trial_gpus:g} GPU" if trial_gpus else "") + " a trial)")
    try:
        for slot in slots_:
            start(slot)
        while not all(s.done for s in slots_):
            answers = []
            for number, worker_id, kind, payload in ray.get(relay.take.remote(POLL_SECONDS)):
                try:
                    answers.append((number, driver.answer(worker_id, kind, payload), None))
                except Exception as err:  # noqa: BLE001 (the worker raises it, as a call to the oracle would)
                    answers.append((number, None, err))
            if answers:
                relay.answer.remote(answers)
            running = [s for s in slots_ if not s.done]
            finished, _ = ray.wait([s.ref for s in running], num_returns=len(running), timeout=0)
            for slot in (s for s in running if s.ref in finished):
                _ended(slot, driver, start)
    finally:
        for slot in slots_:
            if not slot.done and slot.ref is not None:
                ray.cancel(slot.ref, force=True)
        ray.kill(relay)
    if service.error is not None:
        raise service.error
    return service.stopped


def _ended(slot: _Slot, driver: _Driver, start: Any) -> None:
    """A worker returned or died: it is done, replaced, or its trial is dealt with and it starts again."""
    try:
        code = ray.get(slot.ref)
    except ray.exceptions.RayTaskError as err:  # an error of its own: a crash
        cause = err.cause if getattr(err, "cause", None) is not None else err
        driver.lost(slot, f"{type(cause).__name__}: {cause}")
        start(slot)
        return
    except ray.exceptions.RayError as err:  # its process or its node died
        driver.lost(slot, type(err).__name__)
        start(slot)
        return
    if isinstance(code, dict):
        raise error_of(code)
    if code == REPLACE_ME:  # it ran its share of trials: a fresh process takes its place
        slot.idle_deaths = 0
        start(slot)
    else:
        slot.done = True

