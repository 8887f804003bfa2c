"""TimeBudget stops cleanly once the budget is spent and says so."""

from __future__ import annotations

import time

import keras

from kerashp.callbacks import TimeBudget


class SlowBatches(keras.callbacks.Callback):
    """Sleeps after each batch and records when each batch ended."""

    def on_train_begin(self, logs=None):
        self.start, self.ends = time.monotonic(), []

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(0.03)
        self.ends.append(time.monotonic() - self.start)


def test_stops_at_the_first_batch_past_the_budget(make_model, fit):
    model = make_model()
    fit(model, [], epochs=1)  # trace the train step first, so batches are quick
    slow, budget = SlowBatches(), TimeBudget(0.3)
    history = fit(model, [slow, budget], epochs=50)
    assert budget.timed_out and budget.elapsed >= 0.3
    # Checked after every batch: at most one batch ends past the budget. (`slow`'s
    # clock starts first, so it reads a little ahead of the budget's; the stop may
    # also come at the epoch-end check just after the last batch.)
    assert sum(end >= 0.3 for end in slow.ends) <= 1
    assert 1 < len(history.history["loss"]) < 50  # stopped mid-run, epochs ended cleanly


def test_not_spent_and_reusable(make_model, fit):
    budget = TimeBudget(0.05)
    fit(make_model(), [SlowBatches(), budget], epochs=20)
    assert budget.timed_out
    budget.seconds = 60
    history = fit(make_model(), [budget], epochs=2)
    assert not budget.timed_out and len(history.history["loss"]) == 2
