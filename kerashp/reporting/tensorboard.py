"""TensorBoard logs of a search: one folder per trial and HParams data.

`tune(..., tensorboard="logs")`, or a `keras.callbacks.TensorBoard` in
`callbacks`, makes every trial write to its own folder, `logs/trial_<number>`
(with `cv`, `logs/trial_<number>/fold_<k>`), through Keras's own TensorBoard
callback (`epoch_loss`, `epoch_accuracy`, ... in `train` and `validation`).
The HParams dashboard reads two more things, written with
`tensorboard.plugins.hparams`:

- one experiment summary at the top of `logs`: every hyperparameter of the
  space with its domain, and the metrics (the objective and the loss, named
  as the callback writes them: `epoch_accuracy` in group `validation` for
  `val_accuracy`); written once, so a resumed run does not repeat it;
- one session per trial (per fold with `cv`, grouped under `trial_<number>`),
  written when the trial's record is (`TrialLogs.trial_end`, an observer):
  its hyperparameter values and its status. A failed trial gets one too; a
  trial that never finished gets none, and its folder is cleared when it runs
  again, so a resumed run repeats nothing.
"""

from __future__ import annotations

import copy
import os
import shutil
import time
from pathlib import Path
from typing import Any

from kerashp._checks import setting
from kerashp.exceptions import ArgumentError
from kerashp.space import Bool, Choice, Fixed, Float, Int, Space
from kerashp.tuning.objective import Objective
from kerashp.tuning.trial import TrialRecord, TrialStatus

__all__ = ["TrialLogs", "metric_tags", "open_logs"]

_MAX_DISCRETE = 1000  # a stepped range with more values is declared as an interval
_ROOT = "_kerashp_tensorboard_root"  # the folder a user's TensorBoard callback was given


def open_logs(tensorboard: Any, callbacks: Any, *, resume: bool, overwrite: bool) -> TrialLogs:
    """Checks `tune`'s `tensorboard=` and any `TensorBoard` in a `callbacks`
    list, before anything trains.

    Raises:
        ArgumentError: not a folder path (or a `TensorBoard`), a path that is
            a file, two different TensorBoard folders, or a folder that holds
            another search's logs in a run that neither resumes nor overwrites.
    """
    import keras

    given = [cb for cb in callbacks if isinstance(cb, keras.callbacks.TensorBoard)] if isinstance(
        callbacks, (list, tuple)) else []
    if isinstance(tensorboard, keras.callbacks.TensorBoard):
        given, tensorboard = [*given, tensorboard], None
    if len(given) > 1:
        raise ArgumentError(
            f"`callbacks` holds {len(given)} TensorBoard callbacks ({', '.join(repr(cb.log_dir) for cb in given)}); "
            "kerashp gives each trial its own folder under one of them. Pass one."
        )
    if tensorboard is not None and not isinstance(tensorboard, (str, os.PathLike)) or tensorboard == "":
        raise ArgumentError(
            f"Argument `tensorboard` must be a folder path such as 'logs'. Received: tensorboard={tensorboard!r:.80}. "
            "Each trial writes to its own sub-folder; view them with `tensorboard --logdir logs`."
        )
    root = None if tensorboard is None else Path(tensorboard)
    if given:
        theirs = Path(given[0].log_dir)
        if root is not None and theirs.resolve() != root.resolve():
            raise ArgumentError(
                f"tensorboard={str(root)!r} and a TensorBoard callback writing to {str(theirs)!r} were both given. "
                "Pass one of them (or the same folder to both)."
            )
        root, template = theirs, given[0]
    else:
        template = None
    if root is None:
        return TrialLogs(None)
    what = "tensorboard" if template is None else "the TensorBoard callback's log_dir"
    if root.exists() and not root.is_dir():
        raise ArgumentError(
            f"{what}={str(root)!r} is a file, not a folder. Pass a folder path (it is created if missing), "
            f"e.g. tensorboard={str(root.with_suffix('')) + '_logs'!r}."
        )
    blocking = next((p for p in root.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise ArgumentError(
            f"{what}={str(root)!r} cannot be created: {str(blocking)!r} is a file. Pass another folder."
        )
    existing = _search_logs(root)
    if existing and not resume and not overwrite:
        raise ArgumentError(
            f"{what}={str(root)!r} already holds the logs of a search ({', '.join(existing[:3])}"
            f"{', ...' if len(existing) > 3 else ''}). Pass another folder (e.g. {str(root / 'run2')!r}), "
            f"{setting('if_exists', 'resume')} to continue that run, or {setting('if_exists', 'overwrite')} "
            "to replace its logs."
        )
    return TrialLogs(root, template=template, clear=bool(existing) and overwrite and not resume)


def metric_tags(objective: Objective) -> list[tuple[str, str]]:
    """`(group, tag)` of the objective and the losses as Keras's TensorBoard
    callback writes them: `val_accuracy` is `epoch_accuracy` in `validation`."""
    def tag(name: str) -> tuple[str, str]:
        return ("validation", "epoch_" + name[4:]) if name.startswith("val_") else ("train", "epoch_" + name)

    tags = [tag(objective.name), ("validation", "epoch_loss"), ("train", "epoch_loss")]
    return list(dict.fromkeys(tags))


class TrialLogs:
    """Puts each trial's TensorBoard callbacks in the trial's folder and
    writes the HParams data (see the module docstring).

    `root` is the folder of `tensorboard=` (or of a `TensorBoard` in a
    `callbacks` list); `None` when neither was given, in which case only a
    `TensorBoard` made by a `callbacks=lambda hp: [...]` is placed, under its
    own folder.
    """

    def __init__(self, root: Path | None, *, template: Any = None, clear: bool = False):
        self.root, self.template, self._clear = root, template, clear
        self._ready: set[Path] = set()
        self._trials: set[tuple[Path, int]] = set()  # (root, trial number) of each placed TensorBoard
        self._space: Space | None = None
        self._objective: Objective | None = None

    def start(self, space: Space, objective: Objective) -> None:
        """Clears an overwritten run's logs and writes the experiment summary."""
        self._space, self._objective = space, objective
        if self.root is not None:
            if self._clear:
                for name in _search_logs(self.root):
                    path = self.root / name
                    shutil.rmtree(path) if path.is_dir() else path.unlink()
            self._prepare(self.root)

    def place(self, callbacks: list, number: int, fold: int | None) -> list:
        """`callbacks` of one fit (fold `fold` of trial `number`), every
        `TensorBoard` among them writing to the trial's folder; one is added
        when `tensorboard=` was given and there is none."""
        import keras

        boards = [cb for cb in callbacks if isinstance(cb, keras.callbacks.TensorBoard)]
        if self.root is not None and not boards:
            board = (copy.deepcopy(self.template) if self.template is not None
                     else keras.callbacks.TensorBoard(str(self.root)))
            boards = [board]
            callbacks = [*callbacks, board]
        for board in boards:
            root = self.root if self.root is not None else Path(getattr(board, _ROOT, None) or board.log_dir)
            setattr(board, _ROOT, str(root))
            self._prepare(root)
            trial = root / f"trial_{number}"
            if fold in (None, 0):  # a new attempt: what an interrupted one left goes
                shutil.rmtree(trial, ignore_errors=True)
            self._trials.add((root, number))
            board.log_dir = str(trial if fold is None else trial / f"fold_{fold}")
        return callbacks

    def trial_end(self, record: TrialRecord) -> None:
        """Writes the finished trial's session(s): its values and status, in
        each fold's folder the trial has (it may have run in a worker
        process), else in the trial's folder."""
        roots = {root for root, number in self._trials if number == record.number}
        if self.root is not None:
            roots.add(self.root)
        for root in roots:
            self._trials.discard((root, record.number))
            trial = root / f"trial_{record.number}"
            for folder in sorted(trial.glob("fold_*")) or [trial]:
                _write_session(folder, record)

    def _prepare(self, root: Path) -> None:
        if root in self._ready:
            return
        self._ready.add(root)
        root.mkdir(parents=True, exist_ok=True)
        if self._space is not None and self._objective is not None and not _has_experiment(root):
            _write_experiment(root, self._space, self._objective)


def _search_logs(root: Path) -> list[str]:
    """Names of what a search writes directly in `root`: trial folders and event files."""
    if not root.is_dir():
        return []
    names = [p.name for p in root.iterdir()
             if (p.is_dir() and p.name.startswith("trial_") and p.name[6:].isdigit())
             or (p.is_file() and p.name.startswith("events.out.tfevents."))]
    return sorted(names, key=lambda n: (not n.startswith("trial_"), len(n), n))


def _has_experiment(root: Path) -> bool:
    from tensorboard.plugins.hparams import metadata

    return any(value.tag == metadata.EXPERIMENT_TAG for value in _summary_values(root))


def _summary_values(folder: Path) -> list:
    """Every summary value in the event files directly in `folder`."""
    import tensorflow as tf
    from tensorboard.compat.proto import event_pb2

    values = []
    for path in sorted(folder.glob("events.out.tfevents.*")):
        try:
            for raw in tf.data.TFRecordDataset(str(path)):
                values.extend(event_pb2.Event.FromString(raw.numpy()).summary.value)
        except tf.errors.DataLossError:  # a file cut short: what was read stands
            continue
    return values


def _write(folder: Path, *summaries: Any) -> None:
    import tensorflow as tf

    writer = tf.summary.create_file_writer(str(folder))
    try:
        with writer.as_default():
            for summary in summaries:
                tf.summary.experimental.write_raw_pb(summary.SerializeToString(), step=0)
    finally:
        writer.close()


def _write_experiment(root: Path, space: Space, objective: Objective) -> None:
    from tensorboard.plugins.hparams import api as hp
    from tensorboard.plugins.hparams import summary_v2

    params = [hp.HParam(key, _domain(entry)) for key, entry in space.entries.items()]
    metrics = [hp.Metric(tag, group=group, display_name=f"{tag} ({group})",
                         dataset_type=hp.Metric.VALIDATION if group == "validation" else hp.Metric.TRAINING)
               for group, tag in metric_tags(objective)]
    _write(root, summary_v2.hparams_config_pb(params, metrics))


def _write_session(folder: Path, record: TrialRecord) -> None:
    from tensorboard.plugins.hparams import api_pb2, summary_v2
    from tensorboard.plugins.hparams.summary import session_end_pb

    now = time.time()
    status = api_pb2.STATUS_FAILURE if record.status is TrialStatus.FAILED else api_pb2.STATUS_SUCCESS
    values = {key: _scalar(value) for key, value in record.params.items()}
    start = summary_v2.hparams_pb(values, trial_id=f"trial_{record.number}",
                                  start_time_secs=now - (record.seconds or 0.0))
    _write(folder, start, session_end_pb(status, end_time_secs=now))


def _domain(entry: Any) -> Any:
    """The HParams domain of a space entry: discrete values or an interval."""
    from tensorboard.plugins.hparams import api as hp

    if isinstance(entry, Int):
        if entry.step == 1 or (entry.high - entry.low) // entry.step >= _MAX_DISCRETE:
            return hp.IntInterval(int(entry.low), int(entry.high))
        return hp.Discrete(entry.values())
    if isinstance(entry, Float):
        if entry.step is None or (entry.high - entry.low) / entry.step >= _MAX_DISCRETE:
            return hp.RealInterval(float(entry.low), float(entry.high))
        return hp.Discrete(entry.values())
    if isinstance(entry, Bool):
        return hp.Discrete([False, True])
    if isinstance(entry, (Choice, Fixed)):
        values = [_scalar(v) for v in entry.values()]
        if any(isinstance(v, float) for v in values) and all(type(v) in (int, float) for v in values):
            values = [float(v) for v in values]  # [1, 2.5]: HParams wants one type
        return hp.Discrete(values)
    return None


def _scalar(value: Any) -> bool | int | float | str:
    """A value HParams can hold: numbers, strings and booleans as they are, anything else as text."""
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            pass
    return value if isinstance(value, (bool, int, float, str)) else str(value)
