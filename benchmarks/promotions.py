"""Hyperband's promotions: the parent's model kept in memory against rebuilt.

kerashp's `hyperband` runs one Hyperband iteration (27 epochs at most, factor
3) on the race's setting (`race.py`: digits, same split, builder and space),
once with the promoted trials training on the parent's model kept in memory
(the default) and once with nothing kept, so every promoted trial rebuilds
its model and loads its parent's weights file (keras-tuner's way). Each run
in its own process, the two taking turns within each seed.

    python benchmarks/promotions.py --seeds 0 1 2
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


def child(mode: str, seed: int) -> dict:
    import keras

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import race

    import kerashp as khp
    from kerashp.tuning import tuner

    if mode == "rebuilt":
        tuner._KeptModels.max_bytes = 0  # nothing fits: every promotion rebuilds
    builds = []

    def build(p):
        builds.append(1)
        return race.build(p)

    x_train, y_train, x_val, y_val, _, _ = data = race.load()
    keras.utils.set_random_seed(seed)
    warm = race.build({"layers": 1, "units": 16, "activation": "relu", "dropout": 0.0, "learning_rate": 1e-3})
    warm.fit(data[0][:64], data[1][:64], epochs=1, verbose=0)
    keras.backend.clear_session()
    with tempfile.TemporaryDirectory() as workdir:
        start = time.monotonic()
        result = khp.tune(
            build,
            race.kerashp_space(),
            data=(x_train, y_train, x_val, y_val),
            algorithm="hyperband",
            objective="val_accuracy",
            seed=seed,
            verbose=0,
            run=khp.RunFolder(directory=workdir, name="hb"),
        )
        seconds = time.monotonic() - start
        records = result.records
    return {"mode": mode, "seed": seed, "seconds": seconds, "trials": len(records), "builds": len(builds),
            "promoted": sum(r.promoted_from is not None for r in records),
            "epochs": sum(r.epochs or 0 for r in records), "best": result.best_score}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--child", nargs=2, metavar=("MODE", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))))
        return
    runs = []
    for seed in args.seeds:
        for mode in ("kept", "rebuilt"):
            out = subprocess.run([sys.executable, __file__, "--child", mode, str(seed)], check=True,
                                 capture_output=True, text=True).stdout
            run = json.loads(out.strip().splitlines()[-1])
            runs.append(run)
            print(f"seed {seed} {mode:8s} {run['seconds']:6.1f}s  trials {run['trials']}  promoted {run['promoted']}  "
                  f"builds {run['builds']}  epochs {run['epochs']}  best {run['best']:.4f}", flush=True)
    print("| promoted trials | search time, median (s) | runs (s) | builds (median) | best val acc (median) |")
    print("|---|---|---|---|---|")
    for mode in ("kept", "rebuilt"):
        mine = [r for r in runs if r["mode"] == mode]
        seconds = ", ".join(f"{r['seconds']:.1f}" for r in mine)
        print(f"| {mode} | {statistics.median(r['seconds'] for r in mine):.1f} | {seconds} | "
              f"{statistics.median(r['builds'] for r in mine):g} | "
              f"{statistics.median(r['best'] for r in mine):.4f} |")


if __name__ == "__main__":
    main()
