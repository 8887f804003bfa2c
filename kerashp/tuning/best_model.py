"""After the search: the chosen configuration refit on all the search's data,
scored on held-out test data, and written as a `.keras` file.

`TuneResult.refit`, `TuneResult.evaluate`, `TuneResult.export` and
`kerashp.tune(..., data=Data(..., test=...))` are thin calls into this module.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from kerashp.datasets import DataSpec
from kerashp.exceptions import ArgumentError, DataError

__all__ = ["export_model", "prepare_test", "refit_epochs", "refit_model", "run_class_weight", "search_data",
           "test_metrics", "trained_samples"]

_UNSTORED = ("arrays", "tf.data", None)


def prepare_test(test_data: Any, spec: DataSpec, argument: str = "test_data") -> Any:
    """`test_data` as a model of `spec` is scored on: `(x, labels encoded as in
    training)`, or a `tf.data.Dataset` as given. Checked before any training.

    Raises:
        DataError: not `(x, y)` or a dataset, non-finite or empty arrays,
            inputs of another shape than the training inputs, or labels
            that training never saw.
    """
    from kerashp.datasets._prepare import _is_tf_dataset
    from kerashp.datasets._spec import check_pair

    if _is_tf_dataset(test_data):
        return test_data
    if not isinstance(test_data, (tuple, list)) or len(test_data) != 2:
        raise DataError(
            f"`{argument}` must be (x_test, y_test) or a tf.data.Dataset of (x, y). "
            f"Received: {type(test_data).__name__}"
            + (f" of length {len(test_data)}" if isinstance(test_data, (tuple, list)) else "")
            + "."
        )
    from kerashp.datasets import encode_labels

    x, y = check_pair(*test_data, names=("x_test", "y_test"))
    if tuple(x.shape[1:]) != tuple(spec.input_shape):
        raise DataError(
            f"`x_test` has samples of shape {tuple(x.shape[1:])}, the search trained on {tuple(spec.input_shape)}. "
            "Pass test inputs prepared the same way as the training inputs."
        )
    return x, encode_labels(y, spec)


def test_metrics(model: Any, test: Any, batch_size: int = 256) -> dict[str, float]:
    """`model`'s metrics on prepared test data (`prepare_test`), by name
    without a `val_` prefix: `{"loss": ..., "accuracy": ...}`."""
    if isinstance(test, tuple):
        scores = model.evaluate(*test, batch_size=batch_size, verbose=0, return_dict=True)
    else:
        from kerashp.datasets import is_batched

        scores = model.evaluate(test if is_batched(test) else test.batch(batch_size), verbose=0, return_dict=True)
    return {name: float(value) for name, value in scores.items()}


def search_data(settings: dict, data: Any, sample_weight: Any = None) -> Any:
    """All of a search's data, training and validation parts together: the
    arrays `(x, y, weights)` (labels encoded as in the search; `weights` of
    mean 1, or `None`) or one `tf.data.Dataset`.

    Args:
        settings: The run's `run.json`.
        data: The search's `data=` again, or `None` for a dataset the run
            names (`"digits"`).
        sample_weight: The search's `sample_weight=` again; validation
            samples given apart (`(x, y, x_val, y_val)`) weigh 1.

    Raises:
        ArgumentError: `data` is `None` and the run was given arrays or a
            dataset object, which a run folder does not keep.
        DataError: `data` has other classes than the search's.
    """
    from kerashp.datasets import encode_labels, load
    from kerashp.datasets._prepare import _is_tf_dataset
    from kerashp.datasets._spec import check_pair
    from kerashp.datasets._weights import check_sample_weight, mean_one

    if data is None:
        if settings.get("data") in _UNSTORED:
            raise ArgumentError(
                f"The search was given {settings.get('data') or 'data'} that the run folder does not keep, so refit() "
                "needs them again: result.refit(data=...), with the same data= as the search."
            )
        data = settings["data"]
    data = load(data) if isinstance(data, str) else data
    if _is_tf_dataset(data):
        return data
    if isinstance(data, tuple) and len(data) == 2 and _is_tf_dataset(data[0]):
        return data[0].concatenate(data[1])
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 4):
        raise DataError("`data` must be the search's data=: a dataset name, (x, y), (x, y, x_val, y_val) or tf.data.")
    parts = [check_pair(data[i], data[i + 1]) for i in range(0, len(data), 2)]
    x, y = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    weights = None
    if sample_weight is not None:
        weights = np.concatenate([check_sample_weight(sample_weight, len(parts[0][0])),
                                  np.ones(len(x) - len(parts[0][0]))])
        x, y, weights = x[weights > 0], y[weights > 0], weights[weights > 0]
    spec = DataSpec.from_dict(settings["spec"])
    if spec.task == "classification" and not spec.one_hot and sorted(np.unique(y).tolist(), key=str) != sorted(
            spec.classes, key=str):
        raise DataError(
            f"The data given has classes {np.unique(y).tolist()[:10]}, the search had {spec.classes[:10]}: the "
            "chosen model's outputs would not match. Pass the search's data."
        )
    return x, encode_labels(y, spec), mean_one(weights)


def refit_model(build: Callable[[], Any], record: Any, data: Any, *, seed: int | None, batch_size: int,
                class_weight: dict | None = None, epochs: int | None = None, trained_on: int | None = None,
                callbacks: list | None = None, verbose: int = 0, fit_hook: Callable | None = None) -> Any:
    """A fresh model of `record`'s configuration (`build()`, under the trial's
    seed) trained on `data` (`(x, y, sample_weight)` or a `tf.data.Dataset`):
    the one refit rule of `TuneResult.refit` and of a cross-validated
    search's best trial.

    It trains `epochs`, by default `refit_epochs`: as many gradient steps as
    the trial took to its best epoch (a promoted parent's included), given
    that the trial's epochs were over `trained_on` samples. A keras-tuner
    HyperModel's `fit` (`fit_hook`) trains it as it trained the trials:
    `fit(hp, model, x, y, ...)`, sizing its own batches when `batch_size` is
    not a hyperparameter.
    """
    from kerashp._seeding import seeded, trial_seed
    from kerashp.builders.keras_tuner import Hyperparameters
    from kerashp.tuning.batches import fit_inputs

    batch_size = int(record.params.get("batch_size", batch_size))
    if epochs is None:
        samples = len(data[0]) if isinstance(data, tuple) else None
        epochs = refit_epochs(record.best_epoch or record.total_epochs or 1, trained_on, samples, batch_size)

    with seeded(trial_seed(seed, record.number)):
        model = build()
        options = {"epochs": int(epochs), "callbacks": callbacks, "class_weight": class_weight, "verbose": verbose}
        arrays = isinstance(data, tuple)  # as the trials trained (`kerashp.tuning.batches.fit_inputs`)
        args, shaped, _ = fit_inputs(model, data[:2] if arrays else data, None, batch_size,
                                     data[2] if arrays else None, hook=fit_hook is not None,
                                     batch_searched="batch_size" in record.params)
        options.update(shaped)
        if fit_hook is None:
            model.fit(*args, **options)
        else:
            fit_hook(Hyperparameters(dict(record.params)), model, *args, **options)
    return model


def refit_epochs(best_epoch: int, trained_on: int | None, samples: int | None, batch_size: int) -> int:
    """Epochs over `samples` that take as many gradient steps as `best_epoch`
    epochs over `trained_on` samples did, in batches of `batch_size`; at least 1.

    The search found where the trial's validation score was best as a point
    of its training: a number of optimizer steps at its learning rate. A refit
    on all the data (25 % more samples than the trial's 80 % part) that kept
    the epoch count would take 25 % more steps and run past that point; the
    same steps see every sample about `best_epoch * trained_on / samples`
    times (the measurement behind the rule is in `benchmarks/RESULTS.md`).
    With either size unknown (a `tf.data` dataset) the epoch count is kept.

    Example:
        >>> refit_epochs(50, trained_on=800, samples=1000, batch_size=100)
        40
    """
    if not trained_on or not samples:
        return max(1, int(best_epoch))
    steps = int(best_epoch) * math.ceil(trained_on / batch_size)
    return max(1, round(steps / math.ceil(samples / batch_size)))


def trained_samples(settings: dict) -> int | None:
    """The samples a trial of the run trained on per epoch: the hold-out
    split's training part, or a fold's (`(cv - 1) / cv` of all) with `cv`;
    `None` when not known (`tf.data`)."""
    samples = (settings.get("spec") or {}).get("num_samples")
    if not samples:
        return None
    cv = settings.get("cv")
    return round(samples * (cv - 1) / cv) if cv else int(samples)


def run_class_weight(settings: dict, data: Any) -> dict[int, float] | None:
    """Keras's `class_weight` for training on `data` (from `search_data`), from
    the run's `class_weight=` (kept in run.json)."""
    from kerashp.datasets import class_weights

    given = settings.get("class_weight")
    given = dict(map(tuple, given)) if isinstance(given, list) else given
    spec = DataSpec.from_dict(settings["spec"])
    classes = spec.classes if spec.classes is not None else list(range(spec.num_classes or 0))
    return class_weights(given, data[1] if isinstance(data, tuple) else None, classes)


def export_model(model: Any, path: str | Path) -> Path:
    """Writes `model` to `path` (a `.keras` file) and returns the path; the
    file loads with `keras.models.load_model(path)` (safe mode)."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ArgumentError(
            f"Argument `path` must end in .keras (Keras's own format, loaded with keras.models.load_model). "
            f"Received: path={str(path)!r}. Use {str(path.with_suffix('.keras'))!r}."
        )
    from kerashp.storage.run_store import _replacing

    with _replacing(path) as tmp:
        model.save(tmp)
    return path
