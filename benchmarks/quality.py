"""Model quality: a tuned built-in MLP against scikit-learn's tuned baselines.

On every bundled dataset (`kerashp.datasets.BUNDLED`) and two synthetic
regression sets (`make_regression`, `make_friedman1`), each round draws a
seeded test split (25 %, stratified for classification); on the rest:

- kerashp: `kerashp.tune(mlp, data=..., algorithm="bohb", max_trials=TRIALS)`
  with no space (so `default_space(mlp, spec)`) and kerashp's own seeded 20 %
  validation split; the configuration is chosen on validation data only. Two
  models of it are scored on the test split once each: the best trial's
  (`result.best_model`, trained on 80 % of the non-test data) and, as the
  baselines are, the refit on all of the non-test data (`result.refit()`: as
  many gradient steps as the best trial took to its best epoch, so 0.8 of its
  best epoch count over the 25 % more samples). The refit is the pipeline the
  target is judged on, declared before the runs;
- LogisticRegression / Ridge, SVC / SVR (RBF) and HistGradientBoosting, each
  chosen by `GridSearchCV` (5 folds) over a small standard grid, inputs
  standardized (and SVR's targets), refit on all of the non-test data.

Score: test accuracy (classification) or R² (regression). Prints every round
and a markdown table (median [each round]); writes everything to `--out`.

    python benchmarks/quality.py --rounds 3 --out benchmarks/quality.json
    python benchmarks/quality.py --datasets diabetes --rounds 1      # one set, quick
    python benchmarks/quality.py --datasets diabetes --cv 5          # chosen by 5-fold CV
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

TRIALS = 20  # a fixed, modest budget (bohb alone defaults to 30)
SYNTHETIC = ("make_regression", "friedman1")
R2_TOLERANCE = 0.02


def load(name: str, seed: int):
    import numpy as np
    from sklearn.datasets import make_friedman1, make_regression

    import kerashp as khp

    if name == "make_regression":  # a fixed dataset; only the split changes by round
        x, y = make_regression(n_samples=1000, n_features=20, n_informative=10, noise=10.0, random_state=0)
        return x.astype("float32"), (y + 1000.0).astype("float32")  # offset 1e3: the scale test
    if name == "friedman1":
        x, y = make_friedman1(n_samples=1000, noise=1.0, random_state=0)
        return x.astype("float32"), y.astype("float32")
    x, y = khp.datasets.load(name)
    return np.asarray(x, dtype="float32"), np.asarray(y)


def baselines(task: str) -> dict:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC, SVR

    hgb = {"learning_rate": [0.03, 0.1, 0.3]}
    if task == "classification":
        return {
            "LogisticRegression": (make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
                                   {"logisticregression__C": [0.01, 0.1, 1, 10, 100]}),
            "SVC": (make_pipeline(StandardScaler(), SVC()),
                    {"svc__C": [0.1, 1, 10, 100], "svc__gamma": ["scale", 0.01, 0.1]}),
            "HistGradientBoosting": (HistGradientBoostingClassifier(random_state=0), hgb),
        }
    svr = TransformedTargetRegressor(make_pipeline(StandardScaler(), SVR()), transformer=StandardScaler())
    return {
        "Ridge": (make_pipeline(StandardScaler(), Ridge()), {"ridge__alpha": [10.0**k for k in range(-3, 4)]}),
        "SVR": (svr, {"regressor__svr__C": [0.1, 1, 10, 100], "regressor__svr__gamma": ["scale", 0.01, 0.1]}),
        "HistGradientBoosting": (HistGradientBoostingRegressor(random_state=0), hgb),
    }


def run_kerashp(x_dev, y_dev, x_test, y_test, *, task: str, seed: int, trials: int, cv: int | None) -> dict:
    import numpy as np
    from sklearn.metrics import r2_score

    import kerashp as khp

    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        # bohb stops trials per epoch, which folds trained one after another cannot report: tpe with cv
        result = khp.tune(
            khp.builders.mlp,
            data=khp.Data((x_dev, y_dev), cv=cv, task=task),
            algorithm="tpe" if cv else "bohb",
            max_trials=trials,
            seed=seed,
            verbose=0,
            run=khp.RunFolder(directory=folder, name="quality"),
        )
        searched = time.monotonic() - started
        models = {"best trial": result.best_model, "refit": result.refit(data=(x_dev, y_dev))}
    classes = np.asarray(khp.datasets.DataSpec.from_dict(result.settings["spec"]).classes or [])
    scores = {}
    for label, model in models.items():
        predicted = model.predict(x_test, verbose=0)
        if task == "classification":
            scores[label] = float(np.mean(classes[predicted.argmax(axis=1)] == y_test))
        else:
            scores[label] = float(r2_score(y_test, predicted.reshape(len(y_test))))
    params = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in result.best_params.items()}
    return {"score": scores["refit"], "best_trial_score": scores["best trial"], "params": params,
            "seconds": round(time.monotonic() - started, 1), "search_seconds": round(searched, 1)}


def run_baseline(estimator, grid, x_dev, y_dev, x_test, y_test) -> dict:
    from sklearn.model_selection import GridSearchCV

    started = time.monotonic()
    search = GridSearchCV(estimator, grid, cv=5, n_jobs=1).fit(x_dev, y_dev)
    return {"score": float(search.score(x_test, y_test)), "seconds": round(time.monotonic() - started, 1),
            "params": search.best_params_}


def one_round(name: str, seed: int, trials: int, cv: int | None = None) -> dict:
    from sklearn.model_selection import train_test_split

    x, y = load(name, seed)
    task = "regression" if name in SYNTHETIC or name == "diabetes" else "classification"
    x_dev, x_test, y_dev, y_test = train_test_split(
        x, y, test_size=0.25, random_state=seed, stratify=y if task == "classification" else None
    )
    scores = {"kerashp": run_kerashp(x_dev, y_dev, x_test, y_test, task=task, seed=seed, trials=trials, cv=cv)}
    for label, (estimator, grid) in baselines(task).items():
        scores[label] = run_baseline(estimator, grid, x_dev, y_dev, x_test, y_test)
    return {"dataset": name, "round": seed, "task": task, "n_test": len(y_test), "scores": scores}


def table(rounds: list[dict]) -> str:
    lines = ["| dataset | metric | kerashp MLP, refit | (best trial) | linear | SVM | HistGradientBoosting | "
             "best baseline | kerashp - best | met |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name in dict.fromkeys(r["dataset"] for r in rounds):
        mine = [r for r in rounds if r["dataset"] == name]
        task, labels = mine[0]["task"], list(mine[0]["scores"])
        med = {k: statistics.median(r["scores"][k]["score"] for r in mine) for k in labels}
        cells = [f"{med[k]:.3f} [" + ", ".join(f"{r['scores'][k]['score']:.3f}" for r in mine) + "]" for k in labels]
        trial = [r["scores"]["kerashp"]["best_trial_score"] for r in mine]
        cells.insert(1, f"{statistics.median(trial):.3f} [" + ", ".join(f"{s:.3f}" for s in trial) + "]")
        best = max(labels[1:], key=med.get)
        gap = med["kerashp"] - med[best]
        tolerance = 1 / min(r["n_test"] for r in mine) if task == "classification" else R2_TOLERANCE
        metric = "accuracy" if task == "classification" else "R²"
        lines.append(f"| {name} | {metric} | " + " | ".join(cells)
                     + f" | {best} | {gap:+.3f} | {'yes' if gap >= -tolerance - 1e-9 else 'no'} |")
    return "\n".join(lines)


def main() -> None:
    import kerashp as khp

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="seeds 0..rounds-1 (splits, searches)")
    slowest_last = [*(n for n in khp.datasets.BUNDLED if n != "digits"), *SYNTHETIC, "digits"]
    parser.add_argument("--datasets", nargs="*", default=slowest_last)
    parser.add_argument("--trials", type=int, default=TRIALS)
    parser.add_argument("--out", type=Path, default=None, help="JSON of every round")
    parser.add_argument("--cv", type=int, default=None, help="kerashp chooses by k-fold cross-validation, as the "
                        "baselines do, with tpe (its best model is then refit on all the non-test data)")
    args = parser.parse_args()
    started, rounds = time.monotonic(), []
    for name in args.datasets:
        for seed in range(args.rounds):
            row = one_round(name, seed, args.trials, args.cv)
            rounds.append(row)
            print(f"{name:16s} round {seed}: " + "  ".join(
                f"{k} {v['score']:.4f} ({v['seconds']:.0f}s)" for k, v in row["scores"].items()), flush=True)
            print(f"{'':16s} kerashp best params: {row['scores']['kerashp']['params']}", flush=True)
            if args.out:
                args.out.write_text(json.dumps({"trials": args.trials, "rounds": rounds}, indent=1, default=str))
    print(f"\ntotal {time.monotonic() - started:.0f} s\n")
    print(table(rounds))


if __name__ == "__main__":
    main()
