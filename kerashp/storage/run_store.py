"""A run's folder on disk: its settings, one JSON record per trial, and the
trials' weights. `RunStore` is the one place that reads and writes them.

Layout of `<directory>/<name>/`:

- `run.json`: the schema version, space, objective, algorithm, builder and data spec.
- `trials/<trial_id>.json`: one `TrialRecord` per finished trial (written atomically).
- `trials/<trial_id>.weights.npz`: the trial's best-epoch weights and its
  optimizer's state (`kerashp.storage.weights`; none for a trial stopped early
  by a pruner: it is never chosen); with `cv`,
  `trials/<trial_id>.fold<k>.weights.npz` per fold. Runs written before
  0.4 hold Keras `.weights.h5` files, which are still read.
- `trial_<id>/`, `oracle.json`, `tuner0.json`: keras-tuner's own state, which
  `RunFolder(if_exists="resume")` reloads (rebuilt from the records if damaged).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kerashp._checks import setting
from kerashp.exceptions import ArgumentError, DamagedFileError, InvalidModelError, KerashpError, RunFolderError
from kerashp.options import compared
from kerashp.storage import weights
from kerashp.tuning.trial import TrialRecord

__all__ = ["SCHEMA_VERSION", "RunStore", "check_run_name", "error_summary", "read_json", "report_damage",
           "to_json_value", "write_bytes", "write_json", "write_text"]

#: The version of the run folder's layout that this kerashp writes. 0 is the
#: layout of kerashp 0.1.0 (no `schema` key in run.json).
SCHEMA_VERSION = 1

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def check_run_name(name: str) -> str:
    """Returns `name` if it is a plain folder name; raises otherwise."""
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise ArgumentError(
            "Argument `name` must be a plain folder name (letters, digits, '.', '_', '-'; no '/', "
            f"no '..', not absolute, not empty). Received: name={name!r}. Pass a name such as 'my-search' (the "
            "parent path goes in `directory=`), or leave name=None for one made of the algorithm and the time."
        )
    return name


_NOISE = re.compile(
    r"^(Traceback \(most recent call last\)|During handling of the above exception|The above exception was the "
    r"direct cause|Detected at node)"
)
_HEADER = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning))(?::\s*(.*))?$")


def error_summary(text: str | None, limit: int = 500) -> str | None:
    """What a record keeps of an error text or traceback: the last exception's
    type and message, on one line, without the traceback's frames or
    TensorFlow's node annotations (whose last line names a graph node, while
    the line that says what went wrong, e.g. "Received a label value of 10
    which is outside the valid range of [0, 10)", comes before it).

    Example:
        >>> error_summary("Traceback (most recent call last):\n  File ...\nValueError: bad units")
        'ValueError: bad units'
    """
    lines = [line.rstrip() for line in (text or "").splitlines()]
    # Frames and TensorFlow's annotations are indented; the exception and its message are not.
    kept = [line for line in lines if line.strip() and not line[0].isspace() and not _NOISE.match(line)]
    start = max((i for i, line in enumerate(kept) if _HEADER.match(line)), default=0)
    parts = kept[start:]
    if parts and (match := _HEADER.match(parts[0])):
        name = match.group(1).rsplit(".", 1)[-1]
        message = re.sub(r"^Graph execution error:?\s*", "", match.group(2) or "")  # TensorFlow's preamble
        parts = [f"{name}:", message, *parts[1:]] if message or parts[1:] else [name]
    summary = " ".join(" ".join(part.split()) for part in parts if part)
    if not summary:
        summary = next((line.strip() for line in reversed(lines) if line.strip()), "")
    return (summary[: limit - 3] + "...") if len(summary) > limit else summary or None


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


def write_json(path: Path, obj: Any, *, sync: bool = True) -> None:
    """`write_text` of `obj` as JSON; numbers not finite become `null`, `"inf"` or `"-inf"`."""
    write_text(path, json.dumps(_jsonable(obj), indent=1, allow_nan=False, default=repr), sync=sync)


def write_text(path: Path, text: str, *, sync: bool = True) -> None:
    """Writes `text` to `path` atomically (after a crash a reader sees the old
    file or the new one whole) and, with `sync`, durably through a power cut.
    A run syncs what nothing rebuilds (records, weights, settings), not
    keras-tuner's files, which `reload_oracle` rebuilds from the records."""
    write_bytes(path, text.encode(), sync=sync)


def write_bytes(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Writes `data` to `path` as `write_text` does."""
    with _replacing(Path(path), sync) as tmp, open(tmp, "wb") as f:
        f.write(data)
        if sync:
            f.flush()
            os.fsync(f.fileno())


@contextlib.contextmanager
def _replacing(path: Path, sync: bool = True) -> Iterator[Path]:
    """A temporary path beside `path` to write; on success it replaces `path`
    (and with `sync` the folder is synced), on failure it is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{''.join(path.suffixes)}")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    if sync:  # the rename too
        _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # a platform or file system without folder handles
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


_REPORTED: set[tuple[str, int, int]] = set()


def report_damage(err: DamagedFileError, consequence: str) -> None:
    """Warns that a file is damaged and what kerashp does about it, once per
    process for each state of the file (several readers come across it)."""
    stat = err.path.stat() if err.path.exists() else None
    key = (str(err.path), stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0)
    if key not in _REPORTED:
        _REPORTED.add(key)
        warnings.warn(f"{err} {consequence}", RuntimeWarning, stacklevel=3)


def read_json(path: Path, hint: str = "") -> Any:
    """The JSON in `path`; a file cut short, emptied or not JSON raises
    `DamagedFileError` naming it (and `hint`: what to do)."""
    try:
        return json.loads(Path(path).read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DamagedFileError(path, err, hint) from None


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
        return (self.path / "run.json").exists() or self.has_state()

    def has_state(self) -> bool:
        """Whether a search has left state here (keras-tuner's or records)."""
        return (self.path / "oracle.json").exists() or any(self.path.glob("trial_*")) or any(
            self.trials_dir.glob("*.json"))

    def remove(self) -> None:
        """Deletes the run's folder, and nothing outside it: a run folder that
        is a symbolic link (to another run, perhaps) is refused, not followed."""
        if self.path.is_symlink():
            raise RunFolderError(
                f"Refusing to delete {self.path}: it is a symbolic link (to {os.readlink(self.path)}), and deleting "
                "would delete what it points to. Remove the link yourself, or pass another name=."
            )
        parent = self.directory.resolve()
        target = self.path.resolve()
        if target.parent != parent or target == parent:
            raise RunFolderError(f"Refusing to delete {target}: it is not a run folder inside {parent}.")
        shutil.rmtree(target, ignore_errors=False)

    def check_folder(self) -> None:
        """Raises `RunFolderError` when the run's folder, or its parent, exists
        but is not a folder, or cannot be written in."""
        for path, what in ((self.directory, "directory"), (self.path, "name")):
            if path.exists() and not path.is_dir():
                raise RunFolderError(
                    f"{path} is a file, not a folder: the run needs a folder there. "
                    f"Move the file away, or pass another {setting(what)}."
                )
        existing = next(p for p in (self.path, *self.path.parents) if p.exists())
        if not os.access(existing, os.W_OK | os.X_OK):
            raise RunFolderError(
                f"Cannot write in {existing}: it is read-only for this user. Pass {setting('directory')} a folder you "
                "can write in (the run keeps its records and weights there)."
            )

    # settings ---------------------------------------------------------------
    def write_settings(self, settings: dict) -> None:
        write_json(self.path / "run.json", {"schema": SCHEMA_VERSION, **settings})

    #: The settings that give finished trials their meaning (`kerashp.options`
    #: declares them): a resume with any of them changed is refused.
    COMPARED = compared()

    def check_same_run(self, settings: dict) -> None:
        """Refuses to resume with `settings` (as `tune` writes them) that differ
        from run.json's in any of `COMPARED` (a `RunFolderError` naming each,
        with both values); one run.json lacks (an older kerashp's) is not compared."""
        try:
            previous = self.read_settings()
        except DamagedFileError as err:
            warnings.warn(f"{err} It is written again from this call's arguments.", RuntimeWarning, stacklevel=3)
            return
        settings = to_json_value(settings)
        differences = []
        for key in self.COMPARED:
            if key not in previous or key not in settings or previous[key] == settings[key]:
                continue
            then, now = previous[key], settings[key]
            if key == "space" and isinstance(then, dict) and isinstance(now, dict):
                differences += [f"space entry {k!r}: {then.get(k, '(absent)')!r} then, {now.get(k, '(absent)')!r} now"
                                for k in {**then, **now} if then.get(k) != now.get(k)]
            elif key == "fingerprint":
                differences.append("data: other arrays than then (their SHA-256 differs)")
            else:
                differences.append(f"{key}: {then!r} then, {now!r} now")
        if differences:
            raise RunFolderError(
                f"{setting('if_exists', 'resume')}, but the run {self.name!r} was made with different settings: "
                f"{'; '.join(differences)}. Its finished trials would mean something else. Use another "
                f"{setting('name')}, or {setting('if_exists', 'overwrite')}, or resume with the settings it was "
                "made with."
            )

    @contextlib.contextmanager
    def after_the_search(self, step: str) -> Iterator[None]:
        """Names the failed `step` after a finished search, and where its trials are kept.

        Raises:
            KerashpError: `step` raised.
        """
        try:
            yield
        except Exception as err:
            raise KerashpError(
                f"The search finished and its trials are saved in {self.path}, but {step} failed: "
                f"{type(err).__name__}: {error_summary(str(err))} Reopen the run with "
                f"kerashp.load_result({str(self.path)!r})."
            ) from err

    def read_settings(self) -> dict:
        """run.json, checked to be of a layout this kerashp reads.

        Raises:
            RunFolderError: run.json is missing, or a newer kerashp wrote it.
        """
        path = self.path / "run.json"
        if not path.exists():
            raise RunFolderError(f"No kerashp run in {self.path}: run.json is missing.")
        settings = read_json(
            path, hint=f"Run the same search again with {setting('if_exists', 'resume')}: it writes the file again."
        )
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

    def record_paths(self) -> list[Path]:
        """The trial records' files, in name order; the temporary files of a
        write under way (`.<name>.<random>.tmp.json`) are not records."""
        if not self.trials_dir.is_dir():
            return []
        return sorted(p for p in self.trials_dir.glob("*.json") if not p.name.startswith("."))

    def records(self) -> list[TrialRecord]:
        """Every intact trial record, in trial order; a damaged one is left out
        and reported (`warnings.warn`, naming its file)."""
        return self.read_records()[0]

    def read_records(self) -> tuple[list[TrialRecord], list[DamagedFileError]]:
        """The intact trial records, in trial order, and the errors of those
        that are damaged (cut short, emptied, not a record), each reported."""
        found, damaged = [], []
        for path in self.record_paths():
            try:
                found.append(TrialRecord.from_dict(read_json(path)))
            except DamagedFileError as err:
                damaged.append(err)
            except (KeyError, TypeError, ValueError, AttributeError) as err:
                damaged.append(DamagedFileError(path, f"not a trial record: {type(err).__name__}: {err}"))
        for err in damaged:
            report_damage(err, f"Its trial is left out: {setting('if_exists', 'resume')} runs it again; "
                               "the other trials are intact.")
        return sorted(found, key=lambda r: r.number), damaged

    # weights ----------------------------------------------------------------
    def weights_path(self, trial_id: str, fold: int | None = None) -> Path:
        """Where the trial's weights are: the `.weights.npz` file, or a `.weights.h5`
        one that an earlier version wrote (then the `.npz` does not exist)."""
        stem = f"{trial_id}{'' if fold is None else f'.fold{fold}'}.weights"
        path, legacy = self.trials_dir / f"{stem}.npz", self.trials_dir / f"{stem}.h5"
        return legacy if legacy.exists() and not path.exists() else path

    def save_weights(self, model: Any, trial_id: str, fold: int | None = None) -> None:
        """Saves a trial's weights (optimizer state included), atomically and durably."""
        buffer = io.BytesIO()
        weights.write(model, buffer)
        self.put_weights(trial_id, fold, buffer.getvalue())

    def put_weights(self, trial_id: str, fold: int | None, data: bytes) -> None:
        """Writes the bytes `save_weights` encodes (a legacy `.h5` is replaced by its `.npz`)."""
        path = self.weights_path(trial_id, fold)
        write_bytes(path.with_suffix(".npz") if path.suffix == ".h5" else path, data)

    def load_weights(self, model: Any, trial_id: str, fold: int | None = None) -> None:
        """Loads weights saved by `save_weights`, optimizer state included: a
        promoted Hyperband trial goes on with its parent's optimizer moments.

        Raises:
            RunFolderError: the weights file is missing.
            InvalidModelError: the model has no weights to load them into.
            DamagedFileError: it cannot be read, or does not fit the model.
        """
        path = self.weights_path(trial_id, fold)
        if not path.exists():
            raise RunFolderError(f"The weights of trial {trial_id!r} are missing: {path}.")
        if not getattr(model, "built", True):
            raise InvalidModelError(
                f"The weights of trial {trial_id!r} cannot be loaded: the model build_fn returns has no weights "
                "until it is called on data, and could not be built from the data's shape alone. Start the model "
                "with keras.Input(shape=...)."
            )
        try:
            if path.suffix == ".npz":
                weights.read(model, path)
            else:
                optimizer = getattr(model, "optimizer", None)
                if optimizer is not None and not optimizer.built:
                    optimizer.build(model.trainable_variables)
                model.load_weights(path)
        except (OSError, ValueError, KeyError) as err:
            record = self.trials_dir / f"{trial_id}.json"
            raise DamagedFileError(
                path, f"not the weights of this trial's model: {error_summary(str(err), 200)}",
                f"Delete it and the trial's record {record}, then run the search again with "
                f"{setting('if_exists', 'resume')}: the trial is trained again.",
            ) from None
