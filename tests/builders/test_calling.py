"""`kerashp.builders._calling`: the one rule that decides how a builder is called."""

from __future__ import annotations

import functools

import keras
import pytest

from kerashp.builders import cnn, mlp
from kerashp.builders._calling import call_builder, check_builder, describe_builder
from kerashp.exceptions import ArgumentError, InvalidModelError


def tiny(units=4, compiled=False, lr=None):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units)])
    if compiled:
        model.compile(optimizer=keras.optimizers.SGD(lr or 0.01), loss="mse")
    return model


def create_model(optimizer="rmsprop", init="glorot_uniform"):
    """The classic recipe's builder: hyperparameters by name, compiled inside."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, kernel_initializer=init)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def test_a_classic_builder_gets_its_own_keywords_and_not_the_fit_keys():
    seen = {}

    def build(optimizer="adam", init="glorot_uniform"):
        seen.update(optimizer=optimizer, init=init)
        return tiny()

    call_builder(build, {"optimizer": "sgd", "init": "he_normal", "batch_size": 16, "epochs": 3})
    assert seen == {"optimizer": "sgd", "init": "he_normal"}
    model = call_builder(create_model, {"optimizer": "sgd", "init": "he_normal"})
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert isinstance(model.layers[0].kernel_initializer, keras.initializers.HeNormal)


def test_a_builder_with_var_keywords_gets_every_hyperparameter():
    seen = {}

    def build(units=4, **rest):
        seen.update(units=units, **rest)
        return tiny(units)

    call_builder(build, {"units": 5, "dropout": 0.1, "epochs": 2})
    assert seen == {"units": 5, "dropout": 0.1, "epochs": 2}


def test_a_one_parameter_builder_gets_the_dict_as_before():
    seen = []
    call_builder(lambda hp: seen.append(hp) or tiny(), {"units": 3, "epochs": 2})
    assert seen == [{"units": 3, "epochs": 2}]
    for fn in (mlp, cnn, functools.partial(mlp, spec=None), lambda hp: hp, lambda hp, spec=None: hp):
        assert describe_builder(fn).keywords is False


def test_classes_and_partials_are_called_by_keyword():
    class Tiny(keras.Sequential):
        def __init__(self, units=4):
            super().__init__([keras.Input((3,)), keras.layers.Dense(units)])

    assert call_builder(Tiny, {"units": 7, "batch_size": 8}).output_shape == (None, 7)
    partial = functools.partial(create_model, init="zeros")
    assert describe_builder(partial).keywords is True
    assert call_builder(partial, {"optimizer": "adam"}).layers[0].kernel_initializer.__class__.__name__ == "Zeros"


def test_a_hyperparameter_that_reaches_nothing_is_named():
    check_builder(create_model, ["optimizer", "init", "batch_size", "epochs", "learning_rate"])
    with pytest.raises(ArgumentError, match=r"'units' would reach nothing.*Add units=\.\.\. to create_model"):
        check_builder(create_model, ["optimizer", "units"])


def test_a_required_keyword_must_be_a_hyperparameter():
    def build(units, layers):
        return tiny(units)

    with pytest.raises(ArgumentError, match=r"requires 'layers'"):
        check_builder(build, ["units"])


def test_a_required_keyword_set_only_in_some_trials_is_refused():
    def build(optimizer="adam", momentum=None, decay=...):
        return tiny()

    def needs(optimizer, momentum):
        return tiny()

    conditions = {"optimizer": {}, "momentum": {"optimizer": ("sgd",)}}
    check_builder(build, ["optimizer", "momentum"], conditional=conditions)  # a default covers inactive trials
    with pytest.raises(ArgumentError, match=r"requires 'momentum', but the space sets it only when .*'sgd'.*"
                                            r"momentum=\.\.\."):
        check_builder(needs, ["optimizer", "momentum"], conditional=conditions)


def test_a_builder_declaring_its_keys_refuses_others():
    from kerashp.builders import cnn, mlp

    check_builder(mlp, ["units", "layers", "dropout", "l2", "activation", "learning_rate", "nesterov", "epochs"])
    with pytest.raises(ArgumentError, match=r"'kernel_size' would reach nothing: mlp\(\) reads"):
        check_builder(mlp, ["units", "kernel_size"])
    check_builder(cnn, ["kernel_size", "filters", "conv_layers"])


def test_a_dict_builder_whose_other_parameters_are_in_the_space_is_refused():
    def build(units, optimizer="adam"):
        return tiny()

    with pytest.raises(ArgumentError, match=r"'optimizer' in the space would not reach its parameter"):
        check_builder(build, ["units", "optimizer"])


def test_a_builder_with_positional_only_parameters_is_refused():
    def build(a, b, /):
        return tiny()

    with pytest.raises(ArgumentError, match="positional-only"):
        describe_builder(build)


def test_a_compile_key_a_compiling_builder_ignores_stops_the_build():
    def build(units=4):
        return tiny(units, compiled=True)

    with pytest.raises(InvalidModelError, match=r"'learning_rate'.*learning_rate=0\.05 would be silently ignored"):
        call_builder(build, {"units": 4, "learning_rate": 0.05})
    # returned uncompiled, the compile keys compile it (ensure_compiled)
    model = call_builder(lambda units=4: tiny(units), {"units": 4, "learning_rate": 0.05})
    assert not model.compiled
    # a builder that takes the key uses it itself
    model = call_builder(lambda lr=0.01: tiny(compiled=True, lr=lr), {"lr": 0.05})
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)


def test_a_single_hp_parameter_with_a_default_still_gets_the_dict():
    def build(hp=None):
        return hp

    call = describe_builder(build)
    assert not call.keywords
    assert call_builder(build, {"units": 8}) == {"units": 8}
