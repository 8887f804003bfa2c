"""A run's folder on disk: its settings, one JSON record per trial, and the
trials' weights. `RunStore` is the one place that reads and writes them.

Layout of `<directory>/<name>/`:

- `run.json`: the schema version, space, objective, algorithm, builder and data spec.
- `trials/<trial_id>.json`: one `TrialRecord` per finished trial (written atomically).
- `trials/<trial_id>.weights.h5`: the trial's best-epoch weights (none for a
  trial stopped early by a pruner: it is never chosen); with `cv`,
  `trials/<trial_id>.fold<k>.weights.h5` per fold.
- `trial_<id>/`, `oracle.json`, `tuner0.json`: keras-tuner's own state, which
  is what `resume=True` reloads.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from kerashp.exceptions import ArgumentError, RunFolderError
from kerashp.tuning.trial import TrialRecord

__all__ = ["SCHEMA_VERSION", "RunStore", "check_run_name", "last_line", "to_json_value", "write_json"]

#: The version of the run folder's layout that this kerashp writes. 0 is the
#: layout of kerashp 0.1.0 (no `schema` key in run.json).
SCHEMA_VERSION = 1

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def check_run_name(name: str) -> str:
    """Returns `name` if it is a plain folder name; raises otherwise."""
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise ArgumentError(
            "Argument `name` must be a plain folder name (letters, digits, '.', '_', '-'; no '/', "
            f"no '..', not absolute). Received: name={name!r}. Put the parent path in `directory=`."
        )
    return name


def last_line(text: str | None) -> str | None:
    """The last non-blank line of an error text or traceback: what a record keeps."""
    lines = [line.strip() for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def to_json_value(obj: Any) -> Any:
    """`obj` as it reads back from a JSON file."""
    return json.loads(json.dumps(_jsonable(obj), allow_nan=False, default=repr))


def write_json(path: Path, obj: Any) -> None:
    """Writes `obj` as JSON to `path` atomically: a reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(_jsonable(obj), f, indent=1, allow_nan=False, default=repr)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class RunStore:
    """The folder of one run: settings, records and weights.

    Args:
        directory: Parent folder of runs.
        name: The run's folder name inside `directory`.

    Example:
        >>> store = RunStore("kerashp_runs", "demo")
        >>> [r.score for r in store.records()]
    """

    def __init__(self, directory: str | os.PathLike, name: str):
        self.directory = Path(directory)
        self.name = check_run_name(name)
        self.path = self.directory / self.name
        self.trials_dir = self.path / "trials"

    def exists(self) -> bool:
        return (self.path / "run.json").exists() or (self.path / "oracle.json").exists()

    def remove(self) -> None:
        """Deletes the run's folder, and nothing outside it."""
        parent = self.directory.resolve()
        target = self.path.resolve()
        if target.parent != parent or target == parent:
            raise RunFolderError(f"Refusing to delete {target}: it is not a run folder inside {parent}.")
        if target.is_symlink():
            raise RunFolderError(f"Refusing to delete {target}: it is a symbolic link.")
        shutil.rmtree(target, ignore_errors=False)

    # settings ---------------------------------------------------------------
    def write_settings(self, settings: dict) -> None:
        write_json(self.path / "run.json", {"schema": SCHEMA_VERSION, **settings})

    def read_settings(self) -> dict:
        """run.json, checked to be of a layout this kerashp reads.

        Raises:
            RunFolderError: run.json is missing, or a newer kerashp wrote it.
        """
        path = self.path / "run.json"
        if not path.exists():
            raise RunFolderError(f"No kerashp run in {self.path}: run.json is missing.")
        settings = json.loads(path.read_text())
        version = settings.get("schema", 0)
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise RunFolderError(
                f"{path} has schema version {version!r}, but this kerashp reads versions up to "
                f"{SCHEMA_VERSION}: a newer kerashp wrote it. Upgrade kerashp to open this run."
            )
        return settings

    # records ----------------------------------------------------------------
    def write_record(self, record: TrialRecord) -> None:
        """Writes one trial's record (atomically, replacing an earlier one)."""
        write_json(self.trials_dir / f"{record.trial_id}.json", record.to_dict())

    def records(self) -> list[TrialRecord]:
        """Every trial record, in trial order."""
        if not self.trials_dir.exists():
            return []
        found = [TrialRecord.from_dict(json.loads(p.read_text())) for p in self.trials_dir.glob("*.json")]
        return sorted(found, key=lambda r: r.number)

    # weights ----------------------------------------------------------------
    def weights_path(self, trial_id: str, fold: int | None = None) -> Path:
        suffix = "" if fold is None else f".fold{fold}"
        return self.trials_dir / f"{trial_id}{suffix}.weights.h5"

    def save_weights(self, model: Any, trial_id: str, fold: int | None = None) -> None:
        """Saves a trial's weights (optimizer state included)."""
        path = self.weights_path(trial_id, fold)
        path.parent.mkdir(parents=True, exist_ok=True)
        model.save_weights(path)

    def load_weights(self, model: Any, trial_id: str, fold: int | None = None) -> None:
        """Loads weights saved by `save_weights`, optimizer state included: a
        promoted Hyperband trial goes on with its parent's optimizer moments.

        Raises:
            RunFolderError: the weights file is missing.
        """
        path = self.weights_path(trial_id, fold)
        if not path.exists():
            raise RunFolderError(f"The weights of trial {trial_id!r} are missing: {path}.")
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and not optimizer.built:
            optimizer.build(model.trainable_variables)
        model.load_weights(path)
