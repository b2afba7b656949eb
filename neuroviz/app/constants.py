"""Constants several features share (low module: imports nothing from the app)."""

GRID_N = 100
"""Heatmap resolution of the live window: an N x N grid of points over a 2-D dataset's plane
(the worker computes every neuron's activation there; the timeline recomputes the same grid
for an earlier epoch). The output plot draws it smoothly interpolated."""
