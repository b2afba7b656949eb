"""The training worker: a thread that owns the trainer and publishes snapshots."""
