"""Explain mode (one example, step by step, with the real numbers) and the gradient view."""
