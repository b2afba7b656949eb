"""Constants several features share (low module: imports nothing from the app)."""

GRID_N = 100
"""Heatmap resolution of the live window: an N x N grid of points over a 2-D dataset's plane
(the worker computes every neuron's activation there; the timeline recomputes the same grid
for an earlier epoch). The output plot draws it smoothly interpolated."""

NODE_GRID = 50
"""Heatmap samples per side drawn in a neuron of the network view (about its drawn size).
The worker computes the hidden layers' grids at this resolution (every GRID_N // NODE_GRID-th
point of the plane's grid); the output layer, drawn large in the output plot, and a hovered
neuron's large picture keep the full GRID_N x GRID_N."""


def node_grid_step(n: int) -> int:
    """The step that thins an n-point side of a plane grid to about NODE_GRID samples."""
    return max(1, int(n) // NODE_GRID)
