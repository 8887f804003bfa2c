"""Every option of `kerashp.tune`, declared once.

`tune` takes the everyday options as keywords and three groups as objects:
`Data` (what is searched on: the data and how it is split and weighed),
`RunFolder` (where the run is kept) and `Execution` (where trials run).
`OPTIONS` declares each option once: its group, what it does, and what a
resume does with it. From it come `tune`'s docstring, the YAML keys and
command-line flags of `kerashp tune`, the settings compared on resume, and
the option table of `docs/options.md` (`options_table`); tests fail when the
signature, the dataclasses or the docs differ from it.

Example:
    >>> Data("digits", cv=5).cv
    5
    >>> RunFolder(if_exists="resume").if_exists
    'resume'
"""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kerashp import devices
from kerashp._checks import check_fraction, check_int, check_number, check_one_of, setting
from kerashp.exceptions import ArgumentError

__all__ = ["IF_EXISTS", "OPTIONS", "Data", "Execution", "Option", "RunFolder", "as_group", "compared", "declared",
           "describe", "options_table"]

#: What `RunFolder(if_exists=...)` does when the run's folder holds a run.
IF_EXISTS = ("error", "resume", "overwrite")
@dataclass(frozen=True)
class Data:
    """The data a search trains on, and how it is split and weighed.

    `tune(data=...)` takes the source alone for the defaults.

    Example:
        >>> Data("digits", cv=5, class_weight="balanced").validation_split is None
        True

    Args:
        source: The data itself, in any form `data=` takes. Required.
        cv: Cross-validate each trial over `cv` folds (stratified for classification); the score is the mean.
            Defaults to `None`: a hold-out split.
        validation_split: Held-out fraction when the data has no validation part (stratified for
            classification; the scikit-learn estimators use the same split). Defaults to `None`: 0.2.
        task: `'classification'` or `'regression'`. Defaults to `None`: inferred from the labels.
        class_weight: `'balanced'` or `{label: weight}`: weighs each class's training samples. Defaults to
            `None`.
        sample_weight: One weight per training sample; 0 leaves a sample out. Defaults to `None`.
        test: Held-out `(x_test, y_test)` or a dataset, used for nothing in the search: the best model is
            scored on it at the end (`result.test_scores`). Defaults to `None`.
    """

    source: Any = dataclasses.field(repr=False)
    cv: int | None = None
    validation_split: float | None = None
    task: str | None = None
    class_weight: Mapping | str | None = None
    sample_weight: Any = dataclasses.field(default=None, repr=False)
    test: Any = dataclasses.field(default=None, repr=False)

    def __post_init__(self):
        check_int("cv", self.cv, low=2, allow_none=True)
        if self.validation_split is not None:
            check_fraction("validation_split", self.validation_split)
            if self.cv is not None:
                raise ArgumentError(
                    f"Data takes cv or validation_split, not both: each fold holds out its own part. "
                    f"Received: cv={self.cv}, validation_split={self.validation_split}. Drop one.")
        if self.task is not None:
            check_one_of("task", self.task, ("classification", "regression"))


@dataclass(frozen=True)
class RunFolder:
    """Where a run is kept: `<directory>/<name>/`, and its TensorBoard logs.

    Example:
        >>> RunFolder("runs", "mlp", if_exists="overwrite").name
        'mlp'

    Args:
        directory: Parent folder of runs. Defaults to `'kerashp_runs'`.
        name: The run's folder name. Defaults to `None`: algorithm and time.
        if_exists: When the folder holds a run: `'error'`, `'resume'` (finished trials are kept) or
            `'overwrite'`. Defaults to `'error'`.
        tensorboard: A folder for TensorBoard logs (one per trial) and the HParams dashboard. Defaults to
            `None`.
    """

    directory: Any = "kerashp_runs"
    name: str | None = None
    if_exists: str = "error"
    tensorboard: Any = None

    def __post_init__(self):
        check_one_of("if_exists", self.if_exists, IF_EXISTS)


@dataclass(frozen=True)
class Execution:
    """Where trials run: in this process, or in worker processes on a Ray
    cluster (one of this machine by default); a `tf.distribute` strategy, a
    dtype policy.

    Example:
        >>> Execution(workers=2).strategy
        'auto'

    Args:
        workers: Trials at once, each in a worker process on Ray (`pip install 'kerashp[ray]'`), or `'auto'`
            (as many as the cluster holds). Defaults to `None`: one at a time in this process.
        ray: The Ray cluster the workers run on: `'local'` (one of this machine, started for the search and
            shut down after it), `'auto'` (the one this process or `RAY_ADDRESS` names) or an address
            (`'HOST:6379'`, `'ray://HOST:10001'`). Defaults to `None`: `'local'` when `workers` is set.
        trial_cpus: CPUs a worker asks of the cluster (a fraction shares one). Defaults to `1`.
        trial_gpus: GPUs a worker asks of the cluster (`0.5`: two trials share a GPU). Defaults to `None`: 1
            where the cluster has GPUs, else 0.
        strategy: A `tf.distribute.Strategy` or `'auto'`. Defaults to `'auto'`.
        precision: The dtype policy trials build under: `'float32'`, `'mixed_float16'`, `'mixed_bfloat16'` or
            `'auto'` (by device). Defaults to `None`: float32.
    """

    workers: int | str | None = None
    ray: str | None = None
    trial_cpus: float = 1
    trial_gpus: float | None = None
    strategy: Any = "auto"
    precision: str | None = None

    def __post_init__(self):
        if self.precision is not None:
            check_one_of("precision", self.precision, (*devices.PRECISIONS, "auto"))
        check_number("trial_cpus", self.trial_cpus, low=0, low_open=True)
        if self.trial_gpus is not None:
            check_number("trial_gpus", self.trial_gpus, low=0)
        if self.workers is not None and self.workers != "auto" and (
                isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1):
            raise ArgumentError(
                f"Argument `workers` is how many trials run at once (an integer >= 1) or 'auto'. Received: "
                f"{setting('workers', self.workers)}. Pass 2 for two trials at once, or 'auto' (as many as the "
                "cluster holds).")
        if self.cluster is None:
            if self.trial_cpus != 1 or self.trial_gpus is not None:
                raise ArgumentError(
                    "Arguments `trial_cpus` and `trial_gpus` are what each worker asks of the Ray cluster. Received: "
                    f"trial_cpus={self.trial_cpus!r}, trial_gpus={self.trial_gpus!r} without workers or ray. Pass "
                    "workers=N (or ray=...), or leave them out.")
            return
        if not isinstance(self.cluster, str) or not self.cluster.strip():
            raise ArgumentError(
                f"Argument `ray` names a Ray cluster. Received: ray={self.ray!r}. Pass 'local' (a cluster of this "
                "machine, started for the search), 'auto' (the one this process or RAY_ADDRESS names) or an "
                "address ('HOST:6379', 'ray://HOST:10001').")
        if importlib.util.find_spec("ray") is None:
            given = f"ray={self.ray!r}" if self.ray is not None else f"workers={self.workers!r}"
            raise ArgumentError(
                f"Trials at once run on Ray, which is not installed. Received: {given}. Install it with "
                "`pip install 'kerashp[ray]'`, or leave workers and ray out to run trials one at a time here.")

    @property
    def cluster(self) -> str | None:
        """The Ray cluster the workers run on (`ray`, or `'local'` when only
        `workers` is set), or `None`: trials run in this process."""
        if self.ray is None and self.workers is not None:
            return "local"
        return self.ray


#: The groups, by the `tune` parameter that takes them.
GROUPS: dict[str, type] = {"data": Data, "run": RunFolder, "execution": Execution}


def as_group(parameter: str, value: Any) -> Any:
    """`tune`'s `data`, `run` or `execution` argument as its object: the object
    itself, `None` (the defaults; `data` has none), a mapping of its fields
    (a YAML file's), or for `data` the source alone."""
    cls = GROUPS[parameter]
    if isinstance(value, cls):
        return value
    if value is None and parameter != "data":
        return cls()
    if isinstance(value, Mapping) and (parameter != "data" or "source" in value):
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(value) - fields)
        if unknown:
            from kerashp._checks import did_you_mean

            raise ArgumentError(
                f"Unknown key {unknown[0]!r} under `{parameter}`; {cls.__name__} takes {', '.join(sorted(fields))}. "
                f"{did_you_mean(unknown[0], fields)}".rstrip())
        return cls(**value)
    if parameter == "data":
        return Data(value)
    raise ArgumentError(
        f"Argument `{parameter}` must be a khp.{cls.__name__}(...) or None. Received: {parameter}={value!r:.80}.")


#: Options a YAML file sets but no flag does: what the file is about, and arrays.
_NO_FLAG = ("build_fn", "space", "data", "run", "execution", "source", "sample_weight", "test")


@dataclass(frozen=True)
class Option:
    """One option: a `tune` parameter (`group=None`) or a field of a group.

    Attributes:
        on_resume: `"same"`: recorded in `run.json` and a resume with another
            value is refused; `"may change"`: recorded, a resume may change
            it; `"code"`: Python objects (functions, callbacks) that a file
            cannot hold, neither recorded nor in the YAML.
    """

    name: str
    group: str | None
    doc: str
    default: str
    on_resume: str = "same"
    recorded_as: tuple[str, ...] | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        """Its keys in `run.json`: `recorded_as`, by default its name; none for code."""
        if self.on_resume == "code":
            return ()
        return (self.name,) if self.recorded_as is None else self.recorded_as

    @property
    def yaml_key(self) -> str:
        """The key in a YAML config (under the group's key for a group's field)."""
        return "builder" if self.name == "build_fn" else self.name

    @property
    def flag(self) -> str | None:
        """The `kerashp tune` flag that overrides the YAML's value, if any."""
        if self.on_resume == "code" or self.name in _NO_FLAG:
            return None
        return "--" + self.name.replace("_", "-")


def _o(name, group, doc, default, on_resume="same", recorded_as=None):
    return Option(name, group, doc, default, on_resume, recorded_as)


OPTIONS: tuple[Option, ...] = (
    _o("build_fn", None, "Function from a hyperparameter dict to a Keras model (compiled or not), a classic builder "
       "taking them as keyword arguments, a keras-tuner builder (`hp.Int`, ...) or an Optuna objective "
       "(`trial.suggest_*`); `kerashp.builders.mlp` and `cnn` infer shapes from the data.", "required",
       recorded_as=("builder",)),
    _o("space", None, "Dict of name to a range, a list of choices or a fixed value; `batch_size` and `epochs` in it "
       "go to `fit`.", "`default_space(build_fn, data)` for the built-in builders"),
    _o("data", None, "A dataset name, `(x, y)`, `(x, y, x_val, y_val)`, a `tf.data.Dataset`, `(train_ds, val_ds)`, "
       "or `khp.Data(source, ...)` with the options below.", "required", recorded_as=("data",)),
    _o("algorithm", None, "A name (`'bohb'`, `'tpe'`, `'random'`, `'grid'`, `'bayesian'`, `'hyperband'`) or an "
       "object with its options (`khp.algorithms.TPE(pruner=khp.pruners.ASHA())`).", "`'bohb'`",
       recorded_as=("algorithm", "options")),
    _o("objective", None, "A metric of `History` (`'val_accuracy'`, direction inferred) or `(name, 'min'|'max')`.",
       "`'val_loss'`"),
    _o("max_trials", None, "Trials to run; with a `time_budget` and no `max_trials`, as many as it allows.",
       "the algorithm's: 30 bohb, 10 tpe/random/bayesian, the grid, Hyperband's schedule", "may change"),
    _o("max_epochs", None, "Epochs a trial trains (the most a trial gets, for Hyperband and ASHA).",
       "`epochs` in the space, else 10 (27 for bohb and hyperband)"),
    _o("time_budget", None, "Seconds or `'10m'`-style: no trial starts after it, the running one stops and is "
       "completed on what it trained.", "`None`", "may change"),
    _o("batch_size", None, "Batch size when the space has none.", "`32`"),
    _o("callbacks", None, "Keras callbacks copied into each trial, or a function of the hp dict returning a list.",
       "`None`", "code"),
    _o("on_trial_end", None, "A function (or a list) called with each finished trial's `TrialRecord`.", "`None`",
       "code"),
    _o("seed", None, "Seed of the split, the algorithm and each trial's initial weights.", "`None`"),
    _o("verbose", None, "0 silent; 1 one line per trial and a progress bar.", "`1`", "may change", ()),
    _o("run", None, "`khp.RunFolder(...)`: where the run is kept.", "`RunFolder()`", "may change", ()),
    _o("execution", None, "`khp.Execution(...)`: where trials run.", "`Execution()`", "may change", ()),
    _o("source", "data", "The data itself, in any form `data=` takes.", "required",
       recorded_as=("fingerprint",)),
    _o("cv", "data", "Cross-validate each trial over `cv` folds (stratified for classification); the score is the "
       "mean.", "`None`: a hold-out split"),
    _o("validation_split", "data", "Held-out fraction when the data has no validation part (stratified for "
       "classification; the scikit-learn estimators use the same split).", "`None`: 0.2"),
    _o("task", "data", "`'classification'` or `'regression'`.", "`None`: inferred from the labels"),
    _o("class_weight", "data", "`'balanced'` or `{label: weight}`: weighs each class's training samples.", "`None`"),
    _o("sample_weight", "data", "One weight per training sample; 0 leaves a sample out.", "`None`",
       recorded_as=("fingerprint",)),
    _o("test", "data", "Held-out `(x_test, y_test)` or a dataset, used for nothing in the search: the best model is "
       "scored on it at the end (`result.test_scores`).", "`None`", "may change", ()),
    _o("directory", "run", "Parent folder of runs.", "`'kerashp_runs'`", "may change", ()),
    _o("name", "run", "The run's folder name.", "`None`: algorithm and time", "may change", ()),
    _o("if_exists", "run", "When the folder holds a run: `'error'`, `'resume'` (finished trials are kept) or "
       "`'overwrite'`.", "`'error'`", "may change", ()),
    _o("tensorboard", "run", "A folder for TensorBoard logs (one per trial) and the HParams dashboard.", "`None`",
       "may change"),
    _o("workers", "execution", "Trials at once, each in a worker process on Ray (`pip install 'kerashp[ray]'`), or "
       "`'auto'` (as many as the cluster holds).", "`None`: one at a time in this process", "may change"),
    _o("ray", "execution", "The Ray cluster the workers run on: `'local'` (one of this machine, started for the "
       "search and shut down after it), `'auto'` (the one this process or `RAY_ADDRESS` names) or an address "
       "(`'HOST:6379'`, `'ray://HOST:10001'`).", "`None`: `'local'` when `workers` is set", "may change", ()),
    _o("trial_cpus", "execution", "CPUs a worker asks of the cluster (a fraction shares one).", "`1`",
       "may change", ()),
    _o("trial_gpus", "execution", "GPUs a worker asks of the cluster (`0.5`: two trials share a GPU).",
       "`None`: 1 where the cluster has GPUs, else 0", "may change", ()),
    _o("strategy", "execution", "A `tf.distribute.Strategy` or `'auto'`.", "`'auto'`", "code"),
    _o("precision", "execution", "The dtype policy trials build under: `'float32'`, `'mixed_float16'`, "
       "`'mixed_bfloat16'` or `'auto'` (by device).", "`None`: float32"),
)


def declared(group: str | None = None) -> list[Option]:
    """The options of `tune` itself (`group=None`) or of one group."""
    return [o for o in OPTIONS if o.group == group]


def options_table() -> str:
    """The Markdown table of every option (docs/options.md holds it)."""
    lines = ["| option | where | what it does | default | on resume |", "|---|---|---|---|---|"]
    for option in OPTIONS:
        where = "`tune`" if option.group is None else f"`{GROUPS[option.group].__name__}`"
        resume = {"same": "must be the same", "may change": "may change", "code": "not recorded (code)"}
        lines.append(f"| `{option.name}` | {where} | {option.doc} | {option.default} | {resume[option.on_resume]} |")
    return "\n".join(lines) + "\n"


def describe(group: str | None = None, indent: int = 8) -> str:
    """The Google-style `Args:` lines of `tune` (`group=None`) or of a group."""
    import textwrap

    lines = []
    for option in declared(group):
        text = f"{option.name}: {option.doc} " + (
            "Required." if option.default == "required" else f"Defaults to {option.default}.")
        lines.append(textwrap.fill(text, 110, initial_indent=" " * indent, subsequent_indent=" " * (indent + 4)))
    return "\n".join(lines)


def compared() -> tuple[str, ...]:
    """The `run.json` keys a resume must leave as they were."""
    return tuple(dict.fromkeys(k for o in OPTIONS if o.on_resume == "same" for k in o.keys))
