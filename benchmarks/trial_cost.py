"""Where a trial's time goes outside its epochs, on digits with a 2x64 MLP.

Times each step a kerashp trial takes, over `--trials` fresh models (medians):
`clear_session`, build and compile, the first epoch (which traces the train
and test steps), each later epoch, the record write and the weight write
through the run store. The first epoch's excess over a later one is the
tracing cost a new model pays; a trial that ASHA lets go on pays it once.

    python benchmarks/trial_cost.py --trials 10
    python benchmarks/trial_cost.py --trials 10 --steps-per-execution 8   # Keras runs 8 batches a call
    python benchmarks/trial_cost.py --trials 10 --jit-compile true        # XLA (Keras's "auto": not on a CPU)
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--steps-per-execution", type=int, default=1)
    parser.add_argument("--jit-compile", choices=("auto", "true", "false"), default="auto")
    args = parser.parse_args()

    import keras

    import kerashp as khp
    from kerashp.storage.run_store import RunStore
    from kerashp.tuning import TrialRecord, TrialStatus

    prepared = khp.datasets.prepare("digits", seed=0)
    params = {"layers": 2, "units": 64, "activation": "relu", "learning_rate": 1e-3, "batch_size": 32}
    warm = khp.builders.mlp(params, spec=prepared.spec)
    warm.fit(*prepared.train, epochs=1, verbose=0)
    store = RunStore(tempfile.mkdtemp(), "cost")
    store.write_settings({"algorithm": "random"})
    steps: dict[str, list[float]] = {k: [] for k in
                                     ("clear_session", "build+compile", "first epoch", "later epoch",
                                      "record write", "weights write")}
    class Clock(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.t)

    for trial in range(args.trials):
        t = time.perf_counter()
        keras.backend.clear_session(free_memory=False)
        steps["clear_session"].append(time.perf_counter() - t)
        t = time.perf_counter()
        model = khp.builders.mlp(params, spec=prepared.spec)
        model.steps_per_execution = args.steps_per_execution  # read when the train step is first traced
        if args.jit_compile != "auto":
            model.jit_compile = args.jit_compile == "true"
        steps["build+compile"].append(time.perf_counter() - t)
        clock = Clock()
        model.fit(*prepared.train, validation_data=prepared.val, epochs=args.epochs, batch_size=32, verbose=0,
                  callbacks=[clock])
        steps["first epoch"].append(clock.times[0])
        steps["later epoch"].append(statistics.median(clock.times[1:]))
        record = TrialRecord(number=trial, trial_id=str(trial), status=TrialStatus.COMPLETED, params=params,
                             score=0.9, epochs=args.epochs, history={"val_accuracy": [0.9] * args.epochs})
        t = time.perf_counter()
        store.write_record(record)
        steps["record write"].append(time.perf_counter() - t)
        t = time.perf_counter()
        store.save_weights(model, str(trial))
        steps["weights write"].append(time.perf_counter() - t)
    print("| step | median (ms) | runs (ms) |")
    print("|---|---|---|")
    for name, values in steps.items():
        print(f"| {name} | {statistics.median(values) * 1000:.0f} | {', '.join(f'{v * 1000:.0f}' for v in values)} |")
    excess = statistics.median(steps["first epoch"]) - statistics.median(steps["later epoch"])
    print(f"\nfirst-epoch excess (tracing the train and test steps): {excess * 1000:.0f} ms per new model")


if __name__ == "__main__":
    main()
