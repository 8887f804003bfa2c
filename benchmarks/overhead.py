"""Tuner overhead: kerashp vs keras-tuner used directly vs a plain Keras loop.

On scikit-learn's digits, 20 random-search trials of 10 epochs each. Every
contender trains the same MLP architecture (kerashp.builders.mlp) on the same
seeded split with the same fit settings; kerashp and keras-tuner draw their 20
configurations from the same seeded RandomSearchOracle, and the plain loop
trains the 20 configurations kerashp drew. Each contender runs in its own
process (so peak RSS is its own), after imports, data loading and one warm-up
fit, and the contenders take turns over `--repeats` rounds (kerashp first in
the first round, to draw the configurations; each later round rotates the
order, so no contender always runs first or last).

    python benchmarks/overhead.py --repeats 3
    python benchmarks/overhead.py --repeats 3 --bohb   # 20 bohb trials (TPE + ASHA, <= 27 epochs)
    python benchmarks/overhead.py --repeats 5 --epochs 1 --trials 40   # what a 1-epoch trial costs
    python benchmarks/overhead.py --repeats 9 --epochs 1 --trials 40 --contenders plain,kerashp,optuna
    python benchmarks/overhead.py --interleaved 8 --epochs 1 --trials 10  # the same, in one process
    python benchmarks/overhead.py --inside 20 --epochs 1   # one plain fit inside a trial and outside

`--interleaved N` runs kerashp and the plain loop in one process, after one
warm-up of each, as N pairs of whole searches of `--trials` trials over the
same configurations (kerashp's `Random(initial=...)` queues them), in the
order kerashp, plain, plain, kerashp, ... so that a drift of the process
(memory, caches) weighs on both alike: what kerashp adds to a trial, below
the noise between processes.

`--inside N` times one plain Keras fit (a fixed configuration, a new model
each time) N times outside any search and N times inside a kerashp trial
(run where the trial's own fit runs), alternating in one process: what being
inside a trial does to the same work, apart from kerashp's own code.

`optuna` is Optuna's loop as its users write it (a study, an objective that
builds and fits the model, a pruning callback reporting every epoch), fed
kerashp's configurations with `enqueue_trial`, so it trains the same ones.

prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

TRIALS = 20
EPOCHS = 10
BOHB_EPOCHS = 27
SEED = 0
CONTENDERS = ("plain", "keras_tuner", "optuna", "kerashp")
BOHB = ("plain", "kerashp_bohb")  # --bohb: TPE + ASHA; the plain loop trains each trial for the epochs it got


def space():
    import kerashp as khp

    return {
        "layers": khp.Int(1, 2),
        "units": khp.Int(16, 256, log=True),
        "activation": ["relu", "tanh"],
        "dropout": (0.0, 0.3),
        "learning_rate": khp.Float(1e-3, 1e-2, log=True),
        "batch_size": [32, 64],
    }


def run_kerashp(workdir, prepared, algorithm="random"):
    import kerashp as khp

    result = khp.tune(
        khp.builders.mlp,
        space(),
        data=(*prepared.train, *prepared.val),
        algorithm=algorithm,
        objective="val_accuracy",
        max_trials=TRIALS,
        max_epochs=EPOCHS if algorithm == "random" else BOHB_EPOCHS,
        seed=SEED,
        verbose=0,
        run=khp.RunFolder(directory=workdir, name="kerashp"),
    )
    # each configuration with the epochs it trained (ASHA stops most of bohb's early)
    return [{**r.params, "_epochs": r.total_epochs} for r in result.records], result.best_score


def run_keras_tuner(workdir, prepared):
    import keras_tuner as kt

    import kerashp as khp

    class HyperMLP(kt.HyperModel):
        def build(self, hp):
            params = {
                "layers": hp.Int("layers", 1, 2),
                "units": hp.Int("units", 16, 256, sampling="log"),
                "activation": hp.Choice("activation", ["relu", "tanh"]),
                "dropout": hp.Float("dropout", 0.0, 0.3),
                "learning_rate": hp.Float("learning_rate", 1e-3, 1e-2, sampling="log"),
            }
            hp.Choice("batch_size", [32, 64])
            return khp.builders.mlp(params, spec=prepared.spec)

        def fit(self, hp, model, *args, **kwargs):
            return model.fit(*args, batch_size=hp.get("batch_size"), **kwargs)

    # kerashp hands keras-tuner seed + 1 (keras-tuner reads 0 as "no seed"): the same draws.
    tuner = kt.RandomSearch(HyperMLP(), objective="val_accuracy", max_trials=TRIALS, seed=SEED + 1,
                            directory=workdir, project_name="kt", overwrite=True)
    tuner.search(*prepared.train, validation_data=prepared.val, epochs=EPOCHS, verbose=0)
    trials = [tuner.oracle.trials[t] for t in sorted(tuner.oracle.trials)]
    return [dict(t.hyperparameters.values) for t in trials], tuner.oracle.get_best_trials(1)[0].score


def run_optuna(prepared, configs):
    import keras
    import optuna

    import kerashp as khp

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    class Report(keras.callbacks.Callback):
        def __init__(self, trial):
            super().__init__()
            self.trial = trial

        def on_epoch_end(self, epoch, logs=None):
            self.trial.report(float(logs["val_accuracy"]), epoch)
            if self.trial.should_prune():
                self.model.stop_training = True

    def objective(trial):
        params = {
            "layers": trial.suggest_int("layers", 1, 2),
            "units": trial.suggest_int("units", 16, 256, log=True),
            "activation": trial.suggest_categorical("activation", ["relu", "tanh"]),
            "dropout": trial.suggest_float("dropout", 0.0, 0.3),
            "learning_rate": trial.suggest_float("learning_rate", 1e-3, 1e-2, log=True),
            "batch_size": trial.suggest_categorical("batch_size", [32, 64]),
        }
        keras.utils.set_random_seed(SEED + trial.number)
        model = khp.builders.mlp(params, spec=prepared.spec)
        history = model.fit(*prepared.train, validation_data=prepared.val, epochs=EPOCHS,
                            batch_size=params["batch_size"], verbose=0, callbacks=[Report(trial)])
        return max(history.history["val_accuracy"])

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=SEED),
                                pruner=optuna.pruners.NopPruner())
    for config in configs:
        study.enqueue_trial({k: v for k, v in config.items() if k != "_epochs"})
    study.optimize(objective, n_trials=len(configs))
    return configs, study.best_value


def run_plain(workdir, prepared, configs):
    import keras

    import kerashp as khp

    best = 0.0
    for index, config in enumerate(configs):
        params = {k: v for k, v in config.items() if k != "_epochs"}
        keras.utils.set_random_seed(SEED + index)
        model = khp.builders.mlp(params, spec=prepared.spec)
        history = model.fit(*prepared.train, validation_data=prepared.val, epochs=config.get("_epochs", EPOCHS),
                            batch_size=params["batch_size"], verbose=0)
        best = max(best, max(history.history["val_accuracy"]))
    return configs, best


def child(contender, configs_path, out_path):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    import kerashp as khp

    prepared = khp.datasets.prepare("digits", seed=SEED)
    warm = khp.builders.mlp({}, spec=prepared.spec)  # pay TensorFlow's one-time start-up outside the clock
    warm.fit(*prepared.train, epochs=1, verbose=0)
    keras.backend.clear_session()
    with tempfile.TemporaryDirectory() as workdir:
        start = time.perf_counter()
        if contender == "kerashp":
            configs, best = run_kerashp(workdir, prepared)
        elif contender == "kerashp_bohb":
            configs, best = run_kerashp(workdir, prepared, "bohb")
        elif contender == "keras_tuner":
            configs, best = run_keras_tuner(workdir, prepared)
        elif contender == "optuna":
            with open(configs_path) as f:
                configs, best = run_optuna(prepared, json.load(f))
        else:
            with open(configs_path) as f:
                configs, best = run_plain(workdir, prepared, json.load(f))
        seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(out_path, "w") as f:
        json.dump({"seconds": seconds, "peak_mib": peak_mib, "best": best, "configs": configs}, f)


def _configs(rng, count):
    """`count` configurations of `space()`, drawn with `rng` (the same for both contenders)."""
    return [{"layers": rng.randint(1, 2), "units": int(round(16 * 16 ** rng.random())),
             "activation": rng.choice(["relu", "tanh"]), "dropout": rng.uniform(0.0, 0.3),
             "learning_rate": 1e-3 * 10 ** rng.random(), "batch_size": rng.choice([32, 64])} for _ in range(count)]


def interleaved(pairs):
    """kerashp and the plain loop in one process, in pairs of whole searches (see the module docstring)."""
    import random

    import kerashp as khp

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    prepared = khp.datasets.prepare("digits", seed=SEED)
    rng = random.Random(SEED)

    def kerashp(configs, workdir, name):
        khp.tune(khp.builders.mlp, {**space(), "epochs": EPOCHS}, data=(*prepared.train, *prepared.val),
                 algorithm=khp.algorithms.Random(initial=configs), objective="val_accuracy",
                 max_trials=len(configs), seed=SEED, verbose=0, run=khp.RunFolder(workdir, name))

    def plain(configs, workdir, name):
        run_plain(workdir, prepared, [{**c, "_epochs": EPOCHS} for c in configs])

    times = {"kerashp": [], "plain": []}
    with tempfile.TemporaryDirectory() as workdir:
        warm = _configs(rng, 2)
        kerashp(warm, workdir, "warm")  # imports, the first graphs: outside the clock, for both
        plain(warm, workdir, "warm")
        for pair in range(pairs):
            configs = _configs(rng, TRIALS)
            order = ("kerashp", "plain") if pair % 2 == 0 else ("plain", "kerashp")
            for contender in order:
                started = time.perf_counter()
                (kerashp if contender == "kerashp" else plain)(configs, workdir, f"{contender}{pair}")
                times[contender].append(time.perf_counter() - started)
            print(f"pair {pair + 1} ({order[0]} first): kerashp {times['kerashp'][-1]:.2f}s  "
                  f"plain {times['plain'][-1]:.2f}s  ratio {times['kerashp'][-1] / times['plain'][-1]:.3f}",
                  flush=True)
    ratios = [k / p for k, p in zip(times["kerashp"], times["plain"], strict=True)]
    total = sum(times["kerashp"]) / sum(times["plain"])
    print(f"\n{pairs} pairs of {TRIALS} trials of {EPOCHS} epoch(s): kerashp/plain over all pairs {total:.3f}x, "
          f"median pair {statistics.median(ratios):.3f}x [{', '.join(f'{r:.3f}' for r in ratios)}]")
    per_trial = (sum(times["kerashp"]) - sum(times["plain"])) / (pairs * TRIALS) * 1000
    print(f"kerashp's own time: {per_trial:.0f} ms a trial (a whole search's set-up and result included)")


def inside(pairs):
    """The same plain fit outside a search and inside a kerashp trial, in one process (see the docstring)."""
    import keras

    import kerashp as khp
    from kerashp.tuning.tuner import SearchTuner

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    prepared = khp.datasets.prepare("digits", seed=SEED)
    config = {"layers": 2, "units": 64, "activation": "relu", "dropout": 0.1, "learning_rate": 3e-3, "batch_size": 32}
    times = {"outside": [], "inside": []}

    def fit(where):
        keras.utils.set_random_seed(SEED)
        model = khp.builders.mlp(config, spec=prepared.spec)
        started = time.perf_counter()
        model.fit(*prepared.train, validation_data=prepared.val, epochs=EPOCHS, batch_size=32, verbose=0)
        times[where].append(time.perf_counter() - started)

    train = SearchTuner._train

    def measured(self, *args, **kwargs):
        fit("inside")  # where the trial's own fit runs: after its build, in its seeded block
        return train(self, *args, **kwargs)

    SearchTuner._train = measured
    with tempfile.TemporaryDirectory() as workdir:
        for pair in range(pairs + 1):  # the first pair warms both up and is left out
            fit("outside")
            khp.tune(khp.builders.mlp, {**config, "epochs": EPOCHS}, data=(*prepared.train, *prepared.val),
                     max_trials=1, seed=SEED, verbose=0, run=khp.RunFolder(workdir, f"r{pair}"))
    ratios = [i / o for i, o in zip(times["inside"][1:], times["outside"][1:], strict=True)]
    for where, values in times.items():
        print(f"{where}: median {statistics.median(values[1:]):.3f}s [{', '.join(f'{v:.2f}' for v in values[1:])}]")
    print(f"the same fit inside a trial / outside, median of {pairs} pairs: {statistics.median(ratios):.3f}x")


def main():
    global EPOCHS, TRIALS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bohb", action="store_true", help="kerashp bohb (TPE + ASHA) against the plain loop")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="epochs of each random-search trial")
    parser.add_argument("--trials", type=int, default=TRIALS)
    parser.add_argument("--interleaved", type=int, metavar="PAIRS", help="kerashp and plain in one process")
    parser.add_argument("--inside", type=int, metavar="PAIRS", help="one plain fit inside and outside a trial")
    parser.add_argument("--contenders", help="comma-separated, of " + ", ".join(CONTENDERS)
                        + " (plain and kerashp always run; default: all). Not with --bohb, which runs plain and bohb")
    parser.add_argument("--child", choices=CONTENDERS + BOHB)
    parser.add_argument("--configs")
    parser.add_argument("--out")
    args = parser.parse_args()
    EPOCHS, TRIALS = args.epochs, args.trials
    if args.bohb and args.contenders:
        parser.error(f"--bohb runs the plain loop and kerashp's bohb only; received --contenders {args.contenders}. "
                     "Drop one of them.")
    unknown = sorted(set((args.contenders or "").split(",")) - set(CONTENDERS) - {""})
    if unknown:
        parser.error(f"--contenders takes {', '.join(CONTENDERS)}; received {', '.join(unknown)}.")
    if args.child:
        child(args.child, args.configs, args.out)
        return
    if args.interleaved:
        interleaved(args.interleaved)
        return
    if args.inside:
        inside(args.inside)
        return

    tmp = tempfile.mkdtemp()
    configs_path = os.path.join(tmp, "configs.json")
    chosen = {"plain", "kerashp", *(args.contenders or ",".join(CONTENDERS)).split(",")}
    contenders = BOHB if args.bohb else tuple(c for c in CONTENDERS if c in chosen)
    runs = {c: [] for c in contenders}
    first = sorted(contenders, key=lambda c: not c.startswith("kerashp"))  # kerashp draws the others' configs
    for repeat in range(args.repeats):
        order = first[repeat % len(first):] + first[:repeat % len(first)]  # each contender's place rotates
        for contender in order:
            out = os.path.join(tmp, f"{contender}-{repeat}.json")
            subprocess.run([sys.executable, __file__, "--child", contender, "--configs", configs_path, "--out", out,
                            "--epochs", str(args.epochs), "--trials", str(args.trials)], check=True)
            with open(out) as f:
                run = json.load(f)
            if contender.startswith("kerashp") and repeat == 0:
                with open(configs_path, "w") as f:
                    json.dump(run["configs"], f)
            runs[contender].append(run)
            print(f"round {repeat + 1} {contender:12s} {run['seconds']:7.1f}s  peak {run['peak_mib']:6.0f} MiB  "
                  f"best val_accuracy {run['best']:.4f}", flush=True)

    if "keras_tuner" in runs:
        same = runs["keras_tuner"][0]["configs"] == [
            {k: v for k, v in c.items() if k != "_epochs"} for c in runs["kerashp"][0]["configs"]]
        print(f"\nkeras-tuner drew the same {args.trials} configurations as kerashp: {same}")
    if args.bohb:
        epochs = [c["_epochs"] for c in runs["kerashp_bohb"][0]["configs"]]
        print(f"\nbohb's {len(epochs)} trials trained {sum(epochs)} epochs in all: {epochs}")
    plain = statistics.median(r["seconds"] for r in runs["plain"])
    print()
    print("| contender | wall time, median (s) | runs (s) | vs plain loop | each round against its plain run "
          "(median) | peak RSS, median (MiB) | best val_accuracy |")
    print("|---|---|---|---|---|---|---|")
    for contender in contenders:
        seconds = [r["seconds"] for r in runs[contender]]
        median = statistics.median(seconds)
        ratios = [s / r["seconds"] for s, r in zip(seconds, runs["plain"], strict=True)]
        peak = statistics.median(r["peak_mib"] for r in runs[contender])
        best = statistics.median(r["best"] for r in runs[contender])
        print(f"| {contender} | {median:.1f} | {', '.join(f'{s:.1f}' for s in seconds)} | {median / plain:.3f}x "
              f"| {', '.join(f'{r:.3f}' for r in ratios)} ({statistics.median(ratios):.3f}x) "
              f"| {peak:.0f} | {best:.4f} |")


if __name__ == "__main__":
    main()
