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
    python benchmarks/race.py --family --budget 120 --seeds 0 1 2 3 4   # the five tasks of FAMILY_TASKS
    python benchmarks/race.py --tasks digits_xla_choices --contenders kerashp_bohb,optuna   # graphs that repeat

The family (`--family`, or `--tasks a,b`) runs the same race on five tasks
it was not tuned for: another split and a wider space of digits, a 20k-sample
synthetic tabular task, a regression (R², Friedman #1, 10k samples),
digits with every model compiled by XLA (`jit_compile=True`: what a new
model costs on a GPU or TPU), and (`digits_cnn`, since the fifteenth
session) another builder of digits, a small convolutional network on a third
split. It also reports, for kerashp, the share of the
search's time its trials spent before their first epoch ended beyond an
epoch's time (building, tracing, compiling: `TrialRecord.cost`), and how
many trials reused a compiled model. `digits_xla_choices`, outside the
family, is `digits_xla` with `units` and `dropout` searched as choices: a
space whose graphs repeat, so kerashp's compiled-model pool can reuse them.

prints a Markdown table for benchmarks/RESULTS.md and, seed by seed, how often
the first contender held more, the same or less than each other one at each
checkpoint (`head_to_head`), and writes every run's numbers to --out (JSON).
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

CONTENDERS = {
    "kerashp_bohb": "kerashp `bohb` (TPE + ASHA, 27 epochs at most)",
    "kerashp_bohb_rung1": ("kerashp `bohb`, first rung fixed at 1 epoch (`ASHA(first_rung=1)`: "
                           "before the measured rung)"),
    "kerashp_bohb_random_start": "kerashp `bohb`, a random first trial (`BOHB(initial=None)`: before the middle)",
    "kerashp_bohb_unhedged": "kerashp `bohb`, the measured first rung for every trial (no Hyperband brackets)",
    "kerashp_bohb_independent": ("kerashp `bohb` with TPE over each hyperparameter on its own (Optuna's default "
                                 "`TPESampler`: an experiment, kerashp's is multivariate)"),
    "kerashp_bohb_ahead_all": ("kerashp `bohb`, every model prepared ahead, traced ones too (an experiment: "
                               "by default only models that compile per shape are)"),
    "kerashp_bohb_no_ahead": "kerashp `bohb`, no model compiled ahead (`SearchTuner.looks_ahead = ()`: before it)",
    "kerashp_bohb_w2": "kerashp `bohb`, two trials at once (`Execution(workers=2)`, a local Ray cluster)",
    "kerashp_bohb_w4": "kerashp `bohb`, four trials at once (`Execution(workers=4)`: on a GPU, four trials share it)",
    "kerashp_bohb_bf16": "kerashp `bohb` in bfloat16 (`Execution(precision='mixed_bfloat16')`: the GPU check)",
    "kerashp_tpe": "kerashp `tpe`, 10 epochs a trial",
    "kerashp_hyperband": "kerashp `hyperband`",
    "kt_hyperband": "keras-tuner `Hyperband` used directly (27 epochs, iterations until the budget)",
    "kt_bayesian": "keras-tuner `BayesianOptimization` used directly, 10 epochs a trial",
    "optuna": "Optuna TPE + `HyperbandPruner`, pruning callback, 27 epochs at most",
}
FAMILY = ("kerashp_bohb", "optuna", "kt_hyperband")
WORKERS = {"kerashp_bohb_w2": 2, "kerashp_bohb_w4": 4}  # the contenders whose trials run in worker processes
MAX_EPOCHS = 27
FIXED_EPOCHS = 10

#: Each task: data (`split`: random_state and validation/test sizes), the
#: widest layer searched, XLA on or off, the metric every contender
#: maximizes and its two targets.
TASKS = {
    "digits": {"data": "digits", "split": (0, 360, 360), "units": 256, "jit": False,
               "metric": "accuracy", "targets": (0.975, 0.985)},
    "digits_wide": {"data": "digits", "split": (1, 450, 300), "units": 512, "jit": False,
                    "metric": "accuracy", "targets": (0.975, 0.985)},
    "tabular": {"data": "tabular", "split": (0, 2000, 2000), "units": 256, "jit": False,
                "metric": "accuracy", "targets": (0.93, 0.95)},
    "regression": {"data": "friedman1", "split": (0, 1000, 1000), "units": 256, "jit": False,
                   "metric": "r2_score", "targets": (0.95, 0.97)},
    "digits_xla": {"data": "digits", "split": (0, 360, 360), "units": 256, "jit": True,
                   "metric": "accuracy", "targets": (0.975, 0.985)},
    # Another builder: a small convolutional network on the 8x8 images (`units`: filters), a third split.
    "digits_cnn": {"data": "digits", "split": (2, 360, 360), "units": 64, "jit": False,
                   "metric": "accuracy", "targets": (0.975, 0.985), "builder": "cnn"},
    # Not in the family: digits_xla with `units` and `dropout` as choices, a space whose graphs repeat
    # (what the compiled-model pool can reuse).
    "digits_xla_choices": {"data": "digits", "split": (0, 360, 360), "units": 256, "jit": True,
                           "metric": "accuracy", "targets": (0.975, 0.985), "choices": True},
}
FAMILY_TASKS = ("digits_wide", "tabular", "regression", "digits_xla", "digits_cnn")
UNITS_CHOICES = (16, 32, 64, 128, 256)
DROPOUT_CHOICES = (0.0, 0.25, 0.5)
TASK = TASKS["digits"]

EVENTS: list[tuple[float, float]] = []  # (seconds since the search started, the objective) per epoch
EVENTS_FILE = ""  # where worker processes log their epochs instead (`WORKERS`)
COMPILE: dict = {}  # kerashp's compile share (compile_share)
T0 = 0.0


# ---------------------------------------------------------------- shared parts
def load():
    import numpy as np
    from sklearn.datasets import load_digits, make_classification, make_friedman1
    from sklearn.model_selection import train_test_split

    if TASK["data"] == "digits":
        x, y = load_digits(return_X_y=True)
        x = x / 16.0
    elif TASK["data"] == "tabular":
        x, y = make_classification(n_samples=20_000, n_features=20, n_informative=12, n_redundant=4, n_classes=3,
                                   n_clusters_per_class=2, flip_y=0.02, class_sep=1.0, random_state=0)
    else:
        x, y = make_friedman1(n_samples=10_000, n_features=10, noise=0.5, random_state=0)
        y = (y - y.mean()) / y.std()
    x = x.astype("float32")
    state, n_val, n_test = TASK["split"]
    stratify = None if TASK["metric"] == "r2_score" else y
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=n_test, random_state=state, stratify=stratify)
    stratify = None if stratify is None else y_rest
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=n_val, random_state=state,
                                                      stratify=stratify)
    return tuple(np.asarray(a) for a in (x_train, y_train, x_val, y_val, x_test, y_test))


def build(p: dict):
    """The one builder every contender uses (the task sets its inputs, outputs and XLA)."""
    import keras

    inputs = {"digits": 64, "tabular": 20, "friedman1": 10}[TASK["data"]]
    model = keras.Sequential([keras.Input((inputs,))])
    if TASK.get("builder") == "cnn":  # layers of `units` 3x3 filters on the 8x8 image, pooled after the first two
        model.add(keras.layers.Reshape((8, 8, 1)))
        for k in range(int(p["layers"])):
            model.add(keras.layers.Conv2D(int(p["units"]), 3, padding="same", activation=p["activation"]))
            if k < 2:
                model.add(keras.layers.MaxPooling2D(2))
        model.add(keras.layers.Flatten())
        if p["dropout"] > 0:
            model.add(keras.layers.Dropout(float(p["dropout"])))
    else:
        for _ in range(int(p["layers"])):
            model.add(keras.layers.Dense(int(p["units"]), activation=p["activation"]))
            if p["dropout"] > 0:
                model.add(keras.layers.Dropout(float(p["dropout"])))
    optimizer = keras.optimizers.Adam(float(p["learning_rate"]))
    jit = TASK["jit"] or keras.backend.backend() == "jax"  # a JAX model compiles (uncompiled, it runs op by op)
    if TASK["metric"] == "r2_score":
        model.add(keras.layers.Dense(1))
        model.compile(optimizer=optimizer, loss="mse", metrics=[keras.metrics.R2Score()], jit_compile=jit)
    else:
        model.add(keras.layers.Dense({"digits": 10, "tabular": 3}[TASK["data"]], activation="softmax"))
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      jit_compile=jit)
    return model


def metric_name() -> str:
    return f"val_{TASK['metric']}"


def searched() -> dict:
    """The six hyperparameters every contender searches, defined once: `("choice", values)`,
    `("int", low, high, log)` or `("float", low, high, log)`; each contender's space translates it."""
    choices = TASK.get("choices")
    return {
        "layers": ("choice", [1, 2, 3]),
        "units": ("choice", list(UNITS_CHOICES)) if choices else ("int", 16, TASK["units"], True),
        "activation": ("choice", ["relu", "tanh", "elu"]),
        "dropout": ("choice", list(DROPOUT_CHOICES)) if choices else ("float", 0.0, 0.5, False),
        "learning_rate": ("float", 1e-4, 1e-1, True),
        "batch_size": ("choice", [32, 64, 128]),
    }


def kerashp_space():
    import kerashp as khp

    kinds = {"int": khp.Int, "float": khp.Float}
    return {name: list(d[1]) if d[0] == "choice" else kinds[d[0]](d[1], d[2], log=d[3])
            for name, d in searched().items()}


def kt_params(hp) -> dict:
    def one(name, d):
        if d[0] == "choice":
            return hp.Choice(name, d[1])
        return (hp.Int if d[0] == "int" else hp.Float)(name, d[1], d[2], sampling="log" if d[3] else "linear")

    return {name: one(name, d) for name, d in searched().items()}


def optuna_params(trial) -> dict:
    def one(name, d):
        if d[0] == "choice":
            return trial.suggest_categorical(name, d[1])
        return (trial.suggest_int if d[0] == "int" else trial.suggest_float)(name, d[1], d[2], log=d[3])

    return {name: one(name, d) for name, d in searched().items()}


def callbacks(deadline: float, on_deadline=None) -> list:
    """The epoch log, and for the peers (no time budget of their own) a stop at the deadline.

    In worker processes (`EVENTS_FILE` set) the log appends to a file, timed by the wall clock
    all processes share."""
    import keras

    path, wall0, metric = EVENTS_FILE, time.time() - (time.monotonic() - T0), metric_name()

    class Log(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if path:
                with open(path, "a") as f:
                    f.write(f"{time.time() - wall0} {float(logs[metric])}\n")
            else:
                EVENTS.append((time.monotonic() - T0, float(logs[metric])))

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
    workers = WORKERS.get(f"kerashp_{algorithm}")
    if workers:  # on a GPU machine each worker asks a share of the GPU
        gpus = 1 / workers if os.environ.get("RACE_SHARE_GPU") else None  # set by benchmarks/gpu_jax.sh
        algorithm, extra = "bohb", {"execution": khp.Execution(workers=workers, trial_gpus=gpus)}
    if algorithm == "bohb_bf16":
        algorithm, extra = "bohb", {"execution": khp.Execution(precision="mixed_bfloat16")}
    if algorithm == "bohb_rung1":
        algorithm = khp.algorithms.BOHB(pruner=khp.pruners.ASHA(first_rung=1))
    if algorithm == "bohb_random_start":
        algorithm = khp.algorithms.BOHB(initial=None)
    if algorithm == "bohb_ahead_all":  # an experiment, not an option: TensorFlow's traced models prepared ahead too
        import kerashp.tuning.tuner as tuner

        tuner.compiles_per_shape = lambda model: True
        algorithm = "bohb"
    if algorithm == "bohb_no_ahead":  # an experiment: the next trial's model built in its turn, as before
        from kerashp.tuning.tuner import SearchTuner

        SearchTuner.looks_ahead = ()
        algorithm = "bohb"
    if algorithm == "bohb_unhedged":  # an experiment, not an option: ASHA's brackets switched off
        from kerashp.pruners.asha import Rungs

        init = Rungs.__init__
        Rungs.__init__ = lambda self, *a, **kw: init(self, *a, **{**kw, "brackets": False})
        algorithm = "bohb"
    if algorithm == "bohb_independent":  # an experiment, not an option: Optuna's default TPE (not multivariate)
        import optuna

        import kerashp.algorithms._tpe_oracle as tpe_oracle

        tpe_oracle.make_sampler = lambda sampler_seed: optuna.samplers.TPESampler(seed=sampler_seed)
        algorithm = "bohb"
    result = khp.tune(
        build,
        space,
        data=(x_train, y_train, x_val, y_val),
        algorithm=algorithm,
        objective=(metric_name(), "max"),
        time_budget=budget,
        seed=seed,
        verbose=0,
        callbacks=callbacks(None),
        run=khp.RunFolder(directory=workdir, name=getattr(algorithm, "name", algorithm)),
        **extra,
    )
    COMPILE.update(compile_share(result.records))
    if EVENTS_FILE:
        with open(EVENTS_FILE) as f:
            EVENTS.extend(sorted(tuple(map(float, line.split())) for line in f if line.strip()))
    return float(result.best_model.evaluate(x_test, y_test, verbose=0)[1])


def compile_share(records) -> dict:
    """The share of the trials' time spent before each first epoch ended beyond
    an epoch's time (a trial of one epoch counts the median later epoch of
    the search: the compile the search waited for), the seconds spent
    building and compiling models in the background while the trial before
    trained (`ahead`, against the same total: compiling the search did not
    wait for), and how many trials reused a compiled model."""
    import statistics

    epochs = [r.cost["epoch"] for r in records if r.cost.get("epoch")]
    typical = statistics.median(epochs) if epochs else 0.0
    spent = sum(max(r.cost["build"] + r.cost["first_epoch"] - (r.cost.get("epoch") or typical), 0.0)
                for r in records if r.cost.get("first_epoch") is not None)
    total = sum(r.seconds or 0.0 for r in records)
    ahead = sum(r.cost.get("ahead") or 0.0 for r in records)
    return {"compile_share": spent / total if total else None, "ahead_share": ahead / total if total else None,
            "reused": sum(bool(r.cost.get("reused")) for r in records), "trials": len(records)}


def run_keras_tuner(kind, data, budget, seed, workdir) -> float:
    import keras_tuner as kt

    x_train, y_train, x_val, y_val, x_test, y_test = data

    class HyperModel(kt.HyperModel):
        def build(self, hp):
            return build(kt_params(hp))

        def fit(self, hp, model, *args, **kwargs):
            return model.fit(*args, batch_size=hp.get("batch_size"), **kwargs)

    common = {"objective": kt.Objective(metric_name(), "max"), "seed": seed, "directory": workdir, "project_name": kind,
              "overwrite": True}
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
            value = float(logs[metric_name()])
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


def child(task: str, contender: str, seed: int, budget: float, out: str, keep: str) -> None:
    global T0, TASK, EVENTS_FILE
    TASK = TASKS[task]
    import keras

    data = load()
    keras.utils.set_random_seed(seed)
    warm = build({"layers": 1, "units": 16, "activation": "relu", "dropout": 0.0, "learning_rate": 1e-3})
    warm.fit(data[0][:64], data[1][:64], epochs=1, verbose=0)  # TensorFlow's one-off start-up
    keras.backend.clear_session()
    with tempfile.TemporaryDirectory() as workdir:
        if contender in WORKERS:
            EVENTS_FILE = os.path.join(workdir, "events.txt")
        if keep and contender.startswith("kerashp_"):
            workdir = os.path.join(keep, task, f"seed{seed}")
        T0 = time.monotonic()
        if contender.startswith("kerashp_"):
            test = run_kerashp(contender.removeprefix("kerashp_"), data, budget, seed, workdir)
        elif contender.startswith("kt_"):
            test = run_keras_tuner(contender.removeprefix("kt_"), data, budget, seed, workdir)
        else:
            test = run_optuna(data, budget, seed)
        searched = time.monotonic() - T0
    with open(out, "w") as f:
        json.dump({"task": task, "contender": contender, "seed": seed, "budget": budget, "events": EVENTS,
                   "test_accuracy": test, "search_seconds": searched, **COMPILE}, f)


# ------------------------------------------------------------------- summary
def summarize(run: dict, checkpoints: tuple[float, ...]) -> dict:
    targets = TASKS[run.get("task", "digits")]["targets"]
    events = [(t, v) for t, v in run["events"] if t <= run["budget"] + 1e-9]
    out = {"epochs": len(events), "test": run["test_accuracy"]}
    for i, target in enumerate(targets):
        out[f"to_{i}"] = next((t for t, v in events if v >= target), run["budget"])
    for c in checkpoints:
        out[f"best_{c:g}"] = max((v for t, v in events if t <= c), default=0.0)
    if run.get("compile_share") is not None:
        out["compile"], out["reused"] = run["compile_share"], run["reused"] / max(run["trials"], 1)
        out["ahead"] = run.get("ahead_share") or 0.0
    return out


def table(runs: list[dict], checkpoints: tuple[float, ...], task: str) -> str:
    metric, targets = TASKS[task]["metric"], TASKS[task]["targets"]
    head = ["contender", *[f"time to {t} (s): runs / median" for t in targets],
            f"best val {metric} at {' / '.join(f'{c:g}' for c in checkpoints)} s (median)",
            f"test {metric} of chosen model (median)", "epochs trained: runs / median",
            "compile share waited for / compiled ahead / trials reusing a model (median)"]
    lines = [f"Task `{task}`:", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in CONTENDERS:
        mine = [summarize(r, checkpoints) for r in runs if r["contender"] == name and r.get("task", "digits") == task]
        if not mine:
            continue
        med = {k: statistics.median(m[k] for m in mine) for k in mine[0]}
        cells = [CONTENDERS[name]]
        for i in range(len(targets)):
            cells.append(", ".join(f"{m[f'to_{i}']:.0f}" for m in mine) + f" / **{med[f'to_{i}']:.0f}**")
        cells.append(" / ".join(f"{med[f'best_{c:g}']:.4f}" for c in checkpoints))
        cells.append(f"{med['test']:.4f}")
        cells.append(", ".join(str(m["epochs"]) for m in mine) + f" / **{med['epochs']:.0f}**")
        cells.append(f"{med['compile']:.0%} / {med['ahead']:.0%} / {med['reused']:.0%}" if "compile" in med else "")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def head_to_head(runs: list[dict], checkpoints: tuple[float, ...], mine: str, other: str) -> str:
    """Seed by seed, `mine` against `other` on the same task and seed: how often its best held at each
    checkpoint was above, equal to or below the other's (a median turns on one validation sample)."""
    best = {(r["task"], r["seed"], r["contender"]): summarize(r, checkpoints) for r in runs}
    pairs = [(s, best[t, seed, other]) for (t, seed, c), s in best.items() if c == mine and (t, seed, other) in best]
    if not pairs:
        return ""
    cells = []
    for c in checkpoints:
        diffs = [a[f"best_{c:g}"] - b[f"best_{c:g}"] for a, b in pairs]
        cells.append(f"{c:g} s: {sum(d > 1e-9 for d in diffs)} / {sum(abs(d) <= 1e-9 for d in diffs)} / "
                     f"{sum(d < -1e-9 for d in diffs)}")
    return f"{mine} against {other}, ahead / tied / behind in {len(pairs)} task-seeds: " + "; ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 s each, seed 0")
    parser.add_argument("--budget", type=float, default=None)
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    parser.add_argument("--contenders", default=None, help=f"default: all, or {','.join(FAMILY)} with --family")
    parser.add_argument("--tasks", default="digits", help=f"comma-separated, of {', '.join(TASKS)}")
    parser.add_argument("--family", action="store_true",
                        help="every task but the original digits, kerashp's default against the peers")
    parser.add_argument("--out", default="race.json")
    parser.add_argument("--backend", default="tensorflow", help="KERAS_BACKEND of every contender (jax: the GPU check)")
    parser.add_argument("--keep", default="",
                        help="keep kerashp's run folders under this folder (<task>/seed<k>/<algorithm>)")
    parser.add_argument("--child", nargs=6, metavar=("TASK", "CONTENDER", "SEED", "BUDGET", "OUT", "KEEP"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        task, contender, seed, budget, out, keep = args.child
        child(task, contender, int(seed), float(budget), out, keep)
        return
    budget = args.budget or (40.0 if args.quick else 120.0)
    seeds = args.seeds or ([0] if args.quick else [0, 1, 2, 3, 4])
    tasks = list(FAMILY_TASKS) if args.family else [t for t in args.tasks.split(",") if t]
    contenders = (args.contenders or ",".join(FAMILY if args.family else CONTENDERS)).split(",")
    unknown = (set(contenders) - set(CONTENDERS)) | (set(tasks) - set(TASKS))
    if unknown:
        parser.error(f"unknown {sorted(unknown)}; contenders: {', '.join(CONTENDERS)}; tasks: {', '.join(TASKS)}")
    checkpoints = tuple(c for c in (30.0, 60.0) if c < budget) + (budget,)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": args.backend, "TF_ENABLE_ONEDNN_OPTS": "0"}
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:  # contenders take turns within each round
            for task in tasks:
                for contender in contenders:
                    out = os.path.join(tmp, f"{task}-{contender}-{seed}.json")
                    started = time.monotonic()
                    proc = subprocess.run([sys.executable, __file__, "--child", task, contender, str(seed),
                                           str(budget), out, os.path.abspath(args.keep) if args.keep else ""],
                                          env=env, capture_output=True, text=True)
                    if proc.returncode != 0:
                        print(f"{task} {contender} seed {seed} failed:\n{proc.stderr[-3000:]}", file=sys.stderr)
                        continue
                    with open(out) as f:
                        runs.append(json.load(f))
                    s = summarize(runs[-1], checkpoints)
                    share = (f"  compile {s['compile']:.0%} ahead {s['ahead']:.0%} reused {s['reused']:.0%}"
                             if "compile" in s else "")
                    print(f"{task:11s} {contender:17s} seed {seed}: to {TASKS[task]['targets'][0]} {s['to_0']:6.1f}s  "
                          f"to {TASKS[task]['targets'][1]} {s['to_1']:6.1f}s  best {s[f'best_{budget:g}']:.4f}  "
                          f"test {s['test']:.4f}  epochs {s['epochs']}{share}  "
                          f"({time.monotonic() - started:.0f}s with start-up)", flush=True)
    with open(args.out, "w") as f:
        json.dump(runs, f)
    for task in tasks:
        print()
        print(table(runs, checkpoints, task))
    for other in contenders[1:]:
        line = head_to_head(runs, checkpoints, contenders[0], other)
        if line:
            print("\n" + line)


if __name__ == "__main__":
    main()
