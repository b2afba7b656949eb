"""Everything Qt, one folder per feature; window/compose.py creates and wires the features."""
