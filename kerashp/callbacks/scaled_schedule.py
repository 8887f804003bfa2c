"""`ScaledSchedule`: a Keras learning-rate schedule times a variable scale."""

from __future__ import annotations

import keras
from keras.optimizers.schedules import LearningRateSchedule


@keras.saving.register_keras_serializable(package="kerashp")
class ScaledSchedule(LearningRateSchedule):
    """A Keras schedule times a variable scale; how plateau reduction reaches Keras schedules.

    `ReduceLROnPlateau` installs it by itself when the optimizer was compiled
    with a Keras schedule; it is public so that saved models can be loaded
    (importing `kerashp.callbacks` registers it).

    Args:
        schedule: A `keras.optimizers.schedules.LearningRateSchedule`.
        scale: Initial multiplier. Defaults to 1.

    Example:
        >>> import keras, kerashp as khp
        >>> decay = keras.optimizers.schedules.ExponentialDecay(0.1, 100, 0.9)
        >>> scaled = khp.callbacks.ScaledSchedule(decay, scale=0.5)
        >>> round(float(scaled(0)), 4)
        0.05
    """

    def __init__(self, schedule, scale=1.0):
        self.schedule = schedule
        self.scale = keras.Variable(float(scale), trainable=False, name="kerashp_lr_scale")

    def __call__(self, step):
        lr = keras.ops.convert_to_tensor(self.schedule(step))
        return lr * keras.ops.cast(self.scale, lr.dtype)

    def get_config(self):
        return {
            "schedule": keras.saving.serialize_keras_object(self.schedule),
            "scale": float(self.scale),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["schedule"] = keras.saving.deserialize_keras_object(config["schedule"])
        return cls(**config)
