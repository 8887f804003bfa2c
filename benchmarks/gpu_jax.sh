#!/usr/bin/env bash
# The GPU check (issue 25's "Measure"): kerashp under KERAS_BACKEND=jax on a lent GPU machine, which has
# JAX but not TensorFlow. First, here: `bash benchmarks/gpu_wheels.sh` (the wheels of keras, keras-tuner,
# optuna and their needs, in .whl/); then one device call with carry=[".whl"] running this script
# (about 7 minutes). Every result lands in $OUT; record them in benchmarks/RESULTS.md with the GPU's name.
set -uo pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || exit 1
export PYTHONPATH="/tmp/site:$PWD" KERAS_BACKEND=jax PYTHONUNBUFFERED=1
OUT="${OUT:-.}"
nvidia-smi -L
python3 -c "import jax, keras; print('jax', jax.__version__, jax.devices(), 'keras', keras.__version__, keras.backend.backend())"
# what a new model costs against an epoch
timeout 90 python3 benchmarks/trial_cost.py --trials 5
# the race, one seed, 60 s: kerashp compiling ahead (the default), building in turn, Optuna
timeout 270 python3 benchmarks/race.py --backend jax --contenders kerashp_bohb,kerashp_bohb_no_ahead,optuna \
    --seeds 0 --budget 60 --out "$OUT/race_gpu.json"
# the compiled-model pool's hit rate where graphs repeat (units and dropout as choices)
timeout 90 python3 benchmarks/race.py --backend jax --tasks digits_xla_choices --contenders kerashp_bohb \
    --seeds 0 --budget 45 --out "$OUT/pool_gpu.json"
# bfloat16 against the float32 of the race above: time to target and the chosen model's test accuracy
timeout 90 python3 benchmarks/race.py --backend jax --contenders kerashp_bohb_bf16 --seeds 0 --budget 60 \
    --out "$OUT/bf16_gpu.json"
# 2 and 4 trials sharing the GPU (Ray workers; each backend takes GPU memory as it needs it)
if python3 -c "import ray" 2>/dev/null; then
  XLA_PYTHON_CLIENT_PREALLOCATE=false RACE_SHARE_GPU=1 timeout 150 python3 benchmarks/race.py --backend jax \
      --contenders kerashp_bohb_w2,kerashp_bohb_w4 --seeds 0 --budget 45 --out "$OUT/shared_gpu.json"
else
  echo "no Ray on this machine (too large to carry): trials sharing the GPU not measured"
fi
