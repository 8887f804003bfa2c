#!/usr/bin/env bash
# The GPU check: kerashp under KERAS_BACKEND=jax on the lent GPU machine (JAX,
# no TensorFlow there). keras, keras-tuner, optuna and what they need that the
# machine lacks travel as wheels in .whl/ (benchmarks/RESULTS.md, "On a GPU").
set -euo pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH="/tmp/site:$PWD" KERAS_BACKEND=jax PYTHONUNBUFFERED=1
nvidia-smi -L
python3 -c "import jax, keras; print('jax', jax.__version__, jax.devices(), 'keras', keras.__version__, keras.backend.backend())"
python3 benchmarks/trial_cost.py --trials 5
python3 benchmarks/race.py --backend jax --contenders kerashp_bohb,kerashp_bohb_no_ahead,optuna --seeds 0 --budget 60 --out "${OUT:-.}/race_gpu.json"
