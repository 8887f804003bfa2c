"""Which completed trial to choose: test accuracy of the trial each rule picks.

Reads the kerashp run folders that `race.py --keep DIR` left, scores every
completed trial's saved (best-epoch) model on the race's held-out test split,
and prints, per run and as medians over seeds, the test accuracy of the trial
chosen by:

- `score, then val_loss`: kerashp's rule (`Objective.rank`);
- `score, first`: the best val accuracy, the earliest trial among equals
  (kerashp's rule before, and what keras-tuner and the race's Optuna do);
- `val_loss`: the lowest validation loss at the best epoch;
- `mean of ties`: the mean test accuracy of all trials sharing the best val
  accuracy (what choosing among them at random gives, on average);
- `oracle`: the best test accuracy of any completed trial (a ceiling no rule
  can see).

    python benchmarks/selection.py race_runs/digits     # every seed<k>/<algorithm> under it
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))

RULES = ("score, then val_loss", "score, first", "val_loss", "mean of ties", "oracle")


def choose(result, tests: dict[str, float]) -> dict[str, float]:
    done = [r for r in result.records if r.completed and r.trial_id in tests]
    top = max(r.score for r in done)
    ties = [r for r in done if r.score == top]
    return {
        "score, then val_loss": tests[result.best_trial.trial_id],
        "score, first": tests[ties[0].trial_id],
        "val_loss": tests[min(done, key=lambda r: r.metrics.get("val_loss", float("inf"))).trial_id],
        "mean of ties": statistics.mean(tests[r.trial_id] for r in ties),
        "oracle": max(tests.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="the --keep folder of race.py")
    args = parser.parse_args()
    import race

    import kerashp as khp

    *_, x_test, y_test = race.load()
    rows: dict[str, list[dict[str, float]]] = {}
    for run in sorted(Path(args.folder).glob("seed*/*")):
        result = khp.load_result(run, build_fn=race.build)
        tests = {}
        for r in result.records:
            if r.completed:
                tests[r.trial_id] = float(result.load_model(r.trial_id).evaluate(x_test, y_test, verbose=0)[1])
        picked = choose(result, tests)
        ties = sum(r.completed and r.score == result.best_score for r in result.records)
        rows.setdefault(run.name, []).append(picked)
        print(f"{run.parent.name} {run.name:10s} completed {len(tests):3d}  tied at the best {ties:2d}  "
              + "  ".join(f"{rule} {picked[rule]:.4f}" for rule in RULES), flush=True)
    print()
    print("| algorithm | runs | " + " | ".join(f"{rule} (median)" for rule in RULES) + " |")
    print("|---|---|" + "---|" * len(RULES))
    for name, picks in rows.items():
        cells = [f"{statistics.median(p[rule] for p in picks):.4f}" for rule in RULES]
        print(f"| {name} | {len(picks)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
