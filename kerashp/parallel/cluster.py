"""Which Ray cluster a search's workers run on, and how many trials it holds.

`Execution(workers=N)` runs on a cluster of this machine started for the
search (`"local"`), or the one `Execution(ray=...)` names; `tune` connects
before its first trial and shuts down a cluster it started.
"""

from __future__ import annotations

import logging
import socket

import ray

from kerashp._checks import setting
from kerashp.exceptions import ArgumentError

__all__ = ["connect", "slots", "trial_gpus_default"]


def connect(cluster: str) -> bool:
    """Connects this process to the Ray cluster `cluster` names; returns
    whether it started one (then `tune` shuts it down at the end).

    `"local"`: a cluster of this machine, started for the search; `"auto"`:
    the cluster this process already belongs to (`ray.init` was called), the
    one `RAY_ADDRESS` names or one started on this machine by `ray start`;
    else an address (`"HOST:6379"`, `"ray://HOST:10001"`).
    """
    if ray.is_initialized():
        return False
    quiet = {"log_to_driver": False, "configure_logging": False, "include_dashboard": False}
    if cluster == "local":  # a cluster only this search uses: Ray's note on its token (which it made) is noise
        auth = logging.getLogger("ray._private.authentication.authentication_token_setup")
        level = auth.level
        auth.setLevel(logging.ERROR)
        try:
            ray.init(address="local", **quiet)  # a new one, whatever RAY_ADDRESS names
        finally:
            auth.setLevel(level)
        return True
    try:
        _answers(cluster)
        ray.init(address=cluster, **quiet)
    except ConnectionError as err:
        raise ArgumentError(
            f"Argument `ray` names no Ray cluster that answers. Received: {setting('ray', cluster)} ({err}). "
            "Start one (`ray start --head`), set RAY_ADDRESS, or pass ray='local' for a cluster of this machine."
        ) from None
    return False


def _answers(cluster: str) -> None:
    """Raises `ConnectionError` at once when nothing listens at an address
    `"[ray://]HOST:PORT"` (Ray itself retries for minutes)."""
    host, _, port = cluster.removeprefix("ray://").rpartition(":")
    if cluster == "auto" or not host or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as err:
        raise ConnectionError(f"nothing answers at {host}:{port}: {err.strerror or err}") from None


def slots(trial_cpus: float, trial_gpus: float) -> int:
    """How many trials the cluster holds at once with these resources each."""
    total = ray.cluster_resources()
    fits = [total.get("CPU", 0) / trial_cpus] if trial_cpus else []
    if trial_gpus:
        fits.append(total.get("GPU", 0) / trial_gpus)
    return max(1, int(min(fits))) if fits else 1


def trial_gpus_default() -> float:
    """One GPU per trial where the cluster has GPUs, else none."""
    return 1.0 if ray.cluster_resources().get("GPU", 0) else 0.0
