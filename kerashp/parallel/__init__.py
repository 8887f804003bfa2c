"""Trials run at once: local worker processes (`workers`), workers on other
machines (`remote`), and keras-tuner's gRPC chief/worker protocol that
serves them the chief's oracle (`oracle_service`)."""
