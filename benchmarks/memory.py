"""Resident memory over a long search: kerashp vs a plain Keras loop.

Each contender runs `--trials` one-epoch trials of kerashp's MLP (random
units and learning rate) on 400 digits, in its own process, and reads its
resident set size (VmRSS) after every trial. Reported: RSS after trial 10 and
after the last, and the growth per trial between them (MB), so start-up and
the first traces do not count.

- `kerashp`: `kerashp.tune(..., algorithm="random")`, as users run it.
- `kerashp_free`: the same, with `clear_session(free_memory=True)` before
  each build (Keras then also runs Python's garbage collector).
- `kerashp_worker`: `kerashp.tune(..., workers=1)`: the trials run in one
  worker process, replaced every `TRIALS_PER_PROCESS` trials; RSS is the
  chief's plus its worker's.
- `kerashp_kept`: `kerashp.tune` with each trial's traced steps left in
  TensorFlow's gradient registry, as before kerashp released them
  (`kerashp.tuning.gradient_registry`).
- `plain`: a Keras loop building and fitting the same models, with
  `clear_session()` before each, as Keras's docs advise for loops.

Each row also gives the wall time of the search (after imports) and the seconds Python's
garbage collector spent in them (timed with `gc.callbacks`): what the kept
graphs cost in time as a search goes on.

    python benchmarks/memory.py --trials 100 --repeats 2

prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile

CONTENDERS = ("plain", "kerashp", "kerashp_kept", "kerashp_free", "kerashp_worker")


def rss_mb(pid: str = "self") -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def tree_rss_mb() -> float:
    """This process's RSS plus that of the processes it started."""
    import os

    total = rss_mb()
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            if entry.isdigit() and parent == os.getpid():
                total += rss_mb(entry)
        except (OSError, ValueError, RuntimeError):
            continue
    return total


def space():
    import kerashp as khp

    return {"units": khp.Int(8, 128, log=True), "learning_rate": khp.Float(1e-3, 1e-2, log=True),
            "epochs": 1, "batch_size": 64}


def run(contender: str, trials: int, seed: int) -> list[float]:
    import numpy as np

    import kerashp as khp

    x, y = khp.datasets.load("digits")
    x, y = x[:400], y[:400]
    samples: list[float] = []
    if contender == "plain":
        import keras

        from kerashp.datasets import infer_spec, use_spec

        spec = infer_spec(x, y)
        rng = np.random.default_rng(seed)
        for _ in range(trials):
            keras.backend.clear_session()
            hp = {"units": int(np.exp(rng.uniform(np.log(8), np.log(128)))),
                  "learning_rate": float(np.exp(rng.uniform(np.log(1e-3), np.log(1e-2))))}
            with use_spec(spec):
                model = khp.builders.mlp(hp)
            model.fit(x[:320], y[:320], validation_data=(x[320:], y[320:]), epochs=1, batch_size=64, verbose=0)
            samples.append(rss_mb())
        return samples
    if contender == "kerashp_kept":
        import contextlib

        from kerashp.tuning import tuner

        tuner.released_with = lambda model: contextlib.nullcontext()
    if contender == "kerashp_free":
        from kerashp.tuning.tuner import SearchTuner

        SearchTuner.free_memory = True
    workers = 1 if contender == "kerashp_worker" else None
    measure = tree_rss_mb if workers else rss_mb
    with tempfile.TemporaryDirectory() as directory:
        khp.tune(
            khp.builders.mlp,
            space(),
            data=(x, y),
            algorithm="random",
            max_trials=trials,
            seed=seed,
            objective="val_accuracy",
            verbose=0,
            on_trial_end=lambda record: samples.append(measure()),
            run=khp.RunFolder(directory=directory, name="m"),
            execution=khp.Execution(workers=workers),
        )
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--contenders", nargs="*", default=list(CONTENDERS), choices=CONTENDERS)
    parser.add_argument("--child", nargs=3, metavar=("CONTENDER", "TRIALS", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        contender, trials, seed = args.child
        import gc
        import time

        spent = [0.0, 0.0]  # seconds in the collector, the start of the current collection

        def timer(phase: str, info: dict) -> None:
            if phase == "start":
                spent[1] = time.perf_counter()
            else:
                spent[0] += time.perf_counter() - spent[1]

        import keras  # noqa: F401 - imports outside the clock

        import kerashp  # noqa: F401

        gc.callbacks.append(timer)
        started = time.perf_counter()
        samples = run(contender, int(trials), int(seed))
        print(json.dumps({"rss": samples, "seconds": time.perf_counter() - started, "gc": spent[0]}))
        return
    rows: dict[str, list[tuple[float, ...]]] = {c: [] for c in args.contenders}
    for seed in range(args.repeats):
        for contender in args.contenders:
            out = subprocess.run([sys.executable, __file__, "--child", contender, str(args.trials), str(seed)],
                                 capture_output=True, text=True, check=True).stdout
            child = json.loads(out.strip().splitlines()[-1])
            samples = child["rss"]
            growth = (samples[-1] - samples[9]) / (len(samples) - 10)
            rows[contender].append((samples[9], samples[-1], growth, child["seconds"], child["gc"]))
            print(f"round {seed} {contender}: RSS {samples[9]:.0f} MB after trial 10, {samples[-1]:.0f} MB after "
                  f"trial {len(samples)}, {growth:.2f} MB/trial; {child['seconds']:.1f} s, of which "
                  f"{child['gc']:.1f} s collecting", file=sys.stderr)
    print(f"| contender | RSS after trial 10 (MB) | after trial {args.trials} (MB) | growth per trial (MB), "
          "median [rounds] | wall time (s) [rounds] | garbage collection (s) [rounds] |")
    print("|---|---|---|---|---|---|")
    for contender, values in rows.items():
        first, last, growth, seconds, collecting = (statistics.median(v[i] for v in values) for i in range(5))
        rounds = [", ".join(f"{v[i]:.{digits}f}" for v in values) for i, digits in ((2, 2), (3, 1), (4, 1))]
        print(f"| {contender} | {first:.0f} | {last:.0f} | {growth:.2f} [{rounds[0]}] | {seconds:.1f} [{rounds[1]}] "
              f"| {collecting:.1f} [{rounds[2]}] |")


if __name__ == "__main__":
    main()
