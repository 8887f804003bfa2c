"""A run's folder: `run_store.RunStore` reads and writes its settings, trial
records and weights atomically; `recovery` reopens a run, whole or damaged;
`weights` is the `.npz` format trials' weights are kept in."""
