"""keras-tuner builders (and Optuna's `create_model(trial)`), run as they are.

A builder written for keras-tuner declares its hyperparameters as it builds:
`hp.Int("units", 32, 512, step=32)`, `hp.Float(..., sampling="log")`,
`hp.Choice`, `hp.Boolean`, `hp.Fixed`, `with hp.conditional_scope(...)`.
A `keras_tuner.HyperModel` does the same in its `build`, and may tune
training in its `fit`. kerashp takes either in place of a builder and a
space:

- **The space is read from the builder** (`read_space`): the builder is
  called with keras-tuner's own `HyperParameters`, once with every default,
  then once for each other value of each choice, boolean and integer range's
  end it declared (from the values it was first declared under), so that
  conditional scopes and names declared in loops (`units_2` when
  `hp.Int("layers", 1, 3)` is 3) are all found before the search starts,
  where keras-tuner adds them as trials meet them. What it declared becomes a
  plain kerashp space (`from_keras_tuner`). A `space=` given beside the
  builder overrides the entries it names.
- **In a trial** the builder receives the trial's hyperparameters
  (`Hyperparameters`): a dict (`hp["units"]`) that also answers
  keras-tuner's calls: `hp.Int("units", 32, 512)` returns the trial's
  `units`, and an entry whose conditional scope is inactive returns `None`,
  as keras-tuner does. A dict space and a keras-tuner builder are two ways
  into the same search.
- **Optuna's names** work the same way: `trial.suggest_int(name, low, high,
  step=1, log=False)`, `suggest_float` and `suggest_categorical` declare an
  `Int`, `Float` and `Choice`, so a model function written for an Optuna
  objective builds kerashp's models unchanged.
- **`HyperModel.fit`** is the fit hook (`fit_hook`): when a HyperModel
  overrides it, each trial calls `fit(hp, model, x, y, validation_data=...,
  callbacks=..., epochs=..., batch_size=..., verbose=0)` instead of
  `model.fit`. It passes `callbacks` on to `model.fit` (kerashp's best-epoch
  weights, pruning and time budget ride on them) and returns the `History`,
  a dict of final metrics, or the objective's value as a number. A refit
  (a cross-validated search's best trial, `TuneResult.refit`) trains through
  it too.

What does not carry over, and why: a hyperparameter's `default` (kerashp's
first trial is the algorithm's own pick; put the defaults in the algorithm's `initial=` to
try them first); `sampling="reverse_log"` (no kerashp range samples that
way; refused, naming the entry); two declarations of one name with
different ranges under different conditions (a kerashp space has one entry
a name; give them two names); and `hp.values` inside a builder (the
trial's hyperparameters are a dict, whose `values()` is the dict's: read
`hp["name"]` or `hp.get("name")`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from kerashp.builders._calling import ReadKeys
from kerashp.exceptions import ArgumentError, InvalidModelError
from kerashp.space import Bool, Choice, Float, Int

__all__ = ["Hyperparameters", "builder_of", "fit_hook", "fitted", "from_keras_tuner", "read_space", "space_for"]

#: Builds of a builder that `read_space` makes at most (the defaults, then one per probed value).
MAX_READS = 64


def _is_hypermodel(build_fn: Any) -> bool:
    return not callable(build_fn) and callable(getattr(build_fn, "build", None))


def builder_of(build_fn: Any) -> Callable:
    """The callable that builds a model: a HyperModel's `build`, else `build_fn`."""
    return build_fn.build if _is_hypermodel(build_fn) else build_fn


def fit_hook(build_fn: Any) -> Callable | None:
    """A HyperModel's own `fit` (the fit hook), or `None` when it keeps
    keras-tuner's default (`model.fit`) or `build_fn` is not a HyperModel."""
    if not _is_hypermodel(build_fn):
        return None
    import keras_tuner as kt

    if isinstance(build_fn, kt.HyperModel) and type(build_fn).fit is kt.HyperModel.fit:
        return None
    return getattr(build_fn, "fit", None)


def read_space(build_fn: Any, sample: tuple | None = None) -> dict[str, Any] | None:
    """The space a keras-tuner builder declares (see the module docstring), or
    `None` for a builder that declares its keys (`kerashp.builders.mlp`), or
    when calling it with keras-tuner's `HyperParameters` declares nothing, or
    fails before it declares anything, as a dict builder does (`hp["units"]`).

    Args:
        build_fn: A function of `hp`, or a HyperModel.
        sample: `(x, y)`, a few training samples: a HyperModel's fit hook is
            called with them and a model whose `fit` trains nothing, so that
            what it declares (`hp.Boolean("shuffle")`) joins the space.

    Raises:
        ArgumentError: a declaration has no kerashp equivalent.
    """
    import keras_tuner as kt

    if getattr(build_fn, "hyperparameters", None) is not None:
        return None
    hook = fit_hook(build_fn)
    model_of = builder_of(build_fn)
    found = kt.HyperParameters()
    queue: list[dict] = [{}]  # values to build with; {} is every default
    probed: set[str] = set()
    for _ in range(MAX_READS):
        if not queue:
            break
        assignment = queue.pop(0)
        hp = _declaring()
        hp.values = dict(assignment)
        try:
            model = model_of(hp)
        except Exception:
            if not found.space and not hp.space:
                return None  # it reads a dict (`hp["units"]`: KeyError), or needs what only a trial has
            raise
        if hook is not None and sample is not None:
            try:
                hook(hp, _StandIn(model), *sample, validation_data=sample if len(sample) > 1 else None, callbacks=[],
                     epochs=1, verbose=0)
            except Exception:  # noqa: BLE001 - it may read the stand-in's empty history; a trial reports it
                pass
        for declared in hp.space:  # each one's other values, from where it was first seen
            if declared.name not in probed and hp.is_active(declared):
                probed.add(declared.name)
                queue += [{**assignment, declared.name: v} for v in _probes(declared)
                          if v != hp.values.get(declared.name)]
        found.merge(hp, overwrite=False)
    return from_keras_tuner(found) if found.space else None


def _probes(declared: Any) -> list:
    """The values of a declaration that may change what a builder declares:
    every choice, both booleans, an integer range's ends (a loop over
    `range(hp.Int("layers", 1, 3))` declares `units_2` at 3)."""
    kind = type(declared).__name__
    if kind == "Choice":
        return list(declared.values)
    if kind == "Boolean":
        return [False, True]
    if kind == "Int":
        return [declared.min_value, declared.max_value]
    return []


def space_for(build_fn: Any, space: Any, prepared: Callable[[], Any]) -> Any:
    """The space a search of `build_fn` uses: the one it declares (keras-tuner
    style), with `space`'s entries over it; `space` alone for a dict builder;
    `None` when neither gives one. `prepared()` gives the prepared data, whose
    first samples a HyperModel's fit hook is read with."""
    if space is not None and not _is_hypermodel(build_fn):
        return space
    sample = None
    if fit_hook(build_fn) is not None:
        train = prepared().splits[0].train
        sample = tuple(part[:2] for part in train) if isinstance(train, tuple) else (train.take(1),)
    declared = read_space(build_fn, sample)
    if declared is None:
        return space
    return {**declared, **(space or {})}


def from_keras_tuner(hp: Any) -> dict[str, Any]:
    """A kerashp space from keras-tuner `HyperParameters` (their `space`)."""
    space: dict[str, Any] = {}
    for declared in hp.space:
        key = declared.name
        when = {}
        for condition in declared.conditions:
            when.setdefault(condition.name, []).extend(
                v for v in condition.values if v not in when.get(condition.name, []))
        entry = _entry(declared, when or None)
        if key in space:
            entry = _merged(key, space[key], entry)
        space[key] = entry
    return space


def _merged(key: str, old: Any, new: Any) -> Any:
    """One entry for a name declared twice: the same range under conditions on one parent."""
    same = type(old) is type(new) and _range(old) == _range(new)
    if same and not (getattr(old, "when", None) and getattr(new, "when", None)):
        return _entry_with_when(new, None)  # declared once without a condition: in every trial
    parents = set(getattr(old, "when", None) or {}) | set(getattr(new, "when", None) or {})
    if not same or len(parents) != 1:
        raise ArgumentError(
            f"Hyperparameter {key!r} is declared twice in build_fn, as {_range(old)} and {_range(new)}, under "
            "different conditions; a kerashp space has one entry a name. Give the two declarations two names."
        )
    (parent,) = parents
    values = [*old.when[parent], *(v for v in new.when[parent] if v not in old.when[parent])]
    return _entry_with_when(new, {parent: values})


def _range(entry: Any) -> Any:
    return {k: v for k, v in vars(entry).items() if k != "when"} if hasattr(entry, "__dict__") else repr(entry)


def _entry_with_when(entry: Any, when: dict | None) -> Any:
    if not isinstance(entry, (Choice, Bool, Int, Float)):
        return entry  # a fixed value
    if isinstance(entry, Choice):
        return Choice(entry.values(), when=when)
    if isinstance(entry, Bool):
        return Bool(when=when)
    return type(entry)(entry.low, entry.high, step=entry.step, log=entry.log, when=when)


def _entry(declared: Any, when: dict | None) -> Any:
    kind = type(declared).__name__
    if kind == "Fixed":
        return Choice([declared.value], when=when) if when else declared.value
    if kind == "Boolean":
        return Bool(when=when)
    if kind == "Choice":
        return Choice(list(declared.values), when=when)
    sampling = (getattr(declared, "sampling", None) or "linear").lower()
    low, high, step = declared.min_value, declared.max_value, declared.step
    if sampling == "reverse_log":
        raise ArgumentError(
            f"Hyperparameter {declared.name!r} is declared with sampling='reverse_log', which no kerashp range "
            "samples. Declare it with sampling='log' or 'linear', or pass space={...} with its range."
        )
    if sampling == "log" and step is not None:  # keras-tuner's log step multiplies
        values, value = [], low
        while value <= high * (1 + 1e-9):
            values.append(value)
            value *= step
        return Choice(values, when=when)
    if kind == "Int":
        return Int(int(low), int(high), step=int(step or 1), log=sampling == "log", when=when)
    return Float(float(low), float(high), step=None if step is None else float(step), log=sampling == "log", when=when)


class _OptunaNames:
    """Optuna's `trial.suggest_*`, as keras-tuner's declarations: a builder
    written for Optuna (`create_model(trial)`) is read and run the same way."""

    def suggest_int(self, name: str, low: int, high: int, step: int = 1, log: bool = False) -> Any:
        return self.Int(name, low, high, step=None if log else step, sampling="log" if log else "linear")

    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None,
                      log: bool = False) -> Any:
        return self.Float(name, low, high, step=step, sampling="log" if log else "linear")

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        return self.Choice(name, list(choices))


def _declaring() -> Any:
    """keras-tuner's `HyperParameters`, answering Optuna's names too."""
    import keras_tuner as kt

    class Declaring(_OptunaNames, kt.HyperParameters):
        pass

    return Declaring()


class Hyperparameters(_OptunaNames, ReadKeys):
    """A trial's hyperparameters: a dict that also answers keras-tuner's
    declarations (`hp.Int(name, ...)` returns the trial's value of `name`,
    `None` inside an inactive `conditional_scope`)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._declared: Any = None

    def _keras_tuner(self) -> Any:
        if self._declared is None:
            import keras_tuner as kt

            self._declared = kt.HyperParameters()
            self._declared.values = self.plain()
        return self._declared

    def _value(self, method: str, name: str, *args: Any, **kwargs: Any) -> Any:
        declared = self._keras_tuner()
        value = getattr(declared, method)(name, *args, **kwargs)
        if value is None:
            return None  # an inactive scope
        from kerashp._keras_tuner_compat import scoped_name

        full = scoped_name(declared, name)  # with hp.name_scope's prefixes
        if not dict.__contains__(self, full):
            raise InvalidModelError(
                f"build_fn declares hp.{method}({full!r}, ...), but the space has no {full!r}: a space given as "
                f"space= replaces the one build_fn declares only where it names an entry. Add {full!r} to it, or "
                "drop space= to search the one build_fn declares."
            )
        return self[full]

    def Int(self, name: str, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - keras-tuner's name
        return self._value("Int", name, *args, **kwargs)

    def Float(self, name: str, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        return self._value("Float", name, *args, **kwargs)

    def Choice(self, name: str, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        return self._value("Choice", name, *args, **kwargs)

    def Boolean(self, name: str, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        return self._value("Boolean", name, *args, **kwargs)

    def Fixed(self, name: str, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        return self._value("Fixed", name, *args, **kwargs)

    def conditional_scope(self, parent_name: str, parent_values: Any) -> Any:
        return self._keras_tuner().conditional_scope(parent_name, parent_values)

    def name_scope(self, name: str) -> Any:
        return self._keras_tuner().name_scope(name)


def fitted(result: Any, objective: str) -> tuple[dict[str, list[float]], bool]:
    """`(history, final)` from what a fit hook returned: a `History`'s
    per-epoch logs (`final` False), or a dict of final metrics or the
    objective's value as a number, as a one-entry history (`final` True: the
    model as it ended is the one scored).

    Raises:
        InvalidModelError: it returned something else (`None`: a missing `return`).
    """
    history = getattr(result, "history", None)
    if isinstance(history, dict):
        return history, False
    if isinstance(result, dict) and result:
        return {str(k): [float(v)] for k, v in result.items()}, True
    if isinstance(result, (int, float)) and not isinstance(result, bool) and math.isfinite(float(result)):
        return {objective: [float(result)]}, True
    raise InvalidModelError(
        f"HyperModel.fit returned {result!r:.80}: return model.fit(...)'s History, a dict of metrics, or the "
        f"objective's ({objective!r}) value as a number."
    )


class _StandIn:
    """A model whose `fit` trains nothing: what `read_space` hands a fit hook,
    so that the hyperparameters it declares join the space."""

    def __init__(self, model: Any):
        self._model = model

    def fit(self, *args: Any, **kwargs: Any) -> Any:
        import keras

        history = keras.callbacks.History()
        history.history = {}
        return history

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)
