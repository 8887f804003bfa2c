"""What keras-tuner 1.4.8, used directly, does when a search meets a fault.

Measured, not quoted: each case runs a `keras_tuner.RandomSearch` (and a
`Hyperband` where its bracket bookkeeping could change the answer) over a tiny
hypermodel, Dense(units in 4..32, relu) then Dense(10, softmax), on 300
scikit-learn digits (240 train / 60 validation), 1-2 epochs a trial, in a
temporary folder. The case makes its fault (a file truncated, a callback that
kills the process, bad data, a read-only folder...) and records what happened
in one line: the exception and the first line of its message (and whether it
names the file), the trial statuses and scores, or what a resume kept.

Case 0 is the same search with no fault, for scale: the model trains with
Adam at 1e-2, so one epoch lifts val_accuracy well above chance (0.1).

Every search runs in a fresh subprocess of this script (`--child SPEC`), so a
crash or a kill is contained and no TensorFlow state leaks between cases. The
parent never imports TensorFlow: it corrupts files and reads the trial files
keras-tuner leaves on disk. Run as root, the read-only case drops the child to
`nobody` after its imports, since root ignores mode bits.

    python benchmarks/reliability_peers.py                  # cases 0-14 (about 6 minutes on 2 cores)
    python benchmarks/reliability_peers.py --memory         # and case 15, 60 trials (about 1.5 minutes more)
    python benchmarks/reliability_peers.py --only 1,11 --out /tmp/rows.json

Prints a Markdown table `| case | keras-tuner 1.4.8 did |` and writes the same
rows to `--out` (JSON).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

PROJECT = "search"
RESULT_PREFIX = "RESULT "
SEARCH_DONE = "SEARCH DONE"  # a child writes it to stderr when `search` returns
NOBODY_UID = 65534  # root ignores mode bits, so the read-only case runs as `nobody`
LABEL_NEEDLE = "outside the valid range"
FITS_STARTED = 0  # trials that reached `fit` in this (child) process; the callbacks key on it
SEARCHING = False  # keras-tuner also builds a model to find the search space: not a trial
CLEAN_TRIALS: dict[str, int] = {}  # trials an uninterrupted search makes, by tuner (parent side)


# ------------------------------------------------------------------ child side
def load_data(kind: str):
    """300 digits as (x, y, x_val, y_val), spoiled as `kind` says."""
    import numpy as np
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x[:300] / 16.0).astype("float32")
    y = y[:300].astype("int64")
    x_train, y_train, x_val, y_val = x[:240], y[:240], x[240:], y[240:]
    if kind == "nan":
        x_train = x_train.copy()
        x_train[[3, 50, 120], [10, 20, 30]] = np.nan
    elif kind == "empty":
        x_train, y_train = x_train[:0], y_train[:0]
    elif kind == "labels11":
        y_train = y_train.copy()
        y_train[y_train == 9] = 10  # labels 0..10 for a 10-way softmax
    return x_train, y_train, x_val, y_val


def make_hypermodel(spec: dict) -> Callable:
    """The tiny hypermodel; it logs each build's values to the spec's journal."""
    import keras

    def build(hp):
        units = hp.Int("units", 4, 32)
        if spec.get("learning_rate_hp"):  # a continuous value, so 60 trials never collide
            hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
        if SEARCHING:
            with open(spec["journal"], "a") as journal:
                journal.write(json.dumps(hp.values) + "\n")
        if spec.get("fault") == "build_raises" and units > 24:
            raise ValueError(f"units={units} does not fit on this device (simulated)")
        model = keras.Sequential([
            keras.Input((64,)),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ])
        learning_rate = spec.get("sgd_learning_rate")
        # Adam at 1e-2 learns digits in one epoch, so a broken trial stands apart from a sound one.
        optimizer = keras.optimizers.SGD(learning_rate) if learning_rate else keras.optimizers.Adam(1e-2)
        model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    return build


def make_fault_callback(kind: str | None, trial: int):
    """A callback that counts fits and, in the `trial`-th fit's second batch, does `kind`."""
    import keras

    class Fault(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            global FITS_STARTED
            FITS_STARTED += 1

        def on_train_batch_end(self, batch, logs=None):
            if FITS_STARTED != trial or batch != 1:
                return
            if kind == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            elif kind == "sigint":
                os.kill(os.getpid(), signal.SIGINT)  # Python raises KeyboardInterrupt
            elif kind == "oom":
                import tensorflow as tf

                raise tf.errors.ResourceExhaustedError(
                    None, None, "OOM when allocating tensor with shape[4096,4096] (simulated)")

    return Fault()


def resident_mb() -> float:
    try:
        import psutil
    except ImportError:
        with open("/proc/self/status") as status:
            kb = next(line.split()[1] for line in status if line.startswith("VmRSS:"))
        return int(kb) / 1024
    return psutil.Process().memory_info().rss / 2**20


def make_memory_callback(samples: dict):
    """A callback that writes resident memory after each trial's fit into `samples`."""
    import keras

    class Memory(keras.callbacks.Callback):
        def on_train_end(self, logs=None):
            samples[FITS_STARTED] = resident_mb()

    return Memory()


def make_tuner(spec: dict):
    import keras_tuner

    common = {
        "objective": spec.get("objective", "val_accuracy"),
        "seed": 0,
        "directory": spec["directory"],
        "project_name": PROJECT,
        "overwrite": spec.get("overwrite", True),
    }
    if spec.get("tuner") == "hyperband":
        return keras_tuner.Hyperband(make_hypermodel(spec), max_epochs=3, factor=3, **common)
    return keras_tuner.RandomSearch(make_hypermodel(spec), max_trials=spec.get("max_trials", 3), **common)


def describe_error(error: BaseException) -> dict:
    return {"type": type(error).__name__, "message": str(error)[:20000]}


def run_child(spec: dict) -> dict:
    """Does `spec["actions"]` with keras-tuner; returns the error, if any, and extras."""
    global SEARCHING
    import keras
    import numpy as np

    keras.utils.set_random_seed(0)
    result: dict = {"error": None, "extra": {}}
    memory: dict[int, float] = {}
    stage = "the tuner's constructor"
    try:
        tuner = make_tuner(spec)
        stage = "search"
        x, y, x_val, y_val = load_data(spec.get("data", "clean"))
        if "search" in spec["actions"]:
            callbacks = [make_fault_callback(spec.get("fault"), spec.get("fault_trial", 3))]
            if spec.get("memory"):
                callbacks.append(make_memory_callback(memory))
            fit = {} if spec.get("tuner") == "hyperband" else {"epochs": spec.get("epochs", 1)}
            SEARCHING = True
            tuner.search(x, y, validation_data=(x_val, y_val), batch_size=32, callbacks=callbacks,
                         verbose=spec.get("verbose", 0), **fit)
            SEARCHING = False
            print(SEARCH_DONE, file=sys.stderr, flush=True)
        if "best_models" in spec["actions"]:
            stage = "get_best_models"
            model = tuner.get_best_models(1)[0]
            predictions = model.predict(x_val, verbose=0)
            result["extra"]["best_predictions_nan"] = bool(np.isnan(predictions).any())
            result["extra"]["best_weights_nan"] = any(bool(np.isnan(w).any()) for w in model.get_weights())
            result["extra"]["best_trial"] = tuner.oracle.get_best_trials(1)[0].trial_id
    except BaseException as error:  # KeyboardInterrupt included: it is one of the cases
        result["error"] = describe_error(error) | {"stage": stage}
    result["extra"]["memory_mb"] = memory
    return result


def child_main(spec_json: str) -> None:
    spec = json.loads(spec_json)
    if spec.get("as_nobody"):
        # The interpreter's own library may sit under root's home: import first, then drop to `nobody`.
        import keras  # noqa: F401
        import keras_tuner  # noqa: F401
        import sklearn.datasets  # noqa: F401
        import tensorflow  # noqa: F401

        os.setgid(NOBODY_UID)
        os.setuid(NOBODY_UID)
    result = run_child(spec)
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# ----------------------------------------------------------------- parent side
def spawn(spec: dict, timeout: float = 900) -> dict:
    """Runs one child; returns its result, exit code and output (without the result line)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    if spec.get("as_nobody"):
        env["HOME"] = spec["directory_parent"]
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)],
                          capture_output=True, text=True, timeout=timeout, env=env)
    lines = proc.stdout.splitlines()
    results = [json.loads(line[len(RESULT_PREFIX):]) for line in lines if line.startswith(RESULT_PREFIX)]
    output = "\n".join(line for line in lines if not line.startswith(RESULT_PREFIX)) + proc.stderr
    search_stderr = proc.stderr.split(SEARCH_DONE)[0]
    if results:
        result = results[-1]
    else:  # killed, or crashed before it could report
        tail = first_line("\n".join(output.strip().splitlines()[-1:]))
        result = {"error": {"type": f"exit {proc.returncode}", "message": tail, "stage": "the child"},
                  "extra": {}}
    result.update(returncode=proc.returncode, output=output, search_stderr=search_stderr)
    return result


def search_spec(work: Path, name: str, **options) -> dict:
    """A spec for one child whose tuner lives in `work / "runs"`, journal `work / name`."""
    spec = {"directory": str(work / "runs"), "journal": str(work / f"{name}.jsonl"),
            "actions": ["search"], "max_trials": 3, "epochs": 1}
    spec.update(options)
    return spec


def project_dir(work: Path) -> Path:
    return work / "runs" / PROJECT


def read_trials(project: Path) -> dict[str, dict]:
    """The trials keras-tuner left on disk: id -> status, score, values (UNREADABLE if broken)."""
    trials = {}
    for path in sorted(project.glob("trial_*/trial.json")):
        trial_id = path.parent.name.removeprefix("trial_")
        try:
            state = json.loads(path.read_text())
        except (ValueError, OSError):
            trials[trial_id] = {"status": "UNREADABLE", "score": None, "values": None,
                                "message": None, "metrics": {}}
            continue
        metrics = {name: metric["observations"][-1]["value"][0]
                   for name, metric in state["metrics"]["metrics"].items() if metric["observations"]}
        trials[trial_id] = {"status": state["status"], "score": state["score"], "metrics": metrics,
                            "values": state["hyperparameters"]["values"], "message": state["message"]}
    return trials


def metrics_summary(trial: dict) -> str:
    """A trial's last value of each metric it recorded."""
    return "{" + ", ".join(f"{name}: {value:.4g}" for name, value in sorted(trial["metrics"].items())) + "}"


def warnings_in(output: str) -> list[str]:
    """The distinct `SomethingWarning: message` lines a child printed, shortened."""
    found = re.findall(r"(\w+Warning: [^\n]{0,90})", output)
    return list(dict.fromkeys(found))


def read_journal(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def first_line(message: str) -> str:
    return next((line.strip() for line in message.splitlines() if line.strip()), "(empty message)")


def exception_line(traceback_text: str | None) -> str:
    """The last `SomeError: ...` header in a traceback keras-tuner stored as a trial message."""
    if not traceback_text:
        return "(no message)"
    headers = re.findall(r"^([\w.]*(?:Error|Exception|Interrupt)\w*: .*)$", traceback_text, re.M)
    if not headers:
        return first_line(traceback_text)
    name, _, rest = headers[-1].partition(": ")
    return f"{name.rsplit('.', 1)[-1]}: {rest}"


def error_summary(result: dict, names: tuple[str, ...] = ()) -> str:
    """`Type: first line` of a child's error; says whether the message names any of `names`."""
    error = result["error"]
    if error["type"].startswith("exit"):
        return f"the child died ({error['type']}): {error['message']}"
    text = f"{error['stage']} raised {error['type']}: {first_line(error['message'])}"
    if error["message"].startswith("Number of consecutive failures"):
        text += f" (the last failed trial's traceback is appended; it ends `{exception_line(error['message'])}`)"
    if names:
        named = [name for name in names if name in error["message"]]
        text += (f"; message names {', '.join(f'`{n}`' for n in named)}" if named
                 else "; message names no file or argument")
    return text


def status_summary(trials: dict[str, dict]) -> str:
    counts = collections.Counter(trial["status"] for trial in trials.values())
    scores = ", ".join(f"{trial_id}:{_score(t['score'])}" for trial_id, t in sorted(trials.items()))
    return f"{dict(counts)}; scores {scores}"


def _score(score: float | None) -> str:
    return "None" if score is None else f"{score:.3f}"


def resume_summary(before: dict[str, dict], after: dict[str, dict], rebuilt: list[dict],
                   expected: int) -> str:
    """How a resume treated the trials on disk before it: kept, re-run, new, duplicated."""
    rebuilt_keys = [json.dumps(values, sort_keys=True) for values in rebuilt]
    kept, rerun = [], []
    for trial_id, trial in sorted(before.items()):
        key = json.dumps(trial["values"], sort_keys=True)
        if key in rebuilt_keys:
            rerun.append(f"{trial_id} ({trial['status']} before)")
        elif after.get(trial_id, {}).get("status") == trial["status"] == "COMPLETED":
            kept.append(trial_id)
    new = sorted(set(after) - set(before))
    final_counts = collections.Counter(json.dumps(t["values"], sort_keys=True)
                                       for t in after.values() if t["values"])
    duplicates = {key for key, n in final_counts.items() if n > 1}
    duplicates |= {key for key, n in collections.Counter(rebuilt_keys).items() if n > 1}
    statuses = dict(collections.Counter(t["status"] for t in after.values()))
    return (f"resumed: {len(kept)} trials kept, {len(rerun)} re-run [{', '.join(rerun)}], "
            f"{len(new)} new; final {len(after)} trials ({expected} expected) {statuses}; "
            f"duplicates: {len(duplicates) or 'none'}")


def truncate(path: Path, fraction: float) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])


def garble(path: Path) -> None:
    """Overwrites `path` with as many bytes of garbage, keeping its size."""
    size = path.stat().st_size
    path.write_bytes((b"\x00garbage\xff" * (size // 10 + 1))[:size])


# --------------------------------------------------------------------- cases
def corrupt_then_resume(work: Path, relative: str, corrupt: Callable[[Path], None]) -> str:
    """A finished 3-trial search, `corrupt` applied to `relative`, then a resume to 4 trials."""
    first = spawn(search_spec(work, "first"))
    if first["error"]:
        return "setup failed: " + error_summary(first)
    target = project_dir(work) / relative
    corrupt(target)
    before = read_trials(project_dir(work))
    second = spawn(search_spec(work, "resume", overwrite=False, max_trials=4))
    if second["error"]:
        return error_summary(second, names=(str(target), relative, target.name))
    return resume_summary(before, read_trials(project_dir(work)), read_journal(work / "resume.jsonl"), 4)


def case_reference(work: Path) -> str:
    spawn(search_spec(work, "run"))
    return status_summary(read_trials(project_dir(work)))


def case_trial_json_half(work: Path) -> str:
    return corrupt_then_resume(work, "trial_1/trial.json", lambda p: truncate(p, 0.5))


def case_trial_json_empty(work: Path) -> str:
    return corrupt_then_resume(work, "trial_1/trial.json", lambda p: truncate(p, 0.0))


def case_oracle_json_half(work: Path) -> str:
    return corrupt_then_resume(work, "oracle.json", lambda p: truncate(p, 0.5))


def case_garbage_checkpoint(work: Path) -> str:
    first = spawn(search_spec(work, "first", max_trials=2))
    if first["error"]:
        return "setup failed: " + error_summary(first)
    trials = read_trials(project_dir(work))
    best = max(trials, key=lambda trial_id: trials[trial_id]["score"])
    checkpoints = list((project_dir(work) / f"trial_{best}").glob("checkpoint*"))
    for checkpoint in checkpoints:
        garble(checkpoint)
    second = spawn(search_spec(work, "best", overwrite=False, max_trials=2, actions=["best_models"]))
    garbled = ", ".join(p.name for p in checkpoints)
    if second["error"]:
        names = tuple(str(p) for p in checkpoints) + tuple(p.name for p in checkpoints)
        return f"garbled trial_{best}/{garbled}: " + error_summary(second, names=names)
    return f"garbled trial_{best}/{garbled}: get_best_models returned a model, NaN predictions: " \
           f"{second['extra']['best_predictions_nan']}"


def case_diverging(work: Path) -> str:
    parts = []
    for learning_rate, objective in ((1e6, "val_accuracy"), (1e12, "val_accuracy"), (1e12, "val_loss")):
        sub = work / f"{learning_rate:g}_{objective}"
        sub.mkdir()
        result = spawn(search_spec(sub, "run", max_trials=2, epochs=2, sgd_learning_rate=learning_rate,
                                   objective=objective, actions=["search", "best_models"]))
        trials = read_trials(project_dir(sub))
        text = (f"lr={learning_rate:g}, objective {objective}: {status_summary(trials)}, "
                f"trial 0 recorded {metrics_summary(trials['0'])}; ")
        if result["error"]:
            text += error_summary(result)
        else:
            text += (f"get_best_models returns trial {result['extra']['best_trial']}, its weights NaN: "
                     f"{result['extra']['best_weights_nan']}, predictions NaN: "
                     f"{result['extra']['best_predictions_nan']}")
        parts.append(text)
    return " / ".join(parts)


def data_case(work: Path, data: str, needle: str | None = None) -> str:
    """A 3-trial search on spoiled data: what it raised, what the trials and the best model say."""
    result = spawn(search_spec(work, "run", data=data, actions=["search", "best_models"]))
    trials = read_trials(project_dir(work))
    text = error_summary(result) + "; " if result["error"] else "search returned; "
    text += status_summary(trials)
    if trials.get("0", {}).get("metrics"):
        text += f"; trial 0 recorded {metrics_summary(trials['0'])}"
    if not result["error"]:
        text += (f"; get_best_models works, its weights NaN: {result['extra']['best_weights_nan']}, "
                 f"predictions NaN: {result['extra']['best_predictions_nan']}")
    messages = [t["message"] for t in trials.values() if t["message"]]
    if messages:
        text += f"; trial message ends `{exception_line(messages[0])}`"
    if not needle:
        shown = warnings_in(result["search_stderr"])
        return text + (f"; search warned: {' / '.join(shown)}" if shown else "; search printed no warning")
    raised = result["error"]["message"] if result["error"] else ""
    where = [name for name, hay in (("raised message", raised),
                                    ("trial.json message", " ".join(messages)),
                                    ("stderr (each failed trial's traceback)", result["output"]))
             if needle in hay]
    if where and raised:
        line_no = next(i for i, line in enumerate(raised.splitlines(), 1) if needle in line)
        where[0] += f" (line {line_no} of {len(raised.splitlines())})"
    return text + f"; `{needle}` appears in: {', '.join(where) or 'nowhere'}"


def case_nan_inputs(work: Path) -> str:
    return data_case(work, "nan")


def case_empty_data(work: Path) -> str:
    return data_case(work, "empty")


def case_labels_out_of_range(work: Path) -> str:
    return data_case(work, "labels11", needle=LABEL_NEEDLE)


def failing_trials_case(work: Path, fault: str) -> str:
    result = spawn(search_spec(work, "run", max_trials=6, fault=fault, fault_trial=2))
    trials = read_trials(project_dir(work))
    text = error_summary(result) + "; " if result["error"] else "search continued and returned; "
    text += status_summary(trials)
    failed = {trial_id: exception_line(t["message"]) for trial_id, t in sorted(trials.items())
              if t["status"] != "COMPLETED"}
    if not failed:
        return text
    printed = all(line in result["search_stderr"] for line in failed.values())
    return (text + "; failed trials' messages: " + ", ".join(f"{i} `{line}`" for i, line in failed.items())
            + f"; traceback printed to stderr: {'yes' if printed else 'no'}")


def case_build_raises(work: Path) -> str:
    return failing_trials_case(work, "build_raises")


def case_resource_exhausted(work: Path) -> str:
    return failing_trials_case(work, "oom")


def clean_hyperband_trials(work: Path) -> int:
    """How many trials the same Hyperband makes when nothing interrupts it (run once)."""
    if "hyperband" not in CLEAN_TRIALS:
        sub = work / "clean_hyperband"
        sub.mkdir()
        spawn(search_spec(sub, "clean", tuner="hyperband"))
        CLEAN_TRIALS["hyperband"] = len(read_trials(project_dir(sub)))
    return CLEAN_TRIALS["hyperband"]


def interrupt_then_resume(work: Path, fault: str) -> str:
    """The third trial is killed (or interrupted) mid-fit; then the same search resumes."""
    parts = []
    for tuner in ("random", "hyperband"):
        sub = work / tuner
        sub.mkdir()
        first = spawn(search_spec(sub, "first", tuner=tuner, max_trials=4, fault=fault, fault_trial=3))
        how = (("died: " if first["error"]["type"].startswith("exit") else "raised ")
               + first["error"]["type"]) if first["error"] else "finished (no fault?)"
        before = read_trials(project_dir(sub))
        second = spawn(search_spec(sub, "resume", tuner=tuner, max_trials=4, overwrite=False))
        if second["error"]:
            summary = error_summary(second)
        else:
            expected = 4 if tuner == "random" else clean_hyperband_trials(work)
            summary = resume_summary(before, read_trials(project_dir(sub)),
                                     read_journal(sub / "resume.jsonl"), expected)
        name = "RandomSearch(max_trials=4)" if tuner == "random" else "Hyperband(max_epochs=3, factor=3)"
        on_disk = dict(collections.Counter(t["status"] for t in before.values()))
        parts.append(f"{name}: {how}, trials on disk {on_disk}; {summary}")
    return " / ".join(parts)


def case_sigkill(work: Path) -> str:
    return interrupt_then_resume(work, "kill")


def case_sigint(work: Path) -> str:
    return interrupt_then_resume(work, "sigint")


def case_read_only(work: Path) -> str:
    parent = work / "readonly"
    parent.mkdir()
    parent.chmod(0o555)
    as_nobody = os.geteuid() == 0
    work.chmod(0o777)  # so `nobody` can reach the folder and write its journal and HOME
    spec = search_spec(work, "run", directory=str(parent), directory_parent=str(work), as_nobody=as_nobody)
    try:
        result = spawn(spec)
    finally:
        parent.chmod(0o755)
    who = " (run as `nobody`: root ignores mode bits)" if as_nobody else ""
    if result["error"]:
        return error_summary(result, names=(str(parent), str(parent / PROJECT))) + who
    return f"search returned with no error{who}; files written: {sorted(p.name for p in parent.iterdir())}"


def case_project_is_file(work: Path) -> str:
    parts = []
    for overwrite in (False, True):
        runs = work / f"overwrite_{overwrite}"
        runs.mkdir()
        target = runs / PROJECT
        target.write_text("a user's file\n")
        result = spawn(search_spec(work, f"run_{overwrite}", directory=str(runs), overwrite=overwrite))
        text = (error_summary(result, names=(str(target),)) if result["error"]
                else f"search returned, {status_summary(read_trials(target)) if target.is_dir() else ''}")
        survived = target.is_file() and target.read_text() == "a user's file\n"
        parts.append(f"overwrite={overwrite}: {text}; the file {'survived' if survived else 'is GONE'}")
    return " / ".join(parts)


def case_memory(work: Path) -> str:
    result = spawn(search_spec(work, "run", max_trials=60, memory=True, learning_rate_hp=True), timeout=1800)
    if result["error"]:
        return error_summary(result)
    memory = {int(k): v for k, v in result["extra"]["memory_mb"].items()}
    if 10 not in memory or 60 not in memory:
        return f"only {len(memory)} trials ran ({status_summary(read_trials(project_dir(work)))})"
    per_trial = (memory[60] - memory[10]) / 50
    return (f"RSS {memory[1]:.0f} MB after trial 1, {memory[10]:.0f} MB after trial 10, "
            f"{memory[60]:.0f} MB after trial 60: {per_trial:+.2f} MB per trial (trials 10-60)")


CASES: dict[int, tuple[str, Callable[[Path], str]]] = {
    0: ("0. no fault, 3 trials of 1 epoch (reference)", case_reference),
    1: ("1. `trial_1/trial.json` truncated to half, resume (overwrite=False)", case_trial_json_half),
    2: ("2. `trial_1/trial.json` emptied (0 bytes), resume", case_trial_json_empty),
    3: ("3. `oracle.json` truncated to half, resume", case_oracle_json_half),
    4: ("4. best trial's checkpoint overwritten with garbage, `get_best_models()`", case_garbage_checkpoint),
    5: ("5. diverging trials (SGD learning_rate=1e6, 1e12), 2 epochs", case_diverging),
    6: ("6. NaN in 3 input values", case_nan_inputs),
    7: ("7. empty training data (0 rows)", case_empty_data),
    8: ("8. labels 0..10 for Dense(10)", case_labels_out_of_range),
    9: ("9. build raises ValueError for units > 24 (6 trials)", case_build_raises),
    10: ("10. `tf.errors.ResourceExhaustedError` from a callback in trial 2 (6 trials)",
         case_resource_exhausted),
    11: ("11. SIGKILL mid-trial 3 of 4, resume", case_sigkill),
    12: ("12. SIGINT (KeyboardInterrupt) mid-trial 3 of 4, resume", case_sigint),
    13: ("13. `directory` read-only (0o555)", case_read_only),
    14: ("14. project path is an existing regular file", case_project_is_file),
    15: ("15. memory: RSS over 60 one-epoch trials", case_memory),
}


def run_case(number: int) -> dict:
    title, case = CASES[number]
    with tempfile.TemporaryDirectory(prefix=f"kt_case{number}_") as work:
        try:
            outcome = case(Path(work))
        except Exception as error:  # a bug in the harness, not keras-tuner's behaviour
            outcome = f"HARNESS ERROR {type(error).__name__}: {error}"
        outcome = outcome.replace(work, "<tmp>")
    return {"case": title, "outcome": outcome.replace("|", "\\|").replace("\n", " ")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory", action="store_true", help="also run case 15 (60 trials)")
    parser.add_argument("--only", help="comma-separated case numbers, e.g. 1,11")
    parser.add_argument("--out", default="benchmarks/reliability_peers.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child)
        return

    if args.only:
        numbers = [int(n) for n in args.only.split(",")]
    else:
        numbers = [n for n in CASES if n != 15 or args.memory]
    version = metadata.version("keras-tuner")
    rows = []
    print(f"| case | keras-tuner {version} did |")
    print("|---|---|")
    for number in numbers:
        row = run_case(number)
        rows.append(row)
        print(f"| {row['case']} | {row['outcome']} |", flush=True)
    Path(args.out).write_text(json.dumps({"keras_tuner": version, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
