"""The training timeline scrubber and run comparison on the loss chart."""
