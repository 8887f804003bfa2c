"""Suggestion latency: how long each algorithm takes to propose a trial once
it has seen 100, with Branin (2-D) and Hartmann-6 as objectives (no training).

Each algorithm's oracle is the one `kerashp.tune` makes; plain Optuna (its
default TPE sampler, ask/tell) stands beside them. Timed: `create_trial`
(keras-tuner) or `ask` plus the suggestions (Optuna) for trials 101-120, after
100 told trials; the objective's own cost is not timed.

    python benchmarks/suggest.py            # one seed per algorithm and objective
    python benchmarks/suggest.py --seeds 0 1 2

prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

WARM, TIMED = 100, 20
ALGORITHMS = ("random", "bayesian", "tpe", "bohb", "hyperband", "optuna")


def branin(v: dict) -> float:
    x1, x2 = v["x1"], v["x2"]
    b, c, r, s, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
               [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                      [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(v: dict) -> float:
    x = np.array([v[f"x{i}"] for i in range(1, 7)])
    return float(-np.sum(_ALPHA * np.exp(-np.sum(_A * (x - _P) ** 2, axis=1))))


PROBLEMS = {
    "branin": (branin, {"x1": (-5.0, 10.0), "x2": (0.0, 15.0)}),
    "hartmann6": (hartmann6, {f"x{i}": (0.0, 1.0) for i in range(1, 7)}),
}


def time_kerashp(name: str, problem: str, seed: int) -> tuple[list[float], float]:
    import kerashp as khp
    from kerashp import algorithms
    from kerashp.algorithms._keras_tuner import declare
    from kerashp.space import Space
    from kerashp.tuning.objective import as_objective

    fn, ranges = PROBLEMS[problem]
    space = Space({k: khp.Float(lo, hi) for k, (lo, hi) in ranges.items()})
    algo = algorithms.get(name)
    oracle = algo.make_oracle(as_objective(("score", "min")), space=space, max_trials=WARM + TIMED, epochs=27,
                              seed=seed, options=dict(algo.options), initial=[], prior=[])
    oracle._set_project_dir(tempfile.mkdtemp(), name)
    hp = oracle.get_space()
    declare(space, hp)
    oracle.update_space(hp)
    times, best = [], math.inf
    for i in range(WARM + TIMED):
        started = time.perf_counter()
        trial = oracle.create_trial("tuner0")
        if i >= WARM:
            times.append(time.perf_counter() - started)
        if trial.status != "RUNNING":
            break
        value = fn(trial.hyperparameters.values)
        best = min(best, value)
        epochs = int(trial.hyperparameters.values.get("tuner/epochs", 1))
        oracle.update_trial(trial.trial_id, {"score": value}, step=epochs)
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    return times, best


def time_optuna(problem: str, seed: int) -> tuple[list[float], float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    fn, ranges = PROBLEMS[problem]
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    times = []
    for i in range(WARM + TIMED):
        started = time.perf_counter()
        trial = study.ask()
        values = {k: trial.suggest_float(k, lo, hi) for k, (lo, hi) in ranges.items()}
        if i >= WARM:
            times.append(time.perf_counter() - started)
        study.tell(trial, fn(values))
    return times, study.best_value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    rows = []
    for name in ALGORITHMS:
        for problem in PROBLEMS:
            medians, bests = [], []
            for seed in args.seeds:
                times, best = time_optuna(problem, seed) if name == "optuna" else time_kerashp(name, problem, seed)
                medians.append(statistics.median(times) * 1000 if times else float("nan"))
                bests.append(best)
            rows.append((name, problem, medians, bests))
            print(f"{name:10s} {problem:10s} median ms per suggestion {statistics.median(medians):8.1f}  "
                  f"best after {WARM + TIMED}: {statistics.median(bests):.4f}", flush=True)
    print()
    print("| algorithm | objective | ms per suggestion after 100 trials (median; per seed) "
          "| best value found in 120 (median) |")
    print("|---|---|---|---|")
    for name, problem, medians, bests in rows:
        label = "plain Optuna TPE (default sampler)" if name == "optuna" else f"kerashp `{name}`"
        per_seed = ", ".join(f"{m:.1f}" for m in medians)
        print(f"| {label} | {problem} | **{statistics.median(medians):.1f}** ({per_seed}) "
              f"| {statistics.median(bests):.4f} |")


if __name__ == "__main__":
    main()
