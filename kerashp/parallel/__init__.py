"""Trials run at once: worker processes on a Ray cluster (`on_ray`; one of
this machine by default), each running `workers.run_job` and asking the
driver's one oracle in keras-tuner's messages (`oracle_service`)."""
