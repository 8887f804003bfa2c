"""Each schedule's rate, read back from the optimizer before every step of a real fit,
against the closed-form formula written out here."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from conftest import STEPS

from kerashp.callbacks import (
    CyclicLR,
    ExponentialDecay,
    OneCycle,
    Schedule,
    StepDecay,
    WarmupCosine,
)

EPOCHS = 3
TOTAL = EPOCHS * STEPS  # 12 steps


def expected_warmup_cosine(t, peak, warmup, total, floor):
    if t < warmup:
        return peak * (t + 1) / warmup
    p = min(1.0, (t - warmup) / (total - 1 - warmup))
    return floor + (peak - floor) * (1 + math.cos(math.pi * p)) / 2


def test_warmup_cosine_ramp_and_floor(make_model, fit, recorder):
    fit(make_model(), [WarmupCosine(0.2, warmup_epochs=1, min_lr=0.01), recorder], EPOCHS)
    want = [expected_warmup_cosine(t, 0.2, STEPS, TOTAL, 0.01) for t in range(TOTAL)]
    np.testing.assert_allclose(recorder.lrs, want, rtol=1e-6)
    # Spelled out: the ramp is 0.05, 0.1, 0.15, 0.2 and the last step sits on the floor.
    np.testing.assert_allclose(recorder.lrs[:4], [0.05, 0.1, 0.15, 0.2], rtol=1e-6)
    assert recorder.lrs[-1] == pytest.approx(0.01)


def test_warmup_cosine_defaults_to_compiled_rate_and_steps(make_model, fit, recorder):
    model = make_model(keras.optimizers.SGD(0.3))
    fit(model, [WarmupCosine(warmup_steps=2, total_steps=6), recorder], EPOCHS)
    want = [0.15, 0.3] + [0.3 * (1 + math.cos(math.pi * min(1, k / 3))) / 2 for k in range(10)]
    np.testing.assert_allclose(recorder.lrs, want, rtol=1e-6, atol=1e-9)
    # A second fit starts again from the compiled 0.3, not from where the first ended.
    fit(model, [WarmupCosine(warmup_steps=2, total_steps=6), recorder], 1)
    assert recorder.lrs[1] == pytest.approx(0.3)


def test_one_cycle_phases_and_momentum(make_model, fit, recorder):
    max_lr, div, final_div = 0.1, 10.0, 100.0
    model = make_model(keras.optimizers.Adam(0.001))
    cb = OneCycle(
        max_lr,
        pct_start=0.25,
        div_factor=div,
        final_div_factor=final_div,
        base_momentum=0.8,
        max_momentum=0.9,
    )
    history = fit(model, [cb, recorder], EPOCHS)
    last = TOTAL - 1
    up = 0.25 * last  # 2.75: steps 0..2 rise, 3..11 fall

    def cos_anneal(a, b, p):
        return b + (a - b) * (1 + math.cos(math.pi * p)) / 2

    lrs, moms = [], []
    for t in range(TOTAL):
        if t <= up:
            p = t / up
            lrs.append(cos_anneal(max_lr / div, max_lr, p))
            moms.append(cos_anneal(0.9, 0.8, p))
        else:
            p = (t - up) / (last - up)
            lrs.append(cos_anneal(max_lr, max_lr / div / final_div, p))
            moms.append(cos_anneal(0.8, 0.9, p))
    np.testing.assert_allclose(recorder.lrs, lrs, rtol=1e-5)
    np.testing.assert_allclose(recorder.beta_1s, moms, rtol=1e-6)
    assert recorder.lrs[0] == pytest.approx(0.01) and recorder.lrs[-1] == pytest.approx(1e-4)
    assert history.history["momentum"][-1] == pytest.approx(0.9)
    # After the fit the optimizer's beta_1 is a float again (serializable config).
    assert isinstance(model.optimizer.beta_1, float)
    keras.optimizers.Adam.from_config(model.optimizer.get_config())


def test_one_cycle_momentum_reaches_the_compiled_update(make_model, data, fit):
    """Cycling beta_1 changes training exactly as an eager run that sets the float does."""

    def train(eager):
        keras.utils.set_random_seed(7)
        model = make_model(keras.optimizers.Adam(0.01), run_eagerly=eager)
        fit(model, [], 1)  # trace the train step first: a frozen float would show here
        fit(model, [OneCycle(0.05, total_steps=8, base_momentum=0.5, max_momentum=0.99)], 2)
        return model.get_weights()[0]

    np.testing.assert_allclose(train(eager=False), train(eager=True), rtol=1e-4, atol=1e-6)


def test_one_cycle_linear_and_sgd_momentum_limits(make_model, fit, recorder):
    sgd = keras.optimizers.SGD(0.1, momentum=0.9)
    fit(make_model(sgd), [OneCycle(0.1, total_steps=5, anneal="linear"), recorder], 2)
    # linear: 0.004 -> 0.1 over u = 0.3 * 4 = 1.2 steps, then down to 4e-7 at step 4.
    want = [0.004, 0.004 + (0.1 - 0.004) / 1.2]
    want += [0.1 + (4e-7 - 0.1) * min(1, (t - 1.2) / 2.8) for t in range(2, 8)]
    np.testing.assert_allclose(recorder.lrs, want, rtol=1e-5)
    assert sgd.momentum == 0.9  # compiled SGD: momentum left alone with cycle_momentum=None
    with pytest.raises(ValueError, match="cannot cycle the momentum of SGD"):
        fit(make_model(keras.optimizers.SGD(0.1, momentum=0.9)), [OneCycle(cycle_momentum=True)], 1)


def test_one_cycle_sgd_momentum_when_eager(make_model, fit):
    sgd = keras.optimizers.SGD(0.1, momentum=0.9)
    seen = []

    class Spy(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(sgd.momentum)

    cb = OneCycle(total_steps=4, pct_start=0.5, base_momentum=0.8, max_momentum=0.9)
    fit(make_model(sgd, run_eagerly=True), [cb, Spy()], 1)
    # u = 1.5: steps 0, 1 fall from 0.9 towards 0.8; steps 2, 3 rise back to 0.9.
    want = [0.9, 0.8 + 0.1 * (1 + math.cos(math.pi / 1.5)) / 2]
    want += [0.8 + 0.1 * (1 - math.cos(math.pi * (t - 1.5) / 1.5)) / 2 for t in (2, 3)]
    np.testing.assert_allclose(seen, want, rtol=1e-6)


def test_step_decay_boundaries(make_model, fit, recorder):
    fit(make_model(), [StepDecay(0.4, factor=0.5, every_steps=5), recorder], EPOCHS)
    want = [0.4 * 0.5 ** (t // 5) for t in range(TOTAL)]
    np.testing.assert_allclose(recorder.lrs, want, rtol=1e-6)
    assert recorder.lrs[4] == pytest.approx(0.4) and recorder.lrs[5] == pytest.approx(0.2)


def test_step_decay_in_epochs_with_floor(make_model, fit, recorder):
    fit(make_model(), [StepDecay(0.4, factor=0.1, every_epochs=1, min_lr=0.01), recorder], EPOCHS)
    want = [max(0.01, 0.4 * 0.1 ** (t // STEPS)) for t in range(TOTAL)]
    np.testing.assert_allclose(recorder.lrs, want, rtol=1e-6)


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay(make_model, fit, recorder, staircase):
    fit(
        make_model(),
        [ExponentialDecay(0.2, decay_rate=0.5, decay_steps=3, staircase=staircase), recorder],
        EPOCHS,
    )
    want = [0.2 * 0.5 ** ((t // 3) if staircase else (t / 3)) for t in range(TOTAL)]
    np.testing.assert_allclose(recorder.lrs, want, rtol=1e-6)


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_modes(make_model, fit, recorder, mode):
    base, top, half, gamma = 0.01, 0.1, 2, 0.9
    fit(
        make_model(),
        [CyclicLR(base, top, step_size_steps=half, mode=mode, gamma=gamma), recorder],
        EPOCHS,
    )
    # Written as the triangle wave: up for `half` steps, down for `half` steps.
    want = []
    for t in range(TOTAL):
        cycle_index, pos = divmod(t, 2 * half)
        height = pos / half if pos <= half else (2 * half - pos) / half
        amplitude = {"triangular": 1.0, "triangular2": 0.5**cycle_index, "exp_range": gamma**t}[
            mode
        ]
        want.append(base + (top - base) * height * amplitude)
    np.testing.assert_allclose(recorder.lrs, want, rtol=1e-6)


def test_schedule_user_function(make_model, fit, recorder):
    cb = Schedule(lambda epoch, step: 0.1 / (1 + epoch) + 0.001 * step)
    fit(make_model(), [cb, recorder], EPOCHS)
    want = [0.1 / (1 + t // STEPS) + 0.001 * t for t in range(TOTAL)]
    np.testing.assert_allclose(recorder.lrs, want, rtol=1e-6)
    with pytest.raises(ValueError, match="must return a finite number >= 0"):
        fit(make_model(), [Schedule(lambda epoch, step: -1.0)], 1)


@pytest.mark.parametrize(
    "make",
    [
        lambda: WarmupCosine(0.2, warmup_epochs=2, min_lr=0.001),
        lambda: OneCycle(0.1),
        lambda: CyclicLR(0.01, 0.1, step_size_epochs=2, mode="triangular2"),
    ],
)
def test_resumed_fit_continues_the_schedule(make_model, fit, recorder, make):
    """Hyperband's promotion: fit(epochs=9, initial_epoch=3) after 3 epochs."""
    full = make_model(keras.optimizers.Adam(0.01))
    fit(full, [make(), recorder], epochs=9)
    full_lrs = recorder.lrs

    resumed = make_model(keras.optimizers.Adam(0.01))
    fit(resumed, [make()], epochs=3)
    fit(resumed, [make(), recorder], epochs=9, initial_epoch=3)
    assert recorder.positions[0] == (3, 0)
    np.testing.assert_allclose(recorder.lrs, full_lrs[3 * STEPS :], rtol=1e-6)


def test_learning_rate_lands_in_history(make_model, fit):
    history = fit(make_model(), [StepDecay(0.4, factor=0.5, every_epochs=1)], EPOCHS)
    np.testing.assert_allclose(history.history["learning_rate"], [0.4, 0.2, 0.1], rtol=1e-6)


def test_variable_learning_rate_is_assigned_not_replaced(make_model, fit):
    model = make_model(keras.optimizers.SGD(0.1))
    variable = model.optimizer._learning_rate
    fit(model, [StepDecay(0.4, factor=0.5, every_epochs=1)], 2)
    assert model.optimizer._learning_rate is variable
    assert float(variable.numpy()) == pytest.approx(0.2)


def test_schedules_refuse_keras_schedules(make_model, fit):
    lr = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)
    with pytest.raises(ValueError, match="Compile it with a float `learning_rate` instead"):
        fit(make_model(keras.optimizers.SGD(lr)), [WarmupCosine()], 1)
