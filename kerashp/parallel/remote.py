"""Workers on other machines: `tune(..., execution=Execution(listen="HOST:PORT"))` and `kerashp.worker`.

The chief of a search (`kerashp.parallel.workers.run_workers`) can take
workers started on other machines that see the same run folder (shared
storage): it writes the prepared data there, and a worker started with
`kerashp.worker(build_fn, chief="HOST:PORT", directory=..., name=...)` (or
`kerashp worker CONFIG --chief HOST:PORT`) reads the space, algorithm,
objective and data from the run folder and asks the chief for trials. Only
the builder and callbacks are the worker's own: nothing is unpickled from
the folder.

Any address but loopback needs a shared token (`KERASHP_TOKEN`, or the file
`KERASHP_TOKEN_FILE` names) that every request carries; there is no TLS, so
the token crosses the network in clear: use a network you trust. A worker
sends a heartbeat every `HEARTBEAT_SECONDS`; one not heard from for
`LEASE_SECONDS` loses its trial to the next worker that asks.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any

from kerashp.exceptions import ArgumentError, RunFolderError

__all__ = ["parse_listen", "read_token", "worker"]


#: Addresses of this machine only, and those that mean every interface.
LOOPBACK = ("127.0.0.1", "localhost", "::1")
WILDCARD = ("0.0.0.0", "::")


def reachable_name(host: str) -> str:
    """How other machines reach a chief listening on `host` (this machine's
    name for a wildcard address)."""
    return socket.gethostname() if host in WILDCARD else host


def local_address(host: str) -> str:
    """How this machine's own workers reach a chief listening on `host`."""
    return LOOPBACK[0] if host in WILDCARD or host in LOOPBACK else host


def parse_listen(listen: Any) -> tuple[str, int, str | None]:
    """`(host, port, token)` of `listen="HOST:PORT"`; the token (see `read_token`)
    is required unless the host is loopback."""
    host, _, port = str(listen).rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536 or not isinstance(listen, str):
        raise ArgumentError(
            f"Argument `listen` must be 'HOST:PORT', the address workers on other machines reach the chief at. "
            f"Received: listen={listen!r}. Pass e.g. listen='0.0.0.0:8470' (every interface) or "
            "'127.0.0.1:8470' (this machine only)."
        )
    token = read_token()
    if token is None and host not in LOOPBACK:
        raise ArgumentError(
            f"listen={listen!r} takes requests from other machines, so it needs a shared token: set "
            "KERASHP_TOKEN (or KERASHP_TOKEN_FILE, a file holding it) to the same secret on the chief and every "
            "worker, e.g. `export KERASHP_TOKEN=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')`. "
            "Without TLS the token crosses the network in clear: use a network you trust."
        )
    return host, int(port), token


def read_token() -> str | None:
    """The shared token from `KERASHP_TOKEN`, or the file `KERASHP_TOKEN_FILE` names; never printed."""
    if os.environ.get("KERASHP_TOKEN"):
        return os.environ["KERASHP_TOKEN"]
    path = os.environ.get("KERASHP_TOKEN_FILE")
    if path:
        try:
            return Path(path).read_text().strip() or None
        except OSError as err:
            raise ArgumentError(f"KERASHP_TOKEN_FILE={path!r} cannot be read ({err.strerror}). "
                                "Point it at a readable file holding the token.") from None
    return None



def worker(
    build_fn: Any,
    *,
    chief: str | None = None,
    directory: str | os.PathLike = "kerashp_runs",
    name: str,
    callbacks: Any = None,
    verbose: int = 1,
) -> None:
    """Runs trials for a search whose chief listens at `chief`, until it has none left.

    Start the chief with `kerashp.tune(..., execution=Execution(listen="HOST:PORT"))` (or `kerashp
    tune CONFIG --listen HOST:PORT`), then this on any machine that sees the same run
    folder (shared storage): the space, algorithm, objective and data come
    from there; the builder and callbacks are this call's. The token, when
    the chief needs one, comes from `KERASHP_TOKEN` or `KERASHP_TOKEN_FILE`.
    A chief that cannot be reached is retried with backoff for
    `distributed.PATIENCE_SECONDS`, then this raises `ChiefLostError`.

    Args:
        build_fn: The chief's builder (the same function).
        chief: The chief's `"HOST:PORT"`. Defaults to `None`: the address
            the chief wrote to the run folder (its host name and port).
        directory: The runs' parent folder, as the chief's `directory`.
        name: The run's name, as the chief's `name`.
        callbacks: As `tune`'s `callbacks`. Defaults to `None`.
        verbose: 1 prints a line when this worker starts and ends. Defaults to `1`.

    Example:
        >>> kerashp.worker(build, chief="10.0.0.5:8470", directory="/shared/runs", name="search")
    """
    import socket

    from kerashp import algorithms
    from kerashp.parallel.job import Job
    from kerashp.parallel.workers import run_job
    from kerashp.reporting.tensorboard import TrialLogs
    from kerashp.space import Space
    from kerashp.storage.run_store import RunStore, read_json
    from kerashp.tuning.deadline import Deadline
    from kerashp.tuning.objective import Objective

    store = RunStore(directory, name)
    folder = store.path / "workers"
    waited = 0.0
    while not (folder / "data" / "prepared.json").exists():  # the chief writes it before it listens
        if waited >= 120:
            raise RunFolderError(
                f"No search is being served from {store.path}: {folder / 'data'} did not appear in 120 s. Start the "
                "chief first, and pass the same directory= and name= (a folder both machines share).")
        time.sleep(1.0)
        waited += 1.0
    settings = store.read_settings()
    written = read_json(folder / "chief.json")
    deadline, chief = written.get("deadline"), chief or written.get("address")
    if chief is None:
        raise ArgumentError(f"The chief of {store.path} takes no workers from other machines (it was started "
                            "without listen=). Start it with Execution(listen='HOST:PORT') (or `kerashp tune CONFIG "
                            "--listen HOST:PORT`).")
    worker_id = f"{socket.gethostname()}-{os.getpid()}"
    job = Job(
        build_fn=build_fn, callbacks=callbacks, space=Space.from_config(settings["space"]),
        algorithm=algorithms.stored(settings), objective=Objective(**settings["objective"]),
        epochs=settings["max_epochs"], batch_size=settings["batch_size"], seed=settings["seed"],
        precision=settings.get("precision"), directory=str(store.directory), name=store.name,
        tensorboard=TrialLogs(Path(settings["tensorboard"]) if settings.get("tensorboard") else None),
        data=str(folder / "data"), prunes=bool(written.get("prunes")),
        deadline=None if deadline is None else Deadline(deadline), address=chief, token=read_token(),
        worker_id=worker_id,
    )
    if verbose:
        print(f"kerashp worker {worker_id}: trials of {store.path} from the chief at {chief}", flush=True)
    run_job(job)
    if verbose:
        print(f"kerashp worker {worker_id}: no trial left", flush=True)
