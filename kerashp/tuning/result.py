"""`TuneResult`: what a search leaves behind, read from the run's own records."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kerashp.exceptions import KerashpError, RunFolderError
from kerashp.storage.run_store import RunStore
from kerashp.tuning.objective import Objective
from kerashp.tuning.trial import TrialRecord, TrialStatus

__all__ = ["TuneResult", "builder_ref", "load_result"]

#: Record fields shown in `TuneResult.trials`, by column name (`epochs_trained`,
#: so that a searched `epochs` hyperparameter keeps its own column).
_RECORD_COLUMNS = {"epochs_trained": "epochs", "total_epochs": "total_epochs", "best_epoch": "best_epoch",
                   "stopped_epoch": "stopped_epoch", "timed_out": "timed_out", "seconds": "seconds",
                   "promoted_from": "promoted_from", "error": "error"}


def builder_ref(build_fn: Callable) -> str | None:
    """`"module:qualname"` of a function importable by name, else `None` (a
    lambda, a nested function, an object such as a keras-tuner HyperModel)."""
    module = getattr(build_fn, "__module__", None)
    qualname = getattr(build_fn, "__qualname__", "")
    if not module or not qualname or "<" in qualname:
        return None
    return f"{module}:{qualname}"


def _resolve_builder(ref: str | None, path: Path) -> Callable:
    hint = f"Pass it again: kerashp.load_result({str(path)!r}, build_fn=your_build_fn)."
    if not ref or ref.startswith("__main__:"):
        raise KerashpError(f"The run's build_fn ({ref or 'a lambda or nested function'}) cannot be imported. {hint}")
    module, _, qualname = ref.partition(":")
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as err:
        raise KerashpError(f"Cannot import the run's build_fn {ref!r} ({err}). {hint}") from err
    return obj


class TuneResult:
    """The outcome of `kerashp.tune`: best parameters and model, and every trial.

    Attributes:
        path: The run's folder.
        objective: The `Objective` the search optimized.
        records: One `TrialRecord` per finished trial, in trial order.

    Example:
        >>> result = kerashp.tune(kerashp.builders.mlp, {"units": [32, 64]}, data="digits")
        >>> result.best_params, result.best_score
        >>> result.trials.head()
    """

    def __init__(self, path: str | os.PathLike, *, build_fn: Callable | None = None):
        self.path = Path(path)
        self.store = RunStore(self.path.parent, self.path.name)
        self.settings = self.store.read_settings()
        self.objective = Objective(**self.settings["objective"])
        self.records = self.store.records()
        self._build_fn = build_fn
        self._best_model = None

    def __repr__(self) -> str:
        done = sum(r.completed for r in self.records)
        best = f", best {self.objective.name}={self.best_score:.4g}" if done else ""
        return f"<TuneResult {self.path}: {len(self.records)} trials, {done} completed{best}>"

    # best --------------------------------------------------------------------
    @property
    def best_trial(self) -> TrialRecord:
        """The record of the best completed trial: the best score, and among
        equal scores the lowest loss at the best epoch (`Objective.rank`)."""
        ranked = self._ranked()
        if not ranked:
            errors = {r.error for r in self.records} - {None}
            detail = f" Errors seen: {sorted(errors)[:3]}." if errors else ""
            raise KerashpError(f"No trial of the run in {self.path} completed.{detail}")
        return ranked[0]

    def _ranked(self) -> list[TrialRecord]:
        """The completed trials, best first (`Objective.rank`)."""
        done = [r for r in self.records if r.completed]
        return sorted(done, key=lambda r: self.objective.rank(r.score, r.metrics))

    @property
    def best_params(self) -> dict:
        """Hyperparameters of the best trial (fixed values included)."""
        return dict(self.best_trial.params)

    @property
    def best_score(self) -> float:
        """The best trial's objective value (its best epoch)."""
        return float(self.best_trial.score)

    @property
    def best_model(self) -> Any:
        """The best trial's model, rebuilt with `build_fn` and given its trained weights."""
        if self._best_model is None:
            self._best_model = self.load_model(self.best_trial.number)
        return self._best_model

    def load_model(self, trial: int | str) -> Any:
        """Rebuilds one trial's model (by number, or keras-tuner id) and loads
        its saved weights."""
        record = self.record(trial)
        if not record.completed:
            raise KerashpError(f"Trial {record.number} did not complete in {self.path}; it has no weights.")
        model = self._build(record)
        self.store.load_weights(model, record.trial_id)
        return model

    def _build(self, record: TrialRecord) -> Any:
        """A fresh, untrained model of `record`'s configuration for the run's data."""
        from kerashp.builders._calling import build_model
        from kerashp.datasets import DataSpec, use_spec

        spec = DataSpec.from_dict(self.settings["spec"])
        with use_spec(spec):
            return build_model(self._builder(), record.params, spec, self.settings.get("precision"))

    def _builder(self) -> Any:
        """The search's `build_fn`: the one given, else the one `run.json` names."""
        return self._build_fn or _resolve_builder(self.settings.get("builder"), self.path)

    # after the search -----------------------------------------------------------
    def refit(self, data: Any = None, *, sample_weight: Any = None, epochs: int | None = None,
              callbacks: list | None = None, verbose: int = 0) -> Any:
        """Trains the best configuration afresh on the training and validation
        data together, for the gradient steps at which it scored best; returns
        the model (the run's `best_model` is left as it is).

        The model normalizes inputs with the search's training statistics.

        Args:
            data: The search's `data=` again. Defaults to `None`: the dataset
                the run names (`"digits"`); arrays must be passed again.
            sample_weight: The search's `sample_weight=` again. Defaults to `None`.
            epochs: Epochs to train. Defaults to `None`: as many gradient
                steps as the best trial took to its best epoch (a promoted
                Hyperband trial's parent epochs included), so its best epoch
                count times (samples it trained on) / (samples refit on):
                0.8 of it after the default 20 % validation split
                (`kerashp.tuning.best_model.refit_epochs`).
            callbacks: Keras callbacks for this `fit`. Defaults to `None`.
            verbose: `fit`'s verbosity. Defaults to `0`.

        Example:
            >>> model = result.refit()
            >>> result.export("best.keras", model=model)
        """
        from kerashp.builders.keras_tuner import fit_hook
        from kerashp.tuning.best_model import (
            refit_model,
            run_class_weight,
            search_data,
            trained_samples,
        )

        everything = search_data(self.settings, data, sample_weight)
        best = self.best_trial
        return refit_model(lambda: self._build(best), best, everything, seed=self.settings.get("seed"),
                           batch_size=self.settings.get("batch_size", 32),
                           class_weight=run_class_weight(self.settings, everything), epochs=epochs,
                           trained_on=trained_samples(self.settings), callbacks=callbacks, verbose=verbose,
                           fit_hook=fit_hook(self._builder()))

    def evaluate(self, test_data: Any, *, model: Any = None) -> dict[str, float]:
        """The metrics of `model` (default: `best_model`) on held-out
        `(x_test, y_test)` or a `tf.data.Dataset`, by name (`"accuracy"`,
        `"loss"`); labels are encoded as in the search.

        Example:
            >>> result.evaluate((x_test, y_test))["accuracy"]
        """
        from kerashp.datasets import DataSpec
        from kerashp.tuning.best_model import prepare_test, test_metrics

        test = prepare_test(test_data, DataSpec.from_dict(self.settings["spec"]))
        return test_metrics(model if model is not None else self.best_model, test)

    @property
    def test_scores(self) -> dict[str, float] | None:
        """The best model's metrics on `Data(..., test=...)`, else `None`."""
        return self.settings.get("test")

    def export(self, path: str | os.PathLike, *, model: Any = None) -> Path:
        """Writes `model` (default: `best_model`) to `path`, a `.keras` file
        that `keras.models.load_model(path)` reads back; returns the path.

        A built-in regression model is compiled with kerashp's
        `StandardizedMSE` loss: load it after `import kerashp`, or with
        `compile=False` for predictions only.

        Example:
            >>> result.export("digits.keras")
        """
        from kerashp.tuning.best_model import export_model

        return export_model(model if model is not None else self.best_model, path)

    def record(self, trial: int | str) -> TrialRecord:
        """The record of one trial, by number (`3`, the `trial` column of
        `trials`) or keras-tuner's zero-padded id (`"03"`)."""
        for r in self.records:
            if r.number == trial or r.trial_id == trial:
                return r
        raise KerashpError(f"No trial {trial!r} in {self.path}. Trials: {[r.number for r in self.records]}.")

    # tables --------------------------------------------------------------------
    @property
    def trials(self) -> Any:
        """A pandas DataFrame, one row per trial: its number (`trial`, from 0),
        status, score, the loss that breaks ties on the score (`val_loss` for
        a validation objective, at the best epoch), every hyperparameter,
        `epochs_trained`, the parent's number of a promoted Hyperband trial
        (`promoted_from`), seconds and error; cross-validated runs add per-fold
        scores and their standard deviation."""
        import pandas as pd

        names: list[str] = []
        for record in self.records:
            names += [k for k in record.params if k not in names]
        tie = self.objective.tie_breaker
        numbers = {r.trial_id: r.number for r in self.records}
        rows = []
        for r in self.records:
            row = {"trial": r.number, "status": r.status.value, "score": r.score}
            if tie is not None and tie not in names:
                row[tie] = r.metrics.get(tie)
            row.update({name: r.params.get(name) for name in names})
            if r.fold_scores is not None:
                row["score_std"] = r.score_std
                row.update({f"fold{i}": s for i, s in enumerate(r.fold_scores)})
            row.update({col: getattr(r, field) for col, field in _RECORD_COLUMNS.items()})
            row["promoted_from"] = numbers.get(r.promoted_from, r.promoted_from)
            rows.append(row)
        frame = pd.DataFrame(rows, columns=["trial", "status", "score", *names] if not rows else None)
        empty = [c for c in (*_RECORD_COLUMNS, tie) if c in frame and frame[c].isna().all()]
        return frame.drop(columns=empty)

    def history(self, trial: int | str | None = None) -> Any:
        """Per-epoch metrics of one trial (default: the best) as a DataFrame."""
        import pandas as pd

        record = self.best_trial if trial is None else self.record(trial)
        frame = pd.DataFrame(record.history)
        first = (record.total_epochs or len(frame)) - len(frame)
        frame.index = pd.RangeIndex(first + 1, first + 1 + len(frame), name="epoch")
        return frame

    def top(self, n: int = 5) -> Any:
        """The `n` best completed trials, best first."""
        order = {r.number: i for i, r in enumerate(self._ranked())}
        frame = self.trials
        frame = frame[frame["trial"].isin(order)]
        return frame.sort_values("trial", key=lambda numbers: numbers.map(order)).head(n)

    def summary(self, n: int = 5) -> str:
        """Text: the run, its best trial and the top `n` trials."""
        import pandas as pd

        done = sum(r.completed for r in self.records)
        pruned = sum(r.status is TrialStatus.PRUNED for r in self.records)
        failed = len(self.records) - done - pruned
        counts = f"{done} completed, " + (f"{pruned} stopped early, " if pruned else "") + f"{failed} failed"
        lines = [
            f"kerashp run {self.path}",
            f"  algorithm {self.settings['algorithm']}, objective {self.objective.name} ({self.objective.direction})",
            f"  trials: {counts}",
        ]
        if done:
            lines.append(f"  best trial {self.best_trial.number}: {self.objective.name}={self.best_score:.4f}")
            lines.append(f"  best params: {self.best_params}")
            if self.test_scores:
                shown = ", ".join(f"{k}={v:.4f}" for k, v in self.test_scores.items())
                lines.append(f"  best model on the test data: {shown}")
            with pd.option_context("display.width", 160, "display.max_columns", 20):
                shown = self.top(n).drop(columns=["error"], errors="ignore")
                lines.append(shown.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        return "\n".join(lines)

    def plot(self, kind: str = "history", **kwargs: Any) -> Any:
        """A matplotlib Figure of one `kind` (`kerashp.plots.plot`):
        `"history"` (learning curves, the top 5 highlighted), `"scores"`
        (score per trial number and the best so far), `"parallel"`,
        `"slice"`, `"importance"`, `"contour"` (`params=(a, b)`) or `"edf"`.

        Example:
            >>> result.plot("importance").savefig("importance.png")
        """
        from kerashp import plots

        return plots.plot(self, kind, **kwargs)


def load_result(directory: str | os.PathLike, *, build_fn: Callable | None = None) -> TuneResult:
    """Reopens a run's folder as a `TuneResult`.

    Args:
        directory: The run's folder (`<directory>/<name>` of `tune`).
        build_fn: The builder, if it cannot be imported by name (a lambda or a
            function defined in a script's `__main__`). Defaults to `None`.

    Example:
        >>> result = kerashp.load_result("kerashp_runs/demo")
    """
    path = Path(directory)
    if not (path / "run.json").exists():
        raise RunFolderError(
            f"{str(path)!r} is not a kerashp run folder (no run.json). Give the run's own folder, "
            "e.g. 'kerashp_runs/<name>'."
        )
    return TuneResult(path, build_fn=build_fn)
