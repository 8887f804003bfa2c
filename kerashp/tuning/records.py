"""A run's folder on disk: its settings and one JSON record per trial.

Layout of `<directory>/<name>/`:

- `run.json`: the space, objective, algorithm, builder and data spec.
- `trials/<trial_id>.json`: one record per finished trial (written atomically).
- `trials/<trial_id>.weights.h5`: the trial's best-epoch weights.
- `trial_<id>/`, `oracle.json`, `tuner0.json`: keras-tuner's own state, which
  is what `resume=True` reloads.

A record is a plain dict: `trial_id`, `status` ("COMPLETED" or "FAILED"),
`score`, `params`, `epochs` (epochs trained in this trial), `total_epochs`,
`best_epoch`, `stopped_epoch`, `seconds`, `history` (metric -> list),
`promoted_from`, `error`, and for cross-validated trials `fold_scores` and
`score_std`.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kerashp.exceptions import KerashpError

__all__ = ["RunStore", "check_run_name", "last_line", "to_json_value", "write_json"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def check_run_name(name: str) -> str:
    """Returns `name` if it is a plain folder name; raises otherwise."""
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise KerashpError(
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
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class RunStore:
    """The folder of one run.

    Args:
        directory: Parent folder of runs.
        name: The run's folder name inside `directory`.
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
            raise KerashpError(f"Refusing to delete {target}: it is not a run folder inside {parent}.")
        if target.is_symlink():
            raise KerashpError(f"Refusing to delete {target}: it is a symbolic link.")
        shutil.rmtree(target, ignore_errors=False)

    # settings ---------------------------------------------------------------
    def write_settings(self, settings: dict) -> None:
        write_json(self.path / "run.json", settings)

    def read_settings(self) -> dict:
        path = self.path / "run.json"
        if not path.exists():
            raise KerashpError(f"No kerashp run in {self.path}: run.json is missing.")
        return json.loads(path.read_text())

    # trials -----------------------------------------------------------------
    def weights_path(self, trial_id: str) -> Path:
        return self.trials_dir / f"{trial_id}.weights.h5"

    def write_record(self, record: dict) -> None:
        write_json(self.trials_dir / f"{record['trial_id']}.json", record)

    def records(self) -> list[dict]:
        """Every trial record, in trial order."""
        return [json.loads(p.read_text()) for p in self._record_paths()]

    def _record_paths(self) -> Iterator[Path]:
        if not self.trials_dir.exists():
            return iter(())
        return iter(sorted(self.trials_dir.glob("*.json"), key=lambda p: (len(p.stem), p.stem)))
