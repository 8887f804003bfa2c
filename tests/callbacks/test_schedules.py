"""Each schedule's rate, read back from the optimizer before every step of a real fit,
against the closed-form formula written out here."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from fit_sizes import STEPS

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


def torch_warmup_cosine(t, peak, warmup, total, floor, start_factor):
    """PyTorch's `SequentialLR([LinearLR(start_factor, total_iters=W),
    CosineAnnealingLR(T_max=T - W, eta_min=floor)], milestones=[W])` after `t` steps, 0 <= t < T.

    From the closed forms in torch/optim/lr_scheduler.py: LinearLR
    `base_lr * (start_factor + (end_factor - start_factor) * min(total_iters, last_epoch) / total_iters)`
    with end_factor 1; CosineAnnealingLR `eta_min + (base_lr - eta_min) * (1 + cos(pi * last_epoch / T_max)) / 2`;
    SequentialLR, at the milestone, sets the second scheduler to its epoch 0 and steps it
    from there, so its `last_epoch` is `t - W`.
    """
    if t < warmup:
        return peak * (start_factor + (1 - start_factor) * t / warmup)
    return floor + (peak - floor) * (1 + math.cos(math.pi * (t - warmup) / (total - warmup))) / 2


def keras_warmup_cosine(peak, warmup, total, floor, start_factor):
    """The same schedule as Keras's own `CosineDecay`, computed by Keras."""
    if warmup == 0:
        return keras.optimizers.schedules.CosineDecay(peak, total, alpha=floor / peak)
    return keras.optimizers.schedules.CosineDecay(
        start_factor * peak,
        decay_steps=total - warmup,
        alpha=floor / peak,
        warmup_target=peak,
        warmup_steps=warmup,
    )


@pytest.mark.parametrize(
    "warmup, total, floor, start_factor",
    [(4, 12, 0.01, 0.0), (3, 10, 0.02, 0.25), (0, 9, 0.0, 0.0), (5, 8, 0.05, 1.0)],
)
def test_warmup_cosine_is_pytorch_and_keras_schedule(
    make_model, fit, recorder, warmup, total, floor, start_factor
):
    peak = 0.2
    cb = WarmupCosine(
        peak, warmup_steps=warmup, total_steps=total, min_lr=floor, start_factor=start_factor
    )
    fit(make_model(), [cb, recorder], EPOCHS)  # 12 steps: past the end where total < 12
    torch_lrs = [
        torch_warmup_cosine(t, peak, warmup, total, floor, start_factor) for t in range(total)
    ]
    np.testing.assert_allclose(recorder.lrs[:total], torch_lrs, rtol=1e-6, atol=1e-9)
    keras_schedule = keras_warmup_cosine(peak, warmup, total, floor, start_factor)
    keras_lrs = [float(keras_schedule(t)) for t in range(TOTAL)]  # Keras holds the floor past T
    np.testing.assert_allclose(recorder.lrs, keras_lrs, rtol=1e-5, atol=1e-8)


def test_warmup_cosine_ramp_and_floor(make_model, fit, recorder):
    fit(make_model(), [WarmupCosine(0.2, warmup_epochs=1, min_lr=0.01), recorder], EPOCHS)
    want = [torch_warmup_cosine(t, 0.2, STEPS, TOTAL, 0.01, 0.0) for t in range(TOTAL)]
    np.testing.assert_allclose(recorder.lrs, want, rtol=1e-6)
    # Spelled out: the ramp is 0, 0.05, 0.1, 0.15, the peak 0.2 starts the decay at step 4,
    # and the floor would be reached at step 12, one past the last.
    np.testing.assert_allclose(recorder.lrs[:5], [0.0, 0.05, 0.1, 0.15, 0.2], rtol=1e-6, atol=1e-9)
    assert recorder.lrs[-1] == pytest.approx(0.01 + 0.19 * (1 + math.cos(math.pi * 7 / 8)) / 2)


def test_warmup_cosine_defaults_to_compiled_rate_and_steps(make_model, fit, recorder):
    model = make_model(keras.optimizers.SGD(0.3))
    fit(model, [WarmupCosine(warmup_steps=2, total_steps=6), recorder], EPOCHS)
    want = [0.0, 0.15] + [0.3 * (1 + math.cos(math.pi * min(1, k / 4))) / 2 for k in range(10)]
    np.testing.assert_allclose(recorder.lrs, want, rtol=1e-6, atol=1e-9)
    # A second fit starts again from the compiled 0.3, not from where the first ended.
    fit(model, [WarmupCosine(warmup_steps=2, total_steps=6), recorder], 1)
    assert recorder.lrs[2] == pytest.approx(0.3)


def torch_one_cycle(
    step,
    total,
    max_lr,
    *,
    pct_start=0.3,
    div=25.0,
    final_div=1e4,
    anneal="cos",
    base_momentum=0.85,
    max_momentum=0.95,
):
    """(rate, momentum) of PyTorch's `OneCycleLR(three_phase=False)` after `step` steps,
    0 <= step < total, as its `get_lr` computes them (torch/optim/lr_scheduler.py): two
    phases, ending at steps `pct_start * total - 1` and `total - 1`; the first phase whose
    end is at or past `step` (else the last one) anneals with
    `pct = (step - phase start) / (phase end - phase start)`, the first phase starting at 0."""

    def f(a, b, pct):
        if anneal == "cos":
            return b + (a - b) / 2 * (math.cos(math.pi * pct) + 1)
        return (b - a) * pct + a

    initial = max_lr / div
    phases = [
        (pct_start * total - 1, (initial, max_lr), (max_momentum, base_momentum)),
        (total - 1, (max_lr, initial / final_div), (base_momentum, max_momentum)),
    ]
    begin = 0.0
    for i, (end, lrs, moms) in enumerate(phases):
        if step <= end or i == len(phases) - 1:
            pct = (step - begin) / (end - begin)
            return f(*lrs, pct), f(*moms, pct)
        begin = end
    raise AssertionError("unreachable")


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
    torch = [
        torch_one_cycle(
            t,
            TOTAL,
            max_lr,
            pct_start=0.25,
            div=div,
            final_div=final_div,
            base_momentum=0.8,
            max_momentum=0.9,
        )
        for t in range(TOTAL)
    ]
    np.testing.assert_allclose(recorder.lrs, [lr for lr, _ in torch], rtol=1e-5)
    np.testing.assert_allclose(recorder.beta_1s, [m for _, m in torch], rtol=1e-6)
    # Spelled out: the rise ends at step 0.25 * 12 - 1 = 2, on the peak with the lowest
    # momentum; the last step, 11, is on max_lr / div / final_div.
    assert recorder.lrs[0] == pytest.approx(0.01) and recorder.lrs[2] == pytest.approx(0.1)
    assert recorder.beta_1s[2] == pytest.approx(0.8) and recorder.lrs[-1] == pytest.approx(1e-4)
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
    # linear: the rise ends at u = 0.3 * 5 - 1 = 0.5, so step 0 is its only step and
    # step 1 already falls: 0.1 -> 4e-7 over steps 0.5..4; steps 5..7 stay at 4e-7.
    torch = [torch_one_cycle(t, 5, 0.1, anneal="linear")[0] for t in range(5)]
    np.testing.assert_allclose(recorder.lrs[:5], torch, rtol=1e-5)
    want = [0.004] + [0.1 + (4e-7 - 0.1) * (t - 0.5) / 3.5 for t in range(1, 5)] + [4e-7] * 3
    np.testing.assert_allclose(recorder.lrs, want, rtol=1e-5)
    assert sgd.momentum == 0.9  # compiled SGD: momentum left alone with cycle_momentum=None
    with pytest.raises(ValueError, match="cannot cycle the momentum of SGD"):
        fit(make_model(keras.optimizers.SGD(0.1, momentum=0.9)), [OneCycle(cycle_momentum=True)], 1)


def test_one_cycle_rise_shorter_than_a_step(make_model, fit, recorder):
    """pct_start * T < 1: PyTorch's rise ends before step 0, which already falls."""
    cb = OneCycle(0.1, total_steps=5, pct_start=0.1, cycle_momentum=False)
    fit(make_model(), [cb, recorder], 1)
    torch = [torch_one_cycle(t, 5, 0.1, pct_start=0.1)[0] for t in range(4)]
    np.testing.assert_allclose(recorder.lrs, torch, rtol=1e-5)
    assert recorder.lrs[0] < 0.1
    # pct_start * T = 1: the rise ends at step 0, where PyTorch divides 0 by 0; OneCycle
    # starts on the peak, and the fall from there is PyTorch's.
    cb = OneCycle(0.1, total_steps=10, pct_start=0.1, cycle_momentum=False)
    fit(make_model(), [cb, recorder], 1)
    torch = [torch_one_cycle(t, 10, 0.1, pct_start=0.1)[0] for t in range(1, 4)]
    np.testing.assert_allclose(recorder.lrs, [0.1] + torch, rtol=1e-5)


def test_one_cycle_sgd_momentum_when_eager(make_model, fit):
    sgd = keras.optimizers.SGD(0.1, momentum=0.9)
    seen = []

    class Spy(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(sgd.momentum)

    cb = OneCycle(total_steps=4, pct_start=0.5, base_momentum=0.8, max_momentum=0.9)
    fit(make_model(sgd, run_eagerly=True), [cb, Spy()], 1)
    # u = 0.5 * 4 - 1 = 1: step 0 at 0.9, step 1 at 0.8; steps 2, 3 rise back over 1..3.
    np.testing.assert_allclose(seen, [0.9, 0.8, 0.85, 0.9], rtol=1e-6)


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
