"""Draws the README's plots (`docs/images/<kind>.png`) from a real small search.

    python docs/images/make_plots.py    # two to three minutes on 2 CPU cores

BOHB (TPE + ASHA) over `kerashp demo`'s space on scikit-learn's digits,
30 trials of up to 9 epochs (ASHA's rungs at 3 and 9, so that about
a third of the trials complete: Optuna's kinds read completed trials only), seed 0; every kind of `kerashp.plots` at dpi 80.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import kerashp as khp  # noqa: E402
from kerashp import plots  # noqa: E402
from kerashp.cli import demo_space  # noqa: E402

HERE = Path(__file__).resolve().parent


def main() -> int:
    with tempfile.TemporaryDirectory() as runs:
        result = khp.tune(
            khp.builders.mlp,
            demo_space(),
            data="digits",
            algorithm=khp.algorithms.BOHB(pruner=khp.pruners.ASHA(first_rung=3)),
            objective="val_accuracy",
            max_trials=30,
            max_epochs=9,
            seed=0,
            verbose=0,
            run=khp.RunFolder(directory=runs, name="demo"),
        )
        print(result.summary(n=5))
        written, skipped = plots.save(result, directory=HERE, dpi=80)
    for kind, path in written.items():
        print(f"{kind}: {path} ({path.stat().st_size // 1024} KiB)")
    return 1 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
