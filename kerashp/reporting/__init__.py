"""What a search reports as it goes: the progress display (`progress`), the
trial-end observers (`observers`) and TensorBoard logs with HParams
(`tensorboard`)."""
