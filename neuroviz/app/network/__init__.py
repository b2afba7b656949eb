"""The network view: canvas (nodes, edges, heatmaps), architecture controls, weight editor."""
