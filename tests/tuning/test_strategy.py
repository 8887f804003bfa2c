"""A real `MirroredStrategy` over two logical CPU devices, in a subprocess
(logical devices must be configured before TensorFlow starts)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import kerashp as khp

    x, y = khp.datasets.load("digits")
    x, y = x[:256], y[:256]
    space = {"units": 16, "learning_rate": 1e-2, "batch_size": 64, "epochs": 3}
    built = []

    def build(hp):
        model = khp.builders.mlp(hp)
        built.append(model)
        return model

    scores = {}
    for name, strategy in (("mirrored", tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])), ("one", "auto")):
        result = khp.tune(build, space, data=(x, y), algorithm="grid", seed=0, run=khp.RunFolder(sys.argv[1], name),
                          execution=khp.Execution(strategy=strategy), verbose=1 if name == "mirrored" else 0)
        scores[name] = result.records[0].history["val_loss"]
        if name == "mirrored":
            kernel = built[-1].layers[-2].kernel.value  # the hidden Dense layer's kernel
            mirrored = [type(kernel).__name__, len(kernel.values)]
    print("RESULT " + json.dumps({"scores": scores, "mirrored": mirrored}))
    """
)


@pytest.mark.subprocess
def test_a_trial_trains_mirrored_over_two_devices_as_on_one(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))[7:])
    assert found["mirrored"] == ["MirroredVariable", 2]  # one copy of each variable per device
    assert "MirroredStrategy over 2 replicas: batch_size is the global batch" in done.stdout
    # the same global batches, their gradients summed over replicas: the same training, to float rounding
    assert found["scores"]["mirrored"] == pytest.approx(found["scores"]["one"], rel=1e-3)
