"""The chief's worker pool (`kerashp.parallel.workers._Pool`) with stand-in
worker processes: real processes that read their job on stdin and exit the
way a worker can (finished, replaced, crashed, fatal), without TensorFlow, so
each rule is checked in a second."""

from __future__ import annotations

import json
import sys
import textwrap
import time
from types import SimpleNamespace

import pytest

from kerashp.exceptions import ArgumentError, KerashpError
from kerashp.parallel import workers
from kerashp.parallel.job import Job
from kerashp.parallel.workers import RESTARTS, _Pool


class _Service:
    def __init__(self):
        self.failed: list[tuple[str, str]] = []

    def end_ongoing(self, worker_id: str, status: str, reason: str) -> None:
        assert status == "FAILED"
        self.failed.append((worker_id, reason))


def _pool(tmp_path, count: int, script: str) -> tuple[_Pool, _Service]:
    """A pool whose worker processes run `script` (a worker's id is in its job on stdin)."""
    (tmp_path / "workers").mkdir(exist_ok=True)
    program = tmp_path / "worker.py"
    program.write_text(textwrap.dedent(f"""
        import pathlib, sys
        job = sys.stdin.buffer.read()
        me = "worker0" if b"worker0" in job else "worker1"
        starts = pathlib.Path({str(tmp_path)!r}) / ("starts-" + me)
        n = len(starts.read_text()) if starts.exists() else 0
        starts.write_text("x" * (n + 1))
        print(f"kerashp {{me}} started", flush=True)
    """) + textwrap.dedent(script))
    service = _Service()
    job = Job(build_fn=None, callbacks=None, space=None, algorithm=None, objective=None, epochs=1, batch_size=1,
              seed=None, precision=None, directory=str(tmp_path), name="run", tensorboard=None)
    pool = _Pool(SimpleNamespace(store=SimpleNamespace(path=tmp_path)), job, count, service, "127.0.0.1:1", "token")
    pool.command = [sys.executable, str(program)]
    return pool, service


def _run(pool: _Pool) -> None:
    try:
        for index, worker in enumerate(pool.workers):
            pool.start(worker, index)
        until = time.monotonic() + 60
        while pool.check():
            assert time.monotonic() < until, "the pool never finished"
            time.sleep(0.02)
    finally:
        pool.stop()


def _starts(tmp_path, worker_id: str) -> int:
    path = tmp_path / f"starts-{worker_id}"
    return len(path.read_text()) if path.exists() else 0


def test_a_replaced_worker_is_started_again_without_counting_as_a_death(tmp_path):
    pool, service = _pool(tmp_path, 1, f"sys.exit({workers._REPLACE_ME} if n < {RESTARTS + 2} else 0)")
    _run(pool)  # more replacements than RESTARTS: a death count would have given the worker up
    assert _starts(tmp_path, "worker0") == RESTARTS + 3
    assert pool.workers[0].deaths == 0 and not pool.workers[0].lost and not service.failed


def test_a_worker_that_keeps_dying_is_given_up_and_its_trial_failed_while_the_others_go_on(tmp_path):
    pool, service = _pool(tmp_path, 2, "sys.exit(1 if me == 'worker0' else 0)")
    _run(pool)
    assert _starts(tmp_path, "worker0") == RESTARTS + 1 and _starts(tmp_path, "worker1") == 1
    assert pool.workers[0].lost and not pool.workers[1].lost
    assert [worker_id for worker_id, _ in service.failed] == ["worker0"]
    assert f"died {RESTARTS + 1} times (last exit code 1)" in service.failed[0][1]


def test_when_every_worker_keeps_dying_the_search_stops_with_the_last_lines_of_a_log(tmp_path):
    pool, _ = _pool(tmp_path, 2, "print('out of memory, say'); sys.exit(1)")
    with pytest.raises(KerashpError, match=r"Every worker process died, each 3 times(.|\n)*out of memory, say"):
        _run(pool)
    assert _starts(tmp_path, "worker0") == RESTARTS + 1 and _starts(tmp_path, "worker1") == RESTARTS + 1


def test_a_fatal_error_reaches_the_chief_by_kind(tmp_path):
    sent = json.dumps({"type": "ArgumentError", "message": "Objective 'val_auc' is not among the metrics"})
    error = tmp_path / "workers" / "worker0.error.json"  # what a worker writes before it exits (workers.main)
    pool, _ = _pool(tmp_path, 1, f"pathlib.Path({str(error)!r}).write_text({sent!r}); sys.exit(2)")
    with pytest.raises(ArgumentError, match="val_auc"):
        _run(pool)
    assert _starts(tmp_path, "worker0") == 1  # not started again


def test_a_fatal_error_from_an_earlier_process_is_not_read_again(tmp_path):
    (tmp_path / "workers").mkdir()
    earlier = json.dumps({"type": "ArgumentError", "message": "from the run before"})
    (tmp_path / "workers" / "worker0.error.json").write_text(earlier)  # kept from a run before resume
    pool, service = _pool(tmp_path, 1, "sys.exit(1 if n == 0 else 0)")  # a crash, then a good run
    _run(pool)
    assert _starts(tmp_path, "worker0") == 2 and pool.workers[0].deaths == 1 and not service.failed
