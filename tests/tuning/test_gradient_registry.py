"""A finished trial's traced train step goes with its model: TensorFlow's
gradient registry otherwise keeps every traced step alive for the life of the
process (kerashp.tuning.gradient_registry)."""

from __future__ import annotations

import gc

import pytest
import tensorflow as tf
from tensorflow.python.framework import func_graph, ops

import kerashp as khp
from kerashp.tuning.gradient_registry import PREFIX, released_with


def custom_gradients() -> set[str]:
    return {name for name in ops._gradient_registry._registry if name.startswith(PREFIX)}


def traced_steps() -> int:
    return sum(isinstance(o, func_graph.FuncGraph) for o in gc.get_objects())


def trace_a_custom_gradient() -> None:
    @tf.custom_gradient
    def doubled(x):
        return 2 * x, lambda upstream: 2 * upstream

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = doubled(x)
        return tape.gradient(y, x)

    step(tf.constant(1.0))


class Owner:
    pass


def test_what_a_block_registers_is_removed_when_its_owner_is_collected():
    before = custom_gradients()
    owner = Owner()
    with released_with(owner):
        trace_a_custom_gradient()
    added = custom_gradients() - before
    assert added  # TensorFlow registered one while tracing
    gc.collect()
    assert added <= custom_gradients()  # kept while the owner lives
    del owner
    gc.collect()
    assert not added & custom_gradients()


@pytest.mark.slow  # a traced fit (an eager one registers nothing): over the fast tier's CPU under load
def test_a_search_leaves_no_traced_step_of_its_trials_behind(tmp_path, digits_small):
    x, y = digits_small
    gc.collect()
    before, steps = custom_gradients(), traced_steps()
    result = khp.tune(khp.builders.mlp, {"units": khp.Int(8, 32), "epochs": 1, "batch_size": 128},
                      data=(x[:150], y[:150]), algorithm="random", max_trials=1, seed=0, verbose=0,
                      run=khp.RunFolder(directory=tmp_path, name="r"))
    assert len(result.records) == 1
    del result
    gc.collect()
    gc.collect()  # the models, then the graphs their entries held
    assert custom_gradients() <= before
    assert traced_steps() <= steps


@pytest.mark.slow  # a traced fit, as above
def test_a_scikit_learn_estimator_fitted_and_dropped_leaves_no_traced_step_behind(digits_small):
    x, y = digits_small
    gc.collect()
    before, steps = custom_gradients(), traced_steps()
    estimator = khp.sklearn.KerasClassifier(epochs=1, batch_size=128, random_state=0).fit(x[:150], y[:150])
    assert custom_gradients() - before  # its fit registered some
    del estimator  # what a scikit-learn search does with each clone it fitted
    gc.collect()
    gc.collect()
    assert custom_gradients() <= before
    assert traced_steps() <= steps
