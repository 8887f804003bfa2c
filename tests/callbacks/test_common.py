"""What every callback promises: argument checks, config, deep copies, plain fits,
custom training loops, and a cheap `import kerashp`."""

from __future__ import annotations

import copy

import keras
import numpy as np
import pytest
from fit_sizes import STEPS

import kerashp.callbacks as khc
from kerashp.exceptions import ArgumentError

ALL = [
    lambda: khc.EarlyStopping(monitor="loss", patience=2),
    lambda: khc.WarmupCosine(0.05, warmup_steps=2, min_lr=0.001, start_factor=0.1),
    lambda: khc.OneCycle(0.05),
    lambda: khc.StepDecay(0.05, every_steps=3),
    lambda: khc.ExponentialDecay(0.05, decay_rate=0.8),
    lambda: khc.CyclicLR(0.01, 0.05, step_size_steps=2, mode="exp_range", gamma=0.99),
    lambda: khc.Schedule(lambda epoch, step: 0.05),
    lambda: khc.ReduceLROnPlateau(monitor="loss", patience=1),
    lambda: khc.LRFinder(1e-3, 0.1, num_steps=5),
    lambda: khc.TimeBudget(30),
]


@pytest.mark.parametrize("make", ALL)
def test_config_round_trip_and_deepcopy_after_fit(make, make_model, fit):
    cb = make()
    clone = type(cb).from_config(cb.get_config())
    assert clone.get_config() == cb.get_config()
    model = make_model()
    fit(model, [cb], 2)
    copied = copy.deepcopy(cb)  # keras-tuner copies callbacks per trial
    assert copied.get_config() == cb.get_config()
    assert copied.model is None and cb.model is model  # the model is not copied
    fit(make_model(), [copied], 1)  # and the copy works


@pytest.mark.parametrize("make", ALL)
def test_every_callback_in_a_custom_training_loop(make, make_model, data):
    """A hand-written loop that calls the hooks itself, as Keras's fit would."""
    x, y = data
    model = make_model(keras.optimizers.SGD(0.05))
    model.optimizer.build(model.trainable_variables)
    cb = make()
    cb.set_model(model)
    cb.set_params({"epochs": 2, "steps": STEPS, "verbose": 0})
    lrs = []
    cb.on_train_begin()
    for epoch in range(2):
        cb.on_epoch_begin(epoch)
        for batch in range(STEPS):
            cb.on_train_batch_begin(batch)
            lrs.append(float(model.optimizer.learning_rate))
            xb, yb = x[batch * 16 : (batch + 1) * 16], y[batch * 16 : (batch + 1) * 16]
            logs = {"loss": float(model.train_on_batch(xb, yb))}
            cb.on_train_batch_end(batch, logs)
        cb.on_epoch_end(epoch, {"loss": logs["loss"]})
        if model.stop_training:
            break
    cb.on_train_end()
    assert all(np.isfinite(lrs)) and all(lr > 0 for lr in lrs)


def test_custom_loop_schedule_values(make_model, data):
    """StepDecay in a custom loop: the same closed form as in fit."""
    model = make_model(keras.optimizers.SGD(0.05))
    cb = khc.StepDecay(0.4, factor=0.5, every_steps=3)
    cb.set_model(model)
    cb.set_params({"epochs": 2, "steps": STEPS})
    cb.on_train_begin()
    lrs = []
    for epoch in range(2):
        cb.on_epoch_begin(epoch)
        for batch in range(STEPS):
            cb.on_train_batch_begin(batch)
            lrs.append(float(model.optimizer.learning_rate))
            cb.on_train_batch_end(batch, {})
    np.testing.assert_allclose(lrs, [0.4 * 0.5 ** (t // 3) for t in range(8)], rtol=1e-6)


def test_whole_fit_horizon_needs_params_in_custom_loop(make_model):
    cb = khc.WarmupCosine()
    cb.set_model(make_model())
    with pytest.raises(ValueError, match="steps per epoch"):
        cb.on_train_begin()


def test_callable_learning_rate_is_refused_clearly(make_model, fit):
    """Keras 3 makes a float rate a variable (assigned in place, see test_schedules);
    a plain callable rate cannot be set or scaled, and says so."""
    for cb in (khc.StepDecay(0.4, every_steps=2), khc.ReduceLROnPlateau("loss")):
        with pytest.raises(ValueError, match="a schedule or a callable|plain callable"):
            fit(make_model(keras.optimizers.SGD(lambda: 0.1)), [cb], 1)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: khc.WarmupCosine(warmup_epochs=-1),
            r"Argument `warmup_epochs` must be >= 0. Received: warmup_epochs=-1",
        ),
        (lambda: khc.WarmupCosine(warmup_epochs=1, warmup_steps=3), "Pass either `warmup_epochs`"),
        (lambda: khc.WarmupCosine(0.1, min_lr=0.2), "`min_lr` must be <= `learning_rate`"),
        (lambda: khc.WarmupCosine(learning_rate=0), r"`learning_rate` must be > 0"),
        (lambda: khc.WarmupCosine(total_steps=2.5), r"`total_steps` must be an integer"),
        (lambda: khc.WarmupCosine(start_factor=1.5), r"`start_factor` must be <= 1"),
        (lambda: khc.OneCycle(pct_start=1.5), r"`pct_start` must be <= 1. Received: pct_start=1.5"),
        (lambda: khc.OneCycle(anneal="exp"), r"`anneal` must be one of \['cos', 'linear'\]"),
        (lambda: khc.OneCycle(base_momentum=0.99), "`base_momentum` must be <= `max_momentum`"),
        (lambda: khc.StepDecay(factor=0.5), "One of `every_epochs` or `every_steps` is required"),
        (lambda: khc.StepDecay(factor=2, every_steps=1), r"`factor` must be <= 1"),
        (lambda: khc.ExponentialDecay(decay_rate=0), r"`decay_rate` must be > 0"),
        (lambda: khc.ExponentialDecay(staircase="yes"), "`staircase` must be a bool"),
        (lambda: khc.CyclicLR(0.1), "`max_lr` is required"),
        (lambda: khc.CyclicLR(0.1, 0.05, step_size_steps=2), "`base_lr` must be < `max_lr`"),
        (lambda: khc.CyclicLR(0.01, 0.1, step_size_steps=2, mode="sine"), "`mode` must be one of"),
        (lambda: khc.Schedule(0.1), "`fn` must be callable"),
        (lambda: khc.ReduceLROnPlateau(factor=1.0), r"`factor` must be < 1. Received: factor=1.0"),
        (lambda: khc.ReduceLROnPlateau(patience=-1), r"`patience` must be >= 0"),
        (lambda: khc.EarlyStopping(patience=1.5), r"`patience` must be an integer"),
        (lambda: khc.EarlyStopping(mode="up"), "`mode` must be one of"),
        (
            lambda: khc.EarlyStopping(restore_best_weights=1),
            "`restore_best_weights` must be a bool",
        ),
        (lambda: khc.EarlyStopping(start_from_epoch=-2), r"`start_from_epoch` must be >= 0"),
        (lambda: khc.LRFinder(min_lr=1.0, max_lr=0.1), "`max_lr` must be > `min_lr`"),
        (lambda: khc.LRFinder(num_steps=1), r"`num_steps` must be >= 2"),
        (lambda: khc.LRFinder(smoothing=1.0), r"`smoothing` must be < 1"),
        (lambda: khc.TimeBudget(0), r"Argument `seconds` must be > 0. Received: seconds=0"),
        (lambda: khc.TimeBudget(float("nan")), "`seconds` must be a number"),
    ],
)
def test_arguments_are_validated(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_warmup_longer_than_schedule_is_reported(make_model, fit):
    with pytest.raises(ValueError, match="warmup .* is longer than the whole schedule"):
        fit(make_model(), [khc.WarmupCosine(warmup_epochs=5)], 2)


def test_all_is_explicit():
    assert sorted(khc.__all__) == sorted(
        name for name in vars(khc) if not name.startswith("_") and name[0].isupper()
    )


def test_missing_monitor_warns_from_kerashp(make_model, fit):
    """The warning is attributed to kerashp, so pyproject's error filter would catch a stray one."""
    for cb in (khc.EarlyStopping("val_nothing"), khc.ReduceLROnPlateau("val_nothing")):
        with pytest.warns(UserWarning, match="`val_nothing` is not in the logs") as caught:
            fit(make_model(), [cb], 1)
        assert caught[0].filename.endswith((".py",)) and "kerashp" in caught[0].filename


def test_a_bad_callback_argument_is_an_argument_error_naming_it():
    cases = [
        (lambda: khc.CyclicLR(max_lr=None), "max_lr"),
        (lambda: khc.CyclicLR(base_lr=0.1, max_lr=0.01), "base_lr"),
        (lambda: khc.LRFinder(min_lr=1.0, max_lr=0.1), "max_lr"),
        (lambda: khc.LRFinder(smoothing=1.5), "smoothing"),
        (lambda: khc.Schedule(fn=3), "fn"),
    ]
    for make, name in cases:
        with pytest.raises(ArgumentError, match=f"`{name}`"):
            make()
