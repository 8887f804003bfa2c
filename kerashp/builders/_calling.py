"""How kerashp calls a builder: with the hp dict, or with keyword arguments.

The one rule, used by `kerashp.tune`, `TuneResult.load_model`, the
scikit-learn estimators and the command line. It is decided from the
builder's signature (`inspect.signature`):

- **dict style**: a callable with exactly one positional parameter without a
  default (`def build(hp)`, `kerashp.builders.mlp(hp, *, spec=None)`,
  `lambda hp: ...`), or whose first parameter is `hp` (`def build(hp=None)`),
  is called with the whole hyperparameter dict, as always.
- **keyword style**: any other callable (`def create_model(optimizer="adam",
  init="glorot_uniform")`, `def build(**hp)`, a class, a `functools.partial`
  whose remaining parameters all have defaults) is called with keyword
  arguments: those of its parameters that the space names, or every
  hyperparameter when it takes `**kwargs`.

With keyword style, the reserved keys go where they belong even when the
builder does not take them: `batch_size` and `epochs` to `fit`; `optimizer`,
`learning_rate`, `momentum` and `loss` compile a model returned uncompiled.
Any other hyperparameter the builder does not take is an error, and so is a
compile key given to a builder that neither takes it nor returns an
uncompiled model (it would be silently ignored).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kerashp._checks import did_you_mean
from kerashp.exceptions import ArgumentError, InvalidModelError

__all__ = [
    "COMPILE_KEYS", "FIT_KEYS", "BuilderCall", "ReadKeys", "build_model", "call_builder", "check_builder",
    "describe_builder", "unread_warning",
]

#: Hyperparameters `fit` takes when the builder does not.
FIT_KEYS = frozenset({"batch_size", "epochs"})
#: Hyperparameters that compile a model the builder returns uncompiled.
COMPILE_KEYS = frozenset({"optimizer", "learning_rate", "momentum", "nesterov", "loss"})

#: Other libraries' names for the reserved keys, suggested when a builder does not read them.
_ALIASES = {"lr": "learning_rate", "opt": "optimizer", "bs": "batch_size", "epoch": "epochs", "n_epochs": "epochs"}

_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


@dataclass(frozen=True)
class BuilderCall:
    """How a builder is called (see the module docstring).

    Attributes:
        name: The builder's name, for messages.
        keywords: `True` for keyword style, `False` for the hp dict.
        accepted: Names of the keyword parameters (for a dict-style builder,
            those besides the hp dict, such as `spec`).
        required: Keyword parameters without a default (keyword style).
        var_keyword: Whether it takes `**kwargs` (keyword style).
    """

    name: str
    keywords: bool
    accepted: frozenset[str] = frozenset()
    required: tuple[str, ...] = ()
    var_keyword: bool = False

    def takes(self, key: str) -> bool:
        """Whether hyperparameter `key` reaches the builder."""
        return not self.keywords or self.var_keyword or key in self.accepted


def _name(build_fn: Any) -> str:
    fn = getattr(build_fn, "func", build_fn)  # functools.partial
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def _builder(build_fn: Any) -> Callable:
    """What builds the model: a keras-tuner HyperModel's `build`, else `build_fn`."""
    return build_fn.build if not callable(build_fn) and callable(getattr(build_fn, "build", None)) else build_fn


def describe_builder(build_fn: Callable) -> BuilderCall:
    """How `kerashp` calls `build_fn`, decided by its signature.

    A callable whose signature cannot be read (some built-in or C callables)
    is called with the hp dict.

    Example:
        >>> def create_model(optimizer="adam", init="glorot_uniform"): ...
        >>> describe_builder(create_model).keywords
        True
        >>> describe_builder(kerashp.builders.mlp).keywords
        False
    """
    name = _name(build_fn)
    build_fn = _builder(build_fn)
    try:
        params = list(inspect.signature(build_fn).parameters.values())
    except (TypeError, ValueError):
        return BuilderCall(name, keywords=False)
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    required_keywords = [p for p in params if p.kind is p.KEYWORD_ONLY and p.default is p.empty]
    if not positional and [p.name for p in params if p.kind in _NAMED][:1] == ["hp"]:
        positional = [params[0]]  # `def build(hp=None)`: keras-tuner's name for the dict, a default or not
    if len(positional) == 1 and not required_keywords:
        return BuilderCall(name, keywords=False,
                           accepted=frozenset(p.name for p in params if p.kind in _NAMED and p is not positional[0]))
    if any(p.kind is p.POSITIONAL_ONLY for p in positional):
        raise ArgumentError(
            f"build_fn {name}{inspect.signature(build_fn)} has positional-only parameters without defaults, so "
            "kerashp can call it neither with the hp dict (one parameter) nor with keyword arguments. "
            "Give it one parameter, the hp dict, or parameters named after the hyperparameters with defaults."
        )
    return BuilderCall(
        name,
        keywords=True,
        accepted=frozenset(p.name for p in params if p.kind in _NAMED),
        required=tuple(p.name for p in params if p.kind in _NAMED and p.default is p.empty),
        var_keyword=any(p.kind is p.VAR_KEYWORD for p in params),
    )


def check_builder(build_fn: Callable, keys: Iterable[str], conditional: Mapping[str, Any] | None = None) -> BuilderCall:
    """Checks, before any training, that every hyperparameter in `keys` reaches
    `build_fn`, `fit` or `compile`, and that `build_fn`'s required parameters
    are among them and set in every trial.

    A dict-style builder may declare the keys it reads as a
    `hyperparameters` attribute (the built-in `mlp` and `cnn` do); any other
    key, a typo such as `unit`, is then an error too.

    Args:
        build_fn: The builder.
        keys: The hyperparameter names.
        conditional: Name -> condition of the entries set only in some
            trials (`Space.conditions`). Defaults to `None`: none.

    Raises:
        ArgumentError: a hyperparameter would reach nothing, a required
            parameter of `build_fn` has no hyperparameter or only a
            conditional one, or a dict-style `build_fn` has another
            parameter named like a hyperparameter (`def build(units,
            optimizer="adam")`: the dict would land in `units` and
            `optimizer` would never be passed).

    Example:
        >>> check_builder(create_model, ["optimizer", "init", "batch_size"])
    """
    call = describe_builder(build_fn)
    keys = list(keys)
    declared = getattr(build_fn, "hyperparameters", None)
    if not call.keywords and declared is not None:
        _check_declared(call.name, frozenset(declared), keys)
    if not call.keywords:
        shadowed = [k for k in keys if k in call.accepted]
        if shadowed:
            signature = inspect.signature(build_fn)
            raise ArgumentError(
                f"build_fn {call.name}{signature} has one parameter without a default, so kerashp calls it with "
                f"the whole hp dict, and {', '.join(map(repr, shadowed))} in the space would not reach its "
                f"parameter{'s' * (len(shadowed) > 1)} of that name. Give every parameter a default to have them "
                "passed by name, or read them from the hp dict."
            )
        return call
    lost = [k for k in keys if not call.takes(k) and k not in FIT_KEYS | COMPILE_KEYS]
    if lost:
        raise ArgumentError(
            f"Hyperparameter{'s' * (len(lost) > 1)} {', '.join(map(repr, lost))} would reach nothing: build_fn "
            f"{call.name}() takes keyword arguments {sorted(call.accepted)}, and only batch_size/epochs (fit) and "
            f"{'/'.join(sorted(COMPILE_KEYS))} (compile) are used without it. Add "
            f"{', '.join(f'{k}=...' for k in lost)} to {call.name}'s parameters, or remove "
            f"{'them' if len(lost) > 1 else 'it'} from the space."
        )
    missing = [name for name in call.required if name not in keys]
    if missing:
        raise ArgumentError(
            f"build_fn {call.name}() requires {', '.join(map(repr, missing))}, but the hyperparameters "
            f"{sorted(keys)} do not include {'them' if len(missing) > 1 else 'it'}. Add "
            f"{'them' if len(missing) > 1 else 'it'} to the space, or give the parameter a default."
        )
    sometimes = [name for name in call.required if conditional and conditional.get(name)]
    if sometimes:
        name = sometimes[0]
        raise ArgumentError(
            f"build_fn {call.name}() requires {name!r}, but the space sets it only when {dict(conditional[name])}: "
            f"in the other trials {call.name}() could not be called. Give the parameter a default "
            f"({name}=...), used when it is inactive."
        )
    return call


def _check_declared(name: str, declared: frozenset[str], keys: list[str]) -> None:
    known = declared | FIT_KEYS | COMPILE_KEYS
    unknown = [k for k in keys if k not in known]
    if unknown:
        key = unknown[0]
        hint = did_you_mean(key, sorted(known), aliases=_ALIASES)
        raise ArgumentError(
            f"Hyperparameter {key!r} would reach nothing: {name}() reads {sorted(declared)}, and "
            f"batch_size/epochs (fit) and {'/'.join(sorted(COMPILE_KEYS))} (compile). "
            + (f"{hint} " if hint else "")
            + f"Rename or remove {key!r} in the space, or write your own builder that uses it."
        )


class ReadKeys(dict):
    """A trial's hyperparameters that remember which keys were read: by the
    builder, by kerashp compiling an uncompiled model, by `fit` (batch size,
    epochs), by a callbacks function. Looking a key up (`[]`, `get`, `in`,
    `pop`, `setdefault`) reads it; iterating or copying the dict reads every
    key (a builder that passes it on may use any); `plain()` copies without
    reading."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def plain(self) -> dict:
        """A plain copy, read by nobody."""
        return dict(zip(dict.keys(self), dict.values(self), strict=True))

    def _all(self) -> None:
        self.read.update(dict.keys(self))

    def __getitem__(self, key: Any) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key: Any) -> bool:
        self.read.add(key)
        return super().__contains__(key)

    def pop(self, key: Any, *default: Any) -> Any:
        self.read.add(key)
        return super().pop(key, *default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self.read.add(key)
        return super().setdefault(key, default)

    def __iter__(self) -> Any:
        self._all()
        return super().__iter__()

    def keys(self) -> Any:
        self._all()
        return super().keys()

    def items(self) -> Any:
        self._all()
        return super().items()

    def values(self) -> Any:
        self._all()
        return super().values()


def unread_warning(params: ReadKeys, build_fn: Callable) -> str | None:
    """The warning for hyperparameters nothing read in a trial (see
    `ReadKeys`), naming each, its value, the closest key something reads and
    the fix; `None` when every key was read, or when the builder declared its
    keys keras-tuner style (`hp.Int(...)`: a key it declares only for some
    values of another, as `units_2` for 3 layers, goes unread in the others)."""
    unread = [k for k in dict.keys(params) if k not in params.read]
    if not unread or getattr(params, "_declared", None) is not None:  # keras-tuner style: read as declared
        return None
    key = unread[0]
    hint = did_you_mean(key, sorted(params.read | FIT_KEYS | COMPILE_KEYS), aliases=_ALIASES)
    name = describe_builder(build_fn).name
    return (
        f"Hyperparameter{'s' * (len(unread) > 1)} {', '.join(map(repr, unread))} reached nothing in the first "
        f"trial: build_fn {name}() did not read {'them' if len(unread) > 1 else 'it'} (received "
        f"{key}={dict.get(params, key)!r}), nor did kerashp's compile (a model returned compiled ignores "
        f"{'/'.join(sorted(COMPILE_KEYS))}) or fit (batch_size/epochs), so searching it changes nothing. "
        + (f"{hint} " if hint else "")
        + f"Read it in {name}(), remove it from the space, or, if {name}() reads it only for some values of "
        "another key, declare it with when={...} so it is searched only there."
    )


def call_builder(build_fn: Callable, params: Mapping[str, Any]) -> Any:
    """Builds a model: `build_fn(dict(params))` for a dict-style builder,
    `build_fn(**accepted)` for a keyword-style one (see the module docstring).

    Raises:
        InvalidModelError: a keyword-style `build_fn` does not take a compile
            key of `params` (`optimizer`, `learning_rate`, ...) and returned a
            compiled model, so the value would be silently ignored. Raised at
            the first build, before any training.

    Example:
        >>> model = call_builder(create_model, {"optimizer": "sgd", "init": "he_normal", "epochs": 5})
    """
    from kerashp.builders.keras_tuner import Hyperparameters

    call = describe_builder(build_fn)
    build_fn = _builder(build_fn)
    if not call.keywords:  # a dict that answers keras-tuner's hp.Int(...) too
        return build_fn(params if isinstance(params, Hyperparameters) else Hyperparameters(
            params.plain() if isinstance(params, ReadKeys) else params))
    model = build_fn(**{k: v for k, v in params.items() if call.takes(k)})
    ignored = [k for k in params if k in COMPILE_KEYS and not call.takes(k)]
    if ignored and getattr(model, "compiled", False) and getattr(model, "optimizer", None) is not None:
        values = ", ".join(f"{k}={params[k]!r}" for k in ignored)
        raise InvalidModelError(
            f"build_fn {call.name}() compiles its own model but takes no {', '.join(map(repr, ignored))} "
            f"parameter, so the searched {values} would be silently ignored. Add "
            f"{', '.join(f'{k}=...' for k in ignored)} to {call.name}'s parameters and use "
            f"{'them' if len(ignored) > 1 else 'it'} in model.compile, return the model uncompiled "
            "(kerashp then compiles it from these keys), or remove them from the space."
        )
    return model


def build_model(build_fn: Callable, params: Mapping[str, Any], spec: Any = None, precision: str | None = None) -> Any:
    """`build_fn`'s model of `params` (`call_builder`), compiled from the
    reserved keys if it came back uncompiled (`ensure_compiled`), under the
    Keras dtype policy `precision` (`None`: the global one): what every
    caller of a builder does. With `spec`, a model without weights yet is
    built for its inputs (`build_from_spec`)."""
    from kerashp.builders.compile import ensure_compiled
    from kerashp.devices import dtype_policy

    with dtype_policy(precision):
        model = ensure_compiled(call_builder(build_fn, params), params, spec)
        if spec is not None:
            build_from_spec(model, spec)
        return model


def build_from_spec(model: Any, spec: Any) -> None:
    """Creates the weights of a model that has none yet (a `keras.Sequential`
    without `keras.Input`, keras-tuner's guide's pattern) for inputs of
    `spec.input_shape`, as its first `fit` would, so that weights can be
    copied or loaded into it before it trains. A model that cannot be built
    from that shape alone is left to build in `fit`."""
    if getattr(model, "built", True) or not getattr(spec, "input_shape", None):
        return
    try:
        model.build((None, *spec.input_shape))
    except Exception:  # a builder's own layers may raise anything: fit builds it then
        pass
