"""keras-tuner's chief/worker protocol, served and called by kerashp.

The chief serves its oracle with keras-tuner's gRPC messages (`OracleServicer`
/ `OracleStub` of keras-tuner's protos, from `kerashp._keras_tuner_compat`) on a server kerashp starts
itself, so that it can:

- bind to loopback (`127.0.0.1`), on a port the system picks: only the
  chief's own worker processes reach it (workers on other machines run on
  Ray, `kerashp.parallel.on_ray`, where `OracleService` answers the same
  messages);
- refuse every request that does not carry the run's token in its metadata
  (a server interceptor), and take several requests at once while one lock
  keeps the oracle's calls one at a time;
- end the search for every worker when the time budget is spent or too many
  trials failed in a row (`CreateTrial` answers `STOPPED`).

A worker's tuner holds a `RemoteOracle`: a keras-tuner `Oracle` whose
protocol methods are calls to the chief with short deadlines, retried with
backoff while the chief is unreachable, then given up with a clear error;
keras-tuner's own client waits up to an hour per call. Hyperband's `IDLE`
answer (wait for other trials) is followed by a pause, not an immediate
re-ask. No `KERASTUNER_*` variable is read or set anywhere.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from concurrent import futures
from typing import Any

import grpc
import keras_tuner as kt

from kerashp._keras_tuner_compat import (
    ClientOracle,
    conditions_module,
    hp_module,
    protos,
    retry,
    trial_module,
)
from kerashp.exceptions import ChiefLostError, KerashpError, TooManyFailuresError
from kerashp.tuning.deadline import Deadline

# keras-tuner 1.4.8's `conditions.Parent.to_proto` prints the first value of
# every condition it serializes (hundreds of bare "2"/"3" lines for a
# conditional space over gRPC). That module prints nothing else: its `print`
# is silenced there alone (swapping sys.stdout would race with the chief's
# own progress lines).
conditions_module.print = lambda *args, **kwargs: None

__all__ = ["OracleService", "ProtocolOracle", "RemoteOracle", "serve", "TOKEN_KEY"]

#: The metadata key of the run's token on every request.
TOKEN_KEY = "kerashp-token"
#: How long a worker waits for one answer, and for the chief in all, before giving up.
CALL_SECONDS = 60.0
PATIENCE_SECONDS = 120.0
IDLE_PAUSE = 0.5


class _TokenCheck(grpc.ServerInterceptor):
    """Refuses (UNAUTHENTICATED) any request whose metadata lacks the token
    (none needed when `token` is `None`)."""

    def __init__(self, token: str | None):
        self.token = None if token is None else token.encode()

        def refuse(request: Any, context: grpc.ServicerContext) -> None:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong kerashp token")

        self._refusal = grpc.unary_unary_rpc_method_handler(refuse)

    def intercept_service(self, continuation: Callable, details: grpc.HandlerCallDetails) -> Any:
        metadata = dict(details.invocation_metadata or ())
        if self.token is not None and not hmac.compare_digest(str(metadata.get(TOKEN_KEY, "")).encode(), self.token):
            return self._refusal
        return continuation(details)


class OracleService(protos.get_service_grpc().OracleServicer):
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


def serve(service: OracleService, token: str | None, host: str = "127.0.0.1", port: int = 0,
          threads: int = 8) -> tuple[grpc.Server, int]:
    """Starts a gRPC server of `service` on `host:port` (0: the system picks),
    guarded by `token` (`None`: no token asked); returns it and the port bound."""
    guard = _TokenCheck(token)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=threads), interceptors=[guard])
    protos.get_service_grpc().add_OracleServicer_to_server(service, server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if not bound:
        raise KerashpError(f"The chief could not listen on {host}:{port}. Pick another port, or 0 for any free one.")
    server.start()
    return server, bound


class ProtocolOracle(ClientOracle):
    """A worker's view of the chief's oracle: keras-tuner's `Oracle` protocol
    as messages (keras-tuner's protos) sent by `_call(method, request)`, which
    a transport defines (gRPC here, Ray in `kerashp.parallel.on_ray`). The
    chief keeps the search's state."""

    def __init__(self, objective: Any):
        super().__init__(objective=objective, max_trials=None)

    def _call(self, method: str, request: Any) -> Any:
        raise NotImplementedError

    # keras-tuner's Oracle protocol, answered by the chief -------------------
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

    # the chief keeps the search's state --------------------------------------
    def save(self) -> None:
        pass

    def reload(self) -> None:
        pass

    def close(self) -> None:
        pass


class RemoteOracle(ProtocolOracle):
    """A worker's view of the chief's oracle over gRPC (see the module docstring).

    Args:
        address: The chief's `host:port`.
        token: The run's token, or `None`.
        objective: The search's keras-tuner objective (the tuner reads it).
    """

    def __init__(self, address: str, token: str | None, objective: Any):
        super().__init__(objective)
        self.address = address
        self._metadata = () if token is None else ((TOKEN_KEY, token),)
        self._channel = grpc.insecure_channel(address)
        self._stub = protos.get_service_grpc().OracleStub(self._channel)

    def _call(self, method: str, request: Any) -> Any:
        """One request; retried with backoff while the chief is unreachable, for
        `PATIENCE_SECONDS` in all (each try waits up to `CALL_SECONDS`)."""
        started, pause = time.monotonic(), 0.5
        while True:
            try:
                return getattr(self._stub, method)(request, metadata=self._metadata, timeout=CALL_SECONDS,
                                                   wait_for_ready=True)
            except grpc.RpcError as err:
                if err.code() == grpc.StatusCode.UNAUTHENTICATED:
                    raise ChiefLostError(f"The chief at {self.address} refused this worker's token. Give the worker "
                                    "the chief's token.") from None
                waited = time.monotonic() - started
                if err.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED) \
                        or waited >= PATIENCE_SECONDS:
                    raise ChiefLostError(f"Lost the chief at {self.address} ({err.code().name} after {waited:.0f}s of "
                                         "retries); this worker stops. Finished trials are saved in the run "
                                         "folder.") from None
            time.sleep(pause)
            pause = min(pause * 2, 10.0)

    def close(self) -> None:
        self._channel.close()
