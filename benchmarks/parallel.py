"""Parallel trials: kerashp with `workers=None` (one process), `1` and `2` (workers on Ray).

On the race's data, builder and space (`benchmarks/race.py`: digits, 1077
train / 360 validation / 360 test; six hyperparameters), each run in its own
process for a fixed wall-clock budget, start-up of the workers included:

- throughput: `algorithm="random"`, 5 epochs a trial (seeded: every contender
  trains the same configurations in the same order); trials and epochs per
  minute of the budget;
- the race: `algorithm="bohb"` (the default); time until a finished trial
  reached val accuracy 0.975 (a trial counts when the chief learns it
  finished, so this is later than the epoch that reached it; the budget if
  never), the best val accuracy at the budget, and the test accuracy of the
  chosen model.

    python benchmarks/parallel.py                       # 90 s each, seeds 0-2
    python benchmarks/parallel.py --budget 40 --seeds 0  # quick
    python benchmarks/parallel.py --modes throughput --epochs 20  # longer trials: start-up weighs less
    python benchmarks/parallel.py --modes throughput --contenders "one process,workers=2"

The worker contenders start a Ray cluster of this machine inside the budget
(`Execution(workers=N)`), and their worker processes.

prints every run and a Markdown table (median [seeds]) for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

CONTENDERS = {"one process": None, "workers=1": 1, "workers=2": 2}
TARGET = 0.975


def child(mode: str, workers: int | None, seed: int, budget: float, epochs: int) -> dict:
    import race

    import kerashp as khp

    x_train, y_train, x_val, y_val, x_test, y_test = race.load()
    ended: list[tuple[float, float, int]] = []  # (seconds, best val accuracy of the trial, epochs)
    options = {"algorithm": "random", "max_epochs": epochs} if mode == "throughput" else {"algorithm": "bohb"}
    with tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        result = khp.tune(
            race.build,
            race.kerashp_space(),
            data=(x_train, y_train, x_val, y_val),
            objective="val_accuracy",
            time_budget=budget,
            seed=seed,
            verbose=0,
            on_trial_end=lambda r: ended.append((time.monotonic() - started, max(r.history.get("val_accuracy") or [0]),
                                                 r.epochs or 0)),
            run=khp.RunFolder(directory=folder, name="p"),
            execution=khp.Execution(workers=workers),
            **options,
        )
        seconds = time.monotonic() - started
        test = float(result.best_model.evaluate(x_test, y_test, verbose=0)[1])
    reached = [t for t, acc, _ in ended if acc >= TARGET]
    return {"trials": len(ended), "epochs": sum(e for *_, e in ended), "seconds": seconds,
            "to_target": min(reached) if reached else budget, "best": max((a for _, a, _ in ended), default=0.0),
            "test": test}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=90.0)
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    parser.add_argument("--modes", nargs="+", choices=("throughput", "race"), default=["throughput", "race"])
    parser.add_argument("--epochs", type=int, default=5, help="epochs of a throughput trial")
    parser.add_argument("--contenders", default="one process,workers=1,workers=2",
                        help=f"comma-separated, of: {', '.join(CONTENDERS)}")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, workers, seed, budget, epochs = args.child
        workers = None if workers == "none" else int(workers)
        print("RESULT " + json.dumps(child(mode, workers, int(seed), float(budget), int(epochs))))
        return
    contenders = {label: CONTENDERS[label] for label in args.contenders.split(",")}
    runs: dict[tuple[str, str], list[dict]] = {}
    for seed in args.seeds:
        for mode in args.modes:
            for label, workers in contenders.items():
                out = subprocess.run([sys.executable, __file__, "--child", mode, str(workers).lower(), str(seed),
                                      str(args.budget), str(args.epochs)],
                                     capture_output=True, text=True, check=True).stdout
                run = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])
                runs.setdefault((mode, label), []).append(run)
                print(f"seed {seed} {mode:10s} {label:12s} " + json.dumps(run), flush=True)

    def cell(mode: str, label: str, key: str, per_minute: bool = False, fmt: str = "{:.1f}") -> str:
        if (mode, label) not in runs:
            return "-"
        values = [r[key] * 60 / args.budget if per_minute else r[key] for r in runs[(mode, label)]]
        return fmt.format(statistics.median(values)) + " [" + ", ".join(fmt.format(v) for v in values) + "]"

    print(f"\nbudget {args.budget:g} s, seeds {args.seeds}; median [each seed]\n")
    print(f"| run | trials/min (random, {args.epochs} epochs) | epochs/min | bohb: s to val acc 0.975 | "
          "bohb: best val acc | bohb: test acc |")
    print("|---|---|---|---|---|---|")
    for label in contenders:
        print(f"| {label} | {cell('throughput', label, 'trials', True)} | {cell('throughput', label, 'epochs', True)} "
              f"| {cell('race', label, 'to_target', fmt='{:.0f}')} | {cell('race', label, 'best', fmt='{:.4f}')} "
              f"| {cell('race', label, 'test', fmt='{:.4f}')} |")
    if "throughput" in args.modes:
        trials = {label: statistics.median(r["trials"] for r in runs[("throughput", label)]) for label in contenders}
        for label in contenders:
            print(f"{label}: trials per minute " + ", ".join(f"{trials[label] / trials[other]:.2f}x {other}"
                                                              for other in contenders if other != label))

if __name__ == "__main__":
    main()
