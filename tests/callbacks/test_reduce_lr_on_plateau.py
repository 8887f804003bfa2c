"""ReduceLROnPlateau alone, on top of a kerashp schedule, and on a Keras schedule."""

from __future__ import annotations

import copy
import math

import keras
import numpy as np
import pytest
from fit_sizes import STEPS

from kerashp.callbacks import ReduceLROnPlateau, ScaledSchedule, StepDecay, WarmupCosine

# patience=2: epochs 0 and 1 improve, 2 and 3 do not -> reduce at the end of epoch 3;
# epoch 4 improves, epoch 5 does not (wait 1 < 2).
METRIC = [3.0, 2.0, 2.0, 2.0, 1.0, 1.0]


def test_plateau_scales_a_running_warmup_cosine(make_model, fit, recorder, inject):
    epochs = len(METRIC)
    total = epochs * STEPS
    callbacks = [
        WarmupCosine(0.2, warmup_epochs=1, min_lr=0.02),
        inject("fake_loss", METRIC),
        ReduceLROnPlateau("fake_loss", factor=0.5, patience=2),
        recorder,
    ]
    history = fit(make_model(), callbacks, epochs)
    want = []
    for t in range(total):
        base = (
            0.2 * t / STEPS
            if t < STEPS
            else 0.02 + 0.18 * (1 + math.cos(math.pi * (t - STEPS) / (total - STEPS))) / 2
        )
        scale = 0.5 if t >= 4 * STEPS else 1.0
        want.append(base * scale)
    np.testing.assert_allclose(recorder.lrs, want, rtol=1e-6)
    # Visibly: the first step of epoch 4 is half of what the schedule alone gives there.
    unscaled = 0.02 + 0.18 * (1 + math.cos(math.pi * 3 * STEPS / (total - STEPS))) / 2
    assert recorder.lrs[4 * STEPS] == pytest.approx(unscaled / 2)
    assert callbacks[2].scale == pytest.approx(0.5)
    assert len(history.history["learning_rate"]) == epochs


def test_plateau_scales_step_decay_whatever_the_callback_order(make_model, fit, recorder, inject):
    callbacks = [
        inject("fake_loss", METRIC),
        ReduceLROnPlateau("fake_loss", factor=0.1, patience=2),
        StepDecay(0.4, factor=0.5, every_epochs=2),
        recorder,
    ]
    fit(make_model(), callbacks, len(METRIC))
    want = [
        0.4 * 0.5 ** (t // (2 * STEPS)) * (0.1 if t >= 4 * STEPS else 1.0)
        for t in range(len(METRIC) * STEPS)
    ]
    np.testing.assert_allclose(recorder.lrs, want, rtol=1e-6)


def test_plateau_alone_with_cooldown_and_min_lr(make_model, fit, recorder, inject):
    flat = [1.0] * 6
    cb = ReduceLROnPlateau("fake_loss", factor=0.5, patience=1, cooldown=2, min_lr=0.03)
    fit(make_model(keras.optimizers.SGD(0.1)), [inject("fake_loss", flat), cb, recorder], 6)
    # As in Keras, the cooldown counter is decremented before it is checked, so
    # cooldown=2 skips one epoch: e0 best; e1 -> 0.05; e2 cooling; e3 -> max(0.025, 0.03);
    # e4 cooling; e5 already at min_lr.
    per_epoch = [0.1, 0.1, 0.05, 0.05, 0.03, 0.03]
    np.testing.assert_allclose(recorder.lrs, np.repeat(per_epoch, STEPS), rtol=1e-6)


@pytest.mark.parametrize(
    "metric, kwargs",
    [
        ([1.0, 0.9, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85], {"patience": 1}),
        ([1.0] * 8, {"patience": 0, "cooldown": 1, "min_lr": 0.01}),
        ([1.0, 0.99995, 0.9, 0.9, 0.9, 0.7, 0.7, 0.7], {"patience": 1, "cooldown": 3}),
    ],
)
def test_plateau_alone_matches_keras(make_model, fit, recorder, inject, metric, kwargs):
    """Alone, on a float rate, the sequence of rates is the one Keras's own callback gives."""
    rates = {}
    for name, cls in [("keras", keras.callbacks.ReduceLROnPlateau), ("ours", ReduceLROnPlateau)]:
        cb = cls("fake_loss", factor=0.5, mode="min", **kwargs)
        fit(
            make_model(keras.optimizers.SGD(0.1)),
            [inject("fake_loss", metric), cb, recorder],
            len(metric),
        )
        rates[name] = recorder.lrs
    np.testing.assert_allclose(rates["ours"], rates["keras"], rtol=1e-6)
    assert min(rates["ours"]) < 0.1  # the case did reduce


def test_plateau_max_mode_inferred_from_name(make_model, fit, recorder, inject):
    acc = [0.5, 0.6, 0.6, 0.7]  # epoch 2 does not improve -> reduce after it
    cb = ReduceLROnPlateau("val_accuracy", factor=0.5, patience=1)
    fit(make_model(keras.optimizers.SGD(0.1)), [inject("val_accuracy", acc), cb, recorder], 4)
    np.testing.assert_allclose(recorder.lrs, np.repeat([0.1, 0.1, 0.1, 0.05], STEPS), rtol=1e-6)


def test_keras_plateau_raises_where_ours_scales_a_keras_schedule(make_model, fit, recorder, inject):
    def schedule():
        return keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5)

    with pytest.raises(TypeError):
        fit(
            make_model(keras.optimizers.SGD(schedule())),
            [
                inject("fake_loss", [1.0] * 3),
                keras.callbacks.ReduceLROnPlateau("fake_loss", mode="min", patience=0),
            ],
            3,
        )

    metric = [1.0, 1.0, 1.0]  # patience 1 -> reduce after epochs 1 and 2
    model = make_model(keras.optimizers.SGD(schedule()))
    plateau = ReduceLROnPlateau("fake_loss", factor=0.5, patience=1)
    fit(model, [inject("fake_loss", metric), plateau, recorder], 3)
    want = [0.1 * 0.5 ** (t / 4) * (0.5 if t >= 2 * STEPS else 1.0) for t in range(3 * STEPS)]
    np.testing.assert_allclose(recorder.lrs, want, rtol=1e-5)
    wrapper = model.optimizer._learning_rate
    assert isinstance(wrapper, ScaledSchedule)
    # The optimizer (with the wrapper) still serializes and comes back.
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(model.optimizer))
    assert isinstance(restored._learning_rate, ScaledSchedule)
    # Reduced after epochs 1 and 2 (the second reduction shows only after the fit).
    assert float(restored._learning_rate.scale) == pytest.approx(0.25)
    # Reused (or deep-copied, as keras-tuner does) on the same optimizer: wrapped once,
    # scale back to 1 at the start of the fit.
    fit(model, [inject("fake_loss", [1.0]), copy.deepcopy(plateau), recorder], 1)
    assert model.optimizer._learning_rate is wrapper
    want = [0.1 * 0.5 ** (t / 4) for t in range(3 * STEPS, 4 * STEPS)]
    np.testing.assert_allclose(recorder.lrs, want, rtol=1e-5)


def test_wrapped_keras_schedule_reaches_the_compiled_update(make_model, fit, inject):
    def train(eager):
        keras.utils.set_random_seed(3)
        lr = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5)
        model = make_model(keras.optimizers.SGD(lr), run_eagerly=eager)
        fit(model, [], 1)  # the train step is traced before the wrapper exists
        fit(
            model,
            [
                inject("fake_loss", [1.0] * 4),
                ReduceLROnPlateau("fake_loss", factor=0.01, patience=0),
            ],
            4,
        )
        return model.get_weights()[0]

    np.testing.assert_allclose(train(eager=False), train(eager=True), rtol=1e-4, atol=1e-6)


def test_plateau_reused_across_fits_starts_fresh(make_model, fit, recorder, inject):
    cb = ReduceLROnPlateau("fake_loss", factor=0.5, patience=0)
    model = make_model(keras.optimizers.SGD(0.1))
    fit(model, [WarmupCosine(total_steps=100), inject("fake_loss", [1.0, 1.0]), cb], 2)
    assert cb.scale == pytest.approx(0.5)
    fit(model, [WarmupCosine(total_steps=100), inject("fake_loss", [1.0]), cb, recorder], 1)
    assert recorder.lrs[0] == pytest.approx(0.1)  # scale back to 1, schedule from 0.1
    assert cb.scale == 1.0
