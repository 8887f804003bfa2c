"""Trials run at once: worker processes on this machine (`workers`) or on a
Ray cluster (`on_ray`), both asking the chief's one oracle in keras-tuner's
messages (`oracle_service`)."""
