#!/usr/bin/env bash
# Run here, once, before benchmarks/gpu_jax.sh on a lent GPU machine: the wheels of what kerashp's
# GPU check needs that the machine's image lacks (it has JAX, scikit-learn, scipy, pandas, h5py, PyYAML,
# tqdm, rich, grpcio, protobuf, requests; Python 3.12), in .whl/ (ignored by git), the versions this
# project's environment holds. The device call carries them: carry=[".whl"]. Ray (about 70 MB) does
# not fit the 64 MiB a call carries, so workers sharing a GPU are measured only where Ray is there.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .whl && mkdir .whl
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .whl \
    keras==3.15.1 keras-tuner==1.4.8 kt-legacy==1.0.5 optuna==5.1.0 sqlalchemy==2.1.9 alembic==1.20.1 \
    colorlog==6.12.0 mako==1.4.3 namex==0.1.0 optree==0.20.0
ls -l .whl
du -sh .whl
