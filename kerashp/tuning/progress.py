"""The search's progress display: one line per finished trial, and a bar."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["Progress"]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class Progress:
    """Prints `trial <id>  <status>  score=...  best=...  <params>  <seconds>s`
    per trial, under a tqdm bar over trials. `verbose=0` prints nothing.

    Args:
        total: Trials expected, or `None` when the algorithm decides.
        objective: The `Objective` (for `best`).
        verbose: 0 silent, 1 lines and bar. Defaults to `1`.
    """

    def __init__(self, total: int | None, objective: Any, verbose: int = 1, initial: int = 0):
        self.objective = objective
        self.verbose = verbose
        self.best: float | None = None
        self.bar = None
        if verbose:
            from tqdm import tqdm

            # disable=None: a bar on a terminal, plain lines in logs and notebooks.
            self.bar = tqdm(
                total=total, initial=initial, unit="trial", desc="search", file=sys.stdout, leave=False, disable=None
            )

    def line(self, record: dict) -> str:
        score = record.get("score")
        if score is not None and (self.best is None or self.objective.better(score, self.best)):
            self.best = score
        params = " ".join(f"{k}={_fmt(v)}" for k, v in record.get("params", {}).items())
        status = "ok  " if record["status"] == "COMPLETED" else "FAIL"
        parts = [
            f"trial {record['trial_id']}",
            status,
            f"{self.objective.name}={_fmt(score) if score is not None else '-':<8}",
            f"best={_fmt(self.best) if self.best is not None else '-':<8}",
            f"epochs={record.get('total_epochs', '-')}",
            f"{record.get('seconds', 0):.1f}s",
            params,
        ]
        if record.get("error"):
            parts.append(f"error: {record['error'][:120]}")
        return "  ".join(parts)

    def trial_done(self, record: dict) -> None:
        self.message(self.line(record))
        if self.bar is not None:
            self.bar.update(1)

    def message(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=sys.stdout)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
