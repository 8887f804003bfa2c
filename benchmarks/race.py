"""The race: time to a good Keras model, kerashp against keras-tuner and Optuna.

Every contender searches the same six hyperparameters (layers, units,
activation, dropout, learning_rate, batch_size) with the same model builder
on the same fixed split of scikit-learn's digits (1077 train / 360
validation / 360 test, seeded and stratified), for the same wall-clock budget,
each in its own process, after imports, data loading and one warm-up fit.
Every epoch any contender finishes is logged with its validation accuracy and
the time since the search started; from that log:

- time to val accuracy 0.975 and 0.985 (a target never reached counts as the
  whole budget),
- the best val accuracy held at 30 s, 60 s and the budget,
- epochs trained,

and, once the budget is spent, the test accuracy of the model each search
chooses as its best (kerashp's `best_model`, keras-tuner's
`get_best_models()`, the best Optuna trial's best-epoch weights kept in
memory, as a user of Optuna would have to).

    python benchmarks/race.py                 # 120 s each, seeds 0-4 (about an hour)
    python benchmarks/race.py --quick         # 40 s each, seed 0: for iterating
    python benchmarks/race.py --contenders kerashp_bohb,optuna --seeds 0 1 --budget 60
    python benchmarks/race.py --keep race_runs  # keeps kerashp's run folders (benchmarks/selection.py reads them)

prints a Markdown table for benchmarks/RESULTS.md and writes every run's
numbers to --out (JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGETS = (0.975, 0.985)
CONTENDERS = {
    "kerashp_bohb": "kerashp `bohb` (TPE + ASHA, 27 epochs at most)",
    "kerashp_tpe": "kerashp `tpe`, 10 epochs a trial",
    "kerashp_hyperband": "kerashp `hyperband` (the default before this change)",
    "kt_hyperband": "keras-tuner `Hyperband` used directly (27 epochs, iterations until the budget)",
    "kt_bayesian": "keras-tuner `BayesianOptimization` used directly, 10 epochs a trial",
    "optuna": "Optuna TPE + `HyperbandPruner`, pruning callback, 27 epochs at most",
}
MAX_EPOCHS = 27
FIXED_EPOCHS = 10

EVENTS: list[tuple[float, float]] = []  # (seconds since the search started, val_accuracy) per epoch
T0 = 0.0


# ---------------------------------------------------------------- shared parts
def load():
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=360, random_state=0, stratify=y)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=360, random_state=0, stratify=y_rest)
    return tuple(np.asarray(a) for a in (x_train, y_train, x_val, y_val, x_test, y_test))


def build(p: dict):
    """The one builder every contender uses."""
    import keras

    model = keras.Sequential([keras.Input((64,))])
    for _ in range(int(p["layers"])):
        model.add(keras.layers.Dense(int(p["units"]), activation=p["activation"]))
        if p["dropout"] > 0:
            model.add(keras.layers.Dropout(float(p["dropout"])))
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(optimizer=keras.optimizers.Adam(float(p["learning_rate"])),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def kerashp_space():
    import kerashp as khp

    return {
        "layers": [1, 2, 3],
        "units": khp.Int(16, 256, log=True),
        "activation": ["relu", "tanh", "elu"],
        "dropout": khp.Float(0.0, 0.5),
        "learning_rate": khp.Float(1e-4, 1e-1, log=True),
        "batch_size": [32, 64, 128],
    }


def kt_params(hp) -> dict:
    return {
        "layers": hp.Choice("layers", [1, 2, 3]),
        "units": hp.Int("units", 16, 256, sampling="log"),
        "activation": hp.Choice("activation", ["relu", "tanh", "elu"]),
        "dropout": hp.Float("dropout", 0.0, 0.5),
        "learning_rate": hp.Float("learning_rate", 1e-4, 1e-1, sampling="log"),
        "batch_size": hp.Choice("batch_size", [32, 64, 128]),
    }


def optuna_params(trial) -> dict:
    return {
        "layers": trial.suggest_categorical("layers", [1, 2, 3]),
        "units": trial.suggest_int("units", 16, 256, log=True),
        "activation": trial.suggest_categorical("activation", ["relu", "tanh", "elu"]),
        "dropout": trial.suggest_float("dropout", 0.0, 0.5),
        "learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True),
        "batch_size": trial.suggest_categorical("batch_size", [32, 64, 128]),
    }


def callbacks(deadline: float, on_deadline=None) -> list:
    """The epoch log, and for the peers (no time budget of their own) a stop at the deadline."""
    import keras

    class Log(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            EVENTS.append((time.monotonic() - T0, float(logs["val_accuracy"])))

    class Deadline(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if time.monotonic() >= deadline:
                self.model.stop_training = True
                if on_deadline is not None:
                    on_deadline()

    return [Log()] if deadline is None else [Log(), Deadline()]


# ------------------------------------------------------------------ contenders
def run_kerashp(algorithm, data, budget, seed, workdir) -> float:
    import kerashp as khp

    x_train, y_train, x_val, y_val, x_test, y_test = data
    space = kerashp_space()
    extra = {"max_epochs": FIXED_EPOCHS} if algorithm == "tpe" else {}
    result = khp.tune(build, space, data=(x_train, y_train, x_val, y_val), algorithm=algorithm,
                      objective="val_accuracy", time_budget=budget, seed=seed, verbose=0,
                      directory=workdir, name=algorithm, callbacks=callbacks(None), **extra)
    return float(result.best_model.evaluate(x_test, y_test, verbose=0)[1])


def run_keras_tuner(kind, data, budget, seed, workdir) -> float:
    import keras_tuner as kt

    x_train, y_train, x_val, y_val, x_test, y_test = data

    class HyperModel(kt.HyperModel):
        def build(self, hp):
            return build(kt_params(hp))

        def fit(self, hp, model, *args, **kwargs):
            return model.fit(*args, batch_size=hp.get("batch_size"), **kwargs)

    common = {"objective": "val_accuracy", "seed": seed, "directory": workdir, "project_name": kind, "overwrite": True}
    if kind == "hyperband":
        tuner = kt.Hyperband(HyperModel(), max_epochs=MAX_EPOCHS, factor=3, hyperband_iterations=1000, **common)
        fit = {}
    else:
        tuner = kt.BayesianOptimization(HyperModel(), max_trials=10_000, **common)
        fit = {"epochs": FIXED_EPOCHS}
    deadline = T0 + budget

    def stop_new_trials():
        tuner.oracle.max_trials = len(tuner.oracle.trials)

    tuner.search(x_train, y_train, validation_data=(x_val, y_val), verbose=0,
                 callbacks=callbacks(deadline, stop_new_trials), **fit)
    return float(tuner.get_best_models(1)[0].evaluate(x_test, y_test, verbose=0)[1])


def run_optuna(data, budget, seed) -> float:
    import keras
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    x_train, y_train, x_val, y_val, x_test, y_test = data
    deadline = T0 + budget
    best = {"score": -1.0, "params": None, "weights": None}

    class Pruning(keras.callbacks.Callback):
        """The few lines a user writes (Optuna's Keras callback lives in optuna-integration)."""

        def __init__(self, trial):
            super().__init__()
            self.trial, self.pruned, self.best, self.weights = trial, False, -1.0, None

        def on_epoch_end(self, epoch, logs=None):
            value = float(logs["val_accuracy"])
            if value > self.best:
                self.best, self.weights = value, self.model.get_weights()
            self.trial.report(value, epoch)
            if self.trial.should_prune():
                self.pruned, self.model.stop_training = True, True

    def objective(trial):
        params = optuna_params(trial)
        model = build(params)
        pruning = Pruning(trial)
        model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=MAX_EPOCHS,
                  batch_size=params["batch_size"], verbose=0, callbacks=[*callbacks(deadline), pruning])
        if pruning.pruned:
            raise optuna.TrialPruned()
        if pruning.best > best["score"]:  # the study's best trial is a completed one: keep its model
            best.update(score=pruning.best, params=params, weights=pruning.weights)
        return pruning.best

    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.HyperbandPruner(min_resource=1, max_resource=MAX_EPOCHS, reduction_factor=3),
    )
    study.optimize(objective, timeout=budget)
    model = build(study.best_trial.params)
    model.set_weights(best["weights"])
    return float(model.evaluate(x_test, y_test, verbose=0)[1])


def child(contender: str, seed: int, budget: float, out: str, keep: str) -> None:
    global T0
    import keras

    data = load()
    keras.utils.set_random_seed(seed)
    warm = build({"layers": 1, "units": 16, "activation": "relu", "dropout": 0.0, "learning_rate": 1e-3})
    warm.fit(data[0][:64], data[1][:64], epochs=1, verbose=0)  # TensorFlow's one-off start-up
    keras.backend.clear_session()
    with tempfile.TemporaryDirectory() as workdir:
        if keep and contender.startswith("kerashp_"):
            workdir = os.path.join(keep, f"seed{seed}")
        T0 = time.monotonic()
        if contender.startswith("kerashp_"):
            test = run_kerashp(contender.removeprefix("kerashp_"), data, budget, seed, workdir)
        elif contender.startswith("kt_"):
            test = run_keras_tuner(contender.removeprefix("kt_"), data, budget, seed, workdir)
        else:
            test = run_optuna(data, budget, seed)
        searched = time.monotonic() - T0
    with open(out, "w") as f:
        json.dump({"contender": contender, "seed": seed, "budget": budget, "events": EVENTS,
                   "test_accuracy": test, "search_seconds": searched}, f)


# ------------------------------------------------------------------- summary
def summarize(run: dict, checkpoints: tuple[float, ...]) -> dict:
    events = [(t, v) for t, v in run["events"] if t <= run["budget"] + 1e-9]
    out = {"epochs": len(events), "test": run["test_accuracy"]}
    for target in TARGETS:
        out[f"to_{target}"] = next((t for t, v in events if v >= target), run["budget"])
    for c in checkpoints:
        out[f"best_{c:g}"] = max((v for t, v in events if t <= c), default=0.0)
    return out


def table(runs: list[dict], checkpoints: tuple[float, ...]) -> str:
    head = ["contender", *[f"time to {t} (s): runs / median" for t in TARGETS],
            f"best val acc at {' / '.join(f'{c:g}' for c in checkpoints)} s (median)",
            "test acc of chosen model (median)", "epochs trained (median)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in CONTENDERS:
        mine = [summarize(r, checkpoints) for r in runs if r["contender"] == name]
        if not mine:
            continue
        med = {k: statistics.median(m[k] for m in mine) for k in mine[0]}
        cells = [CONTENDERS[name]]
        for t in TARGETS:
            cells.append(", ".join(f"{m[f'to_{t}']:.0f}" for m in mine) + f" / **{med[f'to_{t}']:.0f}**")
        cells.append(" / ".join(f"{med[f'best_{c:g}']:.4f}" for c in checkpoints))
        cells.append(f"{med['test']:.4f}")
        cells.append(f"{med['epochs']:.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 s each, seed 0")
    parser.add_argument("--budget", type=float, default=None)
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--out", default="race.json")
    parser.add_argument("--backend", default="tensorflow", help="KERAS_BACKEND of every contender (jax: the GPU check)")
    parser.add_argument("--keep", default="", help="keep kerashp's run folders under this folder (seed<k>/<algorithm>)")
    parser.add_argument("--child", nargs=5, metavar=("CONTENDER", "SEED", "BUDGET", "OUT", "KEEP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        contender, seed, budget, out, keep = args.child
        child(contender, int(seed), float(budget), out, keep)
        return
    budget = args.budget or (40.0 if args.quick else 120.0)
    seeds = args.seeds or ([0] if args.quick else [0, 1, 2, 3, 4])
    contenders = [c for c in args.contenders.split(",") if c]
    unknown = set(contenders) - set(CONTENDERS)
    if unknown:
        parser.error(f"unknown contenders {sorted(unknown)}; choose from {', '.join(CONTENDERS)}")
    checkpoints = tuple(c for c in (30.0, 60.0) if c < budget) + (budget,)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": args.backend, "TF_ENABLE_ONEDNN_OPTS": "0"}
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:  # contenders take turns within each round
            for contender in contenders:
                out = os.path.join(tmp, f"{contender}-{seed}.json")
                started = time.monotonic()
                proc = subprocess.run([sys.executable, __file__, "--child", contender, str(seed), str(budget), out,
                                       os.path.abspath(args.keep) if args.keep else ""],
                                      env=env, capture_output=True, text=True)
                if proc.returncode != 0:
                    print(f"{contender} seed {seed} failed:\n{proc.stderr[-3000:]}", file=sys.stderr)
                    continue
                with open(out) as f:
                    runs.append(json.load(f))
                s = summarize(runs[-1], checkpoints)
                print(f"{contender:18s} seed {seed}: to 0.975 {s['to_0.975']:6.1f}s  to 0.985 {s['to_0.985']:6.1f}s  "
                      f"best {s[f'best_{budget:g}']:.4f}  test {s['test']:.4f}  epochs {s['epochs']}  "
                      f"({time.monotonic() - started:.0f}s with start-up)", flush=True)
    with open(args.out, "w") as f:
        json.dump(runs, f)
    print()
    print(table(runs, checkpoints))


if __name__ == "__main__":
    main()
