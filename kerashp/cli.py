"""The `kerashp` command: `demo`, `tune CONFIG.yaml`, `results DIR`, `plot DIR [KIND]`.

`kerashp --help` answers without importing TensorFlow. Errors name flags and
YAML keys (`--if-exists resume`, `if_exists: resume` under `run:`), not Python arguments
(`kerashp._checks.setting`), and TensorFlow's C++ start-up lines are held
back below `TF_CPP_MIN_LOG_LEVEL` (default 3; `_import_tensorflow`).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

from kerashp._checks import command_line_messages
from kerashp.config import config_keys, load_config
from kerashp.exceptions import KerashpError

__all__ = ["demo_space", "main"]

# A line TensorFlow's C++ logging writes: severity, date, time (seconds since
# 1970 before absl's logging starts), thread, file:line.
_TF_LOG_LINE = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\] ")


def demo_space() -> dict:
    """The space `kerashp demo` searches."""
    from kerashp.space import Float

    return {
        "layers": [1, 2],
        "units": [64, 128, 256],
        "activation": ["relu", "gelu"],
        "dropout": (0.0, 0.3),
        "learning_rate": Float(1e-3, 1e-2, log=True),
        "batch_size": [32, 64],
    }


def _save_plots(result: Any, kinds: Any = None, directory: str | None = None) -> None:
    """Writes the PNGs of `kinds` (default `MAIN_KINDS`) and prints where."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no window, no display needed
    from kerashp import plots

    written, skipped = plots.save(result, plots.MAIN_KINDS if kinds is None else kinds, directory)
    if written:
        folder = next(iter(written.values())).parent
        print(f"plots written to {folder}: {', '.join(p.name for p in written.values())}")
    for kind, why in skipped.items():
        print(f"  no {kind} plot: {why}")


def _cmd_demo(args: argparse.Namespace) -> int:
    import kerashp as khp

    print("kerashp demo: BOHB (TPE + ASHA) over an MLP on scikit-learn's digits (8x8 images, 10 classes)")
    result = khp.tune(
        khp.builders.mlp,
        demo_space(),
        data="digits",
        algorithm="bohb",
        objective="val_accuracy",
        max_epochs=args.max_epochs,
        seed=args.seed,
        run=khp.RunFolder(args.directory, "demo", if_exists="overwrite"),
        verbose=1,
    )
    print()
    print(result.summary(n=8))
    print(f"\nresults written to {result.path}  (reopen: kerashp results {result.path})")
    _save_plots(result)
    return 0


def _flags(args: argparse.Namespace) -> dict[str, Any]:
    """The options the command line's flags set, as YAML reads their values."""
    import yaml

    from kerashp.options import OPTIONS

    given = {}
    for option in OPTIONS:
        text = getattr(args, option.name, None) if option.flag else None
        if text is not None:
            try:
                given[option.name] = yaml.safe_load(text)
            except yaml.YAMLError:
                given[option.name] = text
    return given


def _cmd_tune(args: argparse.Namespace) -> int:
    import kerashp as khp

    kwargs = load_config(args.config, _flags(args))
    result = khp.tune(kwargs.pop("build_fn"), kwargs.pop("space"), **kwargs)
    print()
    print(result.summary())
    print(f"\nresults written to {result.path}")
    _save_plots(result)
    return 0


def _cmd_results(args: argparse.Namespace) -> int:
    from kerashp.tuning.result import load_result

    result = load_result(args.directory)
    if args.all:
        import pandas as pd

        with pd.option_context("display.width", 200, "display.max_columns", 30, "display.max_rows", 500):
            print(result.trials.to_string(index=False))
    else:
        print(result.summary(n=args.top))
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    from kerashp.plots import KINDS, check_kind
    from kerashp.tuning.result import load_result

    if args.kind is not None:
        check_kind(args.kind)
    result = load_result(args.directory)
    _save_plots(result, KINDS if args.kind is None else [args.kind], args.out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kerashp", description="Hyperparameter tuning for Keras models.")
    from kerashp import __version__

    parser.add_argument("--version", action="version", version=f"kerashp {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="tune an MLP on the bundled digits data (1-2 minutes on 2 cores)")
    demo.add_argument("--max-epochs", type=int, default=9, help="Hyperband's largest epoch budget (default 9)")
    demo.add_argument("--directory", default="kerashp_runs", help="parent folder of the run (default kerashp_runs)")
    demo.add_argument("--seed", type=int, default=0, help="seed of the search (default 0)")
    demo.set_defaults(func=_cmd_demo)
    tune = sub.add_parser("tune", help="run the search described by a YAML config",
                          epilog=f"YAML keys (kerashp.tune's options, docs/options.md): {', '.join(config_keys())}. "
                          "Each flag overrides the YAML's value.")
    tune.add_argument("config", help="YAML file: builder, data, algorithm, space, budget")
    from kerashp.options import GROUPS, OPTIONS

    for option in OPTIONS:
        if option.flag:
            where = f"`{option.name}:` under `{option.group}:`" if option.group else f"`{option.name}:`"
            tune.add_argument(option.flag, dest=option.name, metavar="VALUE",
                              help=f"{option.doc.split('. ')[0].rstrip('.')} (YAML: {where}; "
                              f"{GROUPS[option.group].__name__ if option.group else 'tune'})".replace("%", "%%"))

    tune.set_defaults(func=_cmd_tune)
    results = sub.add_parser("results", help="show the trials of a finished or interrupted run")
    results.add_argument("directory", help="the run's folder, e.g. kerashp_runs/demo")
    results.add_argument("--top", type=int, default=10, help="rows to show (default 10)")
    results.add_argument("--all", action="store_true", help="every trial and column")
    results.set_defaults(func=_cmd_results)
    plot = sub.add_parser("plot", help="draw a run's plots as PNG files")
    plot.add_argument("directory", help="the run's folder, e.g. kerashp_runs/demo")
    plot.add_argument("kind", nargs="?", help="history, scores, parallel, slice, importance, contour or edf "
                      "(default: every kind the run allows)")
    plot.add_argument("--out", help="folder for the PNGs (default: the run's plots/ folder)")
    plot.set_defaults(func=_cmd_plot)
    return parser


def _import_tensorflow() -> None:
    """Imports TensorFlow, passing on only the C++ start-up lines at or above
    `TF_CPP_MIN_LOG_LEVEL` (0 info, 1 warning, 2 error, 3 fatal).

    TensorFlow 2.21 writes its start-up lines (oneDNN, CUDA drivers, CPU
    instructions) through absl before its own logging reads the variable, so
    the variable alone does not hold them back; and it writes them twice:
    `import tensorflow` also loads the profiler's extension
    (`_pywrap_profiler_plugin.so`), which links its own copy of that start-up
    code. Only the command owns the process's stderr, so it reads what is
    written there during the import and passes on the rest.
    """
    if "tensorflow" in sys.modules:
        return
    try:
        level = int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    except ValueError:
        level = 0
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to read
        import tensorflow  # noqa: F401

        return
    with tempfile.TemporaryFile() as written:
        os.dup2(written.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            written.seek(0)
            sys.stderr.write(_below_level_dropped(written.read().decode(errors="replace"), level))


def _below_level_dropped(text: str, level: int) -> str:
    """`text` without TensorFlow's C++ log lines below `level` (and absl's
    banner about them, a warning); every other line is kept."""
    kept, dropping = [], False
    for line in text.splitlines(keepends=True):
        record = _TF_LOG_LINE.match(line)
        if record or line.startswith("WARNING: All log messages before absl::InitializeLog()"):
            dropping = "IWEF".index(record.group(1)) < level if record else level >= 1
        elif not (dropping and line.startswith("To enable the following instructions")):
            dropping = False  # cpu_feature_guard's second line goes with its first
        if not dropping:
            kept.append(line)
    return "".join(kept)


def _interrupted(args: argparse.Namespace) -> str:
    """What Ctrl-C leaves, and the command that carries on."""
    if args.command == "tune":
        again = ["kerashp", "tune", args.config, *(["--directory", args.directory] if args.directory else []),
                 "--if-exists", "resume"]
        return f"interrupted; finished trials are saved. Continue with:\n  {shlex.join(again)}"
    if args.command == "demo":
        return (f"interrupted; finished trials are in {os.path.join(args.directory, 'demo')} "
                "(`kerashp demo` starts over).")
    return "interrupted."


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # 3, not 2: at 2 every CPU-only machine gets TensorFlow's "failed call to cuInit" error line.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        with command_line_messages():
            if args.command in ("demo", "tune"):
                _import_tensorflow()
            return args.func(args)
    except KerashpError as err:
        print(f"kerashp: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nkerashp: {_interrupted(args)}", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
