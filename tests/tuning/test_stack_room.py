"""A trial's calls run in a frame-stack chunk of their own, so that a loop deep
in a search's stack does not map and unmap a chunk at every call (CPython
issue 142183; kerashp.tuning.stack_room)."""

from __future__ import annotations

import resource
import sys

import keras
import pytest

import kerashp as khp
from kerashp.tuning import stack_room
from kerashp.tuning.stack_room import with_room

CALLS = 2000


def leaf(x):
    a = b = c = d = x  # a frame of a few slots
    return a + b + c + d


def loop():
    for i in range(CALLS):
        leaf(i)


def roomy_loop():
    with_room(loop)


def at_depth(depth, fn):
    return fn() if depth == 0 else at_depth(depth - 1, fn)


def page_faults(fn, *args) -> int:
    before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
    fn(*args)
    return resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - before


def test_a_loop_at_a_chunk_boundary_stops_faulting_a_page_a_call_with_room():
    # the callers' depths at which each call of the loop crosses into a new chunk: a fresh page each time
    crossing = [depth for depth in range(400) if page_faults(at_depth, depth, loop) >= CALLS]
    if not crossing:
        pytest.skip(f"Python {sys.version.split()[0]} keeps a spare stack chunk: no depth maps one a call")
    faults = [page_faults(at_depth, depth, roomy_loop) for depth in range(400)]
    assert max(faults) < CALLS // 10, [depth for depth, n in enumerate(faults) if n >= CALLS // 10]


def test_with_room_passes_arguments_results_and_errors_through():
    assert with_room(lambda a, b: divmod(a, b), 7, b=2) == (3, 1)
    with pytest.raises(ZeroDivisionError):
        with_room(divmod, 1, 0)


#: Per fit that a `CallerFrames` saw begin: whether it ran under `with_room`
#: (a module's list: kerashp's estimators fit a copy of each callback).
SEEN: list[bool] = []


class CallerFrames(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        frame, codes = sys._getframe(), set()
        while frame is not None:
            codes.add(frame.f_code)
            frame = frame.f_back
        SEEN.append(stack_room._call.__code__ in codes)


def test_a_trials_build_and_fit_run_with_room(tmp_path, eager_mlp, digits_small):
    SEEN.clear()
    x, y = digits_small
    khp.tune(eager_mlp, {"units": 8, "epochs": 1, "batch_size": 128}, data=(x[:100], y[:100]), max_trials=1,
             seed=0, verbose=0, callbacks=lambda hp: [CallerFrames()], run=khp.RunFolder(tmp_path, "r"))
    assert SEEN == [True]


@pytest.mark.slow  # a traced fit: over the fast tier's CPU under load
def test_a_scikit_learn_estimators_fit_runs_with_room(digits_small):
    SEEN.clear()
    x, y = digits_small
    khp.sklearn.KerasClassifier(epochs=1, batch_size=128, random_state=0, callbacks=[CallerFrames()]).fit(
        x[:100], y[:100])
    assert SEEN == [True]
