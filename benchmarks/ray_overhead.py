"""What Ray costs a search: its start-up, and a worker's question to the driver.

- start-up: `ray.init()` of a local cluster (what `Execution(workers=N)`
  does before the first trial), and `ray.shutdown()`;
- one question: a worker's keras-tuner message answered by the search's
  oracle (`GetTrial` of a running trial), asked from a Ray task through the
  relay (`kerashp.parallel.on_ray`). A trial asks `CreateTrial`,
  `UpdateTrial` (once, or each epoch with a pruner), `EndTrial`, and sends
  its record and weights: 5 questions, plus one an epoch under ASHA.
  (kerashp's own gRPC pool, measured side by side before it was removed at
  0.2.0.dev0, took 1.5 ms a question: `benchmarks/RESULTS.md`.)

    python benchmarks/ray_overhead.py            # 3 rounds of 300 questions
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from types import SimpleNamespace


def _oracle():
    import keras_tuner as kt

    oracle = kt.oracles.RandomSearchOracle(objective=kt.Objective("val_loss", "min"), max_trials=10, seed=0)
    oracle.hyperparameters.Int("units", 8, 64)
    oracle._set_project_dir(tempfile.mkdtemp(prefix="kerashp-ray-overhead-"), "o")
    trial = oracle.create_trial("worker0")
    return oracle, trial.trial_id


def ray_round_trip(count: int) -> float:
    import ray

    from kerashp.parallel.on_ray import RayOracle, _Driver, _Relay
    from kerashp.parallel.oracle_service import OracleService

    oracle, trial_id = _oracle()
    service = OracleService(oracle)
    relay, objective = _Relay.remote(), oracle.objective
    done = threading.Event()

    driver = _Driver(SimpleNamespace(store=None), service, None)

    def drive():  # the driver's loop of run_on_ray, answering with the oracle
        while not done.is_set():
            answers = [(n, driver.answer(worker_id, kind, payload), None)
                       for n, worker_id, kind, payload in ray.get(relay.take.remote(0.2))]
            if answers:
                relay.answer.remote(answers)

    @ray.remote(num_cpus=0)
    def ask(count: int) -> float:
        client = RayOracle(relay, objective, "worker0")
        client.get_trial(trial_id)
        started = time.perf_counter()
        for _ in range(count):
            client.get_trial(trial_id)
        return (time.perf_counter() - started) / count

    thread = threading.Thread(target=drive, daemon=True)
    thread.start()
    try:
        return ray.get(ask.remote(count))
    finally:
        done.set()
        thread.join()
        ray.kill(relay)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--questions", type=int, default=300)
    args = parser.parse_args()
    import ray

    starts, stops, on_ray = [], [], []
    for round_ in range(args.rounds):
        started = time.perf_counter()
        ray.init(log_to_driver=False, include_dashboard=False)
        starts.append(time.perf_counter() - started)
        on_ray.append(ray_round_trip(args.questions) * 1000)
        started = time.perf_counter()
        ray.shutdown()
        stops.append(time.perf_counter() - started)
        print(f"round {round_}: ray.init {starts[-1]:.2f}s, shutdown {stops[-1]:.2f}s, a question "
              f"{on_ray[-1]:.2f} ms through Ray", flush=True)

    def cell(values, fmt):
        return fmt.format(statistics.median(values)) + " [" + ", ".join(fmt.format(v) for v in values) + "]"

    print("\n| | median [rounds] |\n|---|---|")
    print(f"| local cluster start (`ray.init`) | {cell(starts, '{:.2f} s')} |")
    print(f"| its shutdown | {cell(stops, '{:.2f} s')} |")
    print(f"| a question through Ray (relay) | {cell(on_ray, '{:.2f} ms')} |")


if __name__ == "__main__":
    main()
