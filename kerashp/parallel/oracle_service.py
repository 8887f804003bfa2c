"""keras-tuner's oracle protocol between the driver and its workers.

The driver answers its workers' questions with `OracleService`: keras-tuner's
oracle messages (its protos: get the space, create a trial, a per-epoch
update answered with ASHA's stop, end a trial) applied to the search's one
oracle, one at a time. It ends the search for every worker when the time
budget is spent or too many trials failed in a row (`CreateTrial` answers
`STOPPED`), and gives a lost worker's trial back to the queue or ends it.

A worker's tuner holds a `ProtocolOracle`: a keras-tuner `Oracle` whose
protocol methods are those messages, sent by a transport
(`kerashp.parallel.on_ray.RayOracle`). Hyperband's `IDLE` answer (wait for
other trials) is followed by a pause, not an immediate re-ask. No
`KERASTUNER_*` variable is read or set anywhere.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import keras_tuner as kt

from kerashp._keras_tuner_compat import (
    ClientOracle,
    conditions_module,
    hp_module,
    protos,
    retry,
    trial_module,
)
from kerashp.exceptions import TooManyFailuresError
from kerashp.tuning.deadline import Deadline

# keras-tuner 1.4.8's `conditions.Parent.to_proto` prints the first value of
# every condition it serializes (hundreds of bare "2"/"3" lines for a
# conditional space sent to workers). That module prints nothing else: its
# `print` is silenced there alone (swapping sys.stdout would race with the
# driver's own progress lines).
conditions_module.print = lambda *args, **kwargs: None

__all__ = ["OracleService", "ProtocolOracle"]

#: How long a worker pauses when Hyperband tells it to wait for other trials.
IDLE_PAUSE = 0.5


class OracleService:
    """Serves `oracle` (see the module docstring).

    Args:
        oracle: The search's keras-tuner `Oracle`.
        deadline: The `Deadline` after which no trial starts, or `None`.

    Attributes:
        error: The exception that ended the search (too many failures), or `None`.
        stopped: Why the search ended early (`"budget"`, `"error"`), or `None`.
    """

    def __init__(self, oracle: kt.Oracle, deadline: Deadline | None = None):
        self.oracle = oracle
        self.deadline = deadline
        self.lock = threading.Lock()
        self.error: Exception | None = None
        self.stopped: str | None = None

    def _stopped_trial(self) -> Any:
        return trial_module.Trial(self.oracle.get_space(), status=trial_module.TrialStatus.STOPPED)

    def GetSpace(self, request: Any, context: Any) -> Any:
        with self.lock:
            return protos.get_service().GetSpaceResponse(hyperparameters=self.oracle.get_space().to_proto())

    def UpdateSpace(self, request: Any, context: Any) -> Any:
        with self.lock:
            self.oracle.update_space(hp_module.HyperParameters.from_proto(request.hyperparameters))
        return protos.get_service().UpdateSpaceResponse()

    def CreateTrial(self, request: Any, context: Any) -> Any:
        with self.lock:
            ongoing = self.oracle.ongoing_trials.get(request.tuner_id)
            if ongoing is None and self.stopped is None and self.deadline is not None and self.deadline.passed():
                self.stopped = "budget"
            trial = None
            if ongoing is not None or self.stopped is None:
                try:
                    trial = self.oracle.create_trial(request.tuner_id)
                except TooManyFailuresError as err:
                    self.error, self.stopped = err, "error"
            trial = trial or self._stopped_trial()
        return protos.get_service().CreateTrialResponse(trial=trial.to_proto())

    def UpdateTrial(self, request: Any, context: Any) -> Any:
        with self.lock:
            trial = self.oracle.update_trial(request.trial_id, dict(request.metrics), step=request.step)
        return protos.get_service().UpdateTrialResponse(trial=trial.to_proto())

    def EndTrial(self, request: Any, context: Any) -> Any:
        with self.lock:
            self.oracle.end_trial(trial_module.Trial.from_proto(request.trial))
        return protos.get_service().EndTrialResponse()

    def GetTrial(self, request: Any, context: Any) -> Any:
        with self.lock:
            trial = self.oracle.get_trial(request.trial_id)
        return protos.get_service().GetTrialResponse(trial=trial.to_proto())

    def GetBestTrials(self, request: Any, context: Any) -> Any:
        with self.lock:
            trials = self.oracle.get_best_trials(request.num_trials)
        return protos.get_service().GetBestTrialsResponse(trials=[t.to_proto() for t in trials])

    def end_ongoing(self, tuner_id: str, status: str = "FAILED", message: str | None = None) -> str | None:
        """Ends the trial `tuner_id` was running with `status` (its worker is
        gone for good; `COMPLETED` when its record had arrived); returns its
        id, or `None` when it ran none."""
        with self.lock:
            trial = self.oracle.ongoing_trials.get(tuner_id)
            if trial is None:
                return None
            trial.status, trial.message = status, message
            self.oracle.end_trial(trial)
            return trial.trial_id

    def give_back(self, tuner_id: str) -> str | None:
        """Sends the trial `tuner_id` was running back to the queue, where the
        next worker to ask gets it; returns its id, or `None` when it ran none."""
        with self.lock:
            trial = self.oracle.ongoing_trials.pop(tuner_id, None)
            if trial is None:
                return None
            retry(self.oracle, [trial.trial_id])
            return trial.trial_id


class ProtocolOracle(ClientOracle):
    """A worker's view of the driver's oracle: keras-tuner's `Oracle` protocol
    as messages (keras-tuner's protos) sent by `_call(method, request)`, which
    a transport defines (Ray's in `kerashp.parallel.on_ray`). The driver keeps
    the search's state."""

    def __init__(self, objective: Any):
        super().__init__(objective=objective, max_trials=None)

    def _call(self, method: str, request: Any) -> Any:
        raise NotImplementedError

    # keras-tuner's Oracle protocol, answered by the driver ------------------
    def get_space(self) -> Any:
        response = self._call("GetSpace", protos.get_service().GetSpaceRequest())
        return hp_module.HyperParameters.from_proto(response.hyperparameters)

    def update_space(self, hyperparameters: Any) -> None:
        self._call("UpdateSpace", protos.get_service().UpdateSpaceRequest(hyperparameters=hyperparameters.to_proto()))

    def create_trial(self, tuner_id: str) -> Any:
        response = self._call("CreateTrial", protos.get_service().CreateTrialRequest(tuner_id=tuner_id))
        trial = trial_module.Trial.from_proto(response.trial)
        if trial.status == trial_module.TrialStatus.IDLE:
            time.sleep(IDLE_PAUSE)  # Hyperband waits for other trials: ask again in a moment
        return trial

    def update_trial(self, trial_id: str, metrics: dict, step: int = 0) -> Any:
        request = protos.get_service().UpdateTrialRequest(trial_id=trial_id, metrics=metrics, step=step)
        return trial_module.Trial.from_proto(self._call("UpdateTrial", request).trial)

    def end_trial(self, trial: Any) -> None:
        self._call("EndTrial", protos.get_service().EndTrialRequest(trial=trial.to_proto()))

    def get_trial(self, trial_id: str) -> Any:
        response = self._call("GetTrial", protos.get_service().GetTrialRequest(trial_id=trial_id))
        return trial_module.Trial.from_proto(response.trial)

    def get_best_trials(self, num_trials: int = 1) -> list:
        response = self._call("GetBestTrials", protos.get_service().GetBestTrialsRequest(num_trials=num_trials))
        return [trial_module.Trial.from_proto(t) for t in response.trials]

    # the driver keeps the search's state -------------------------------------
    def save(self) -> None:
        pass

    def reload(self) -> None:
        pass

    def close(self) -> None:
        pass
